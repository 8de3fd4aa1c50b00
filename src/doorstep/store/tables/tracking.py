"""The recipient's tracking links and their ratings."""

from __future__ import annotations

import sqlalchemy as sa

from doorstep.store.tables._base import ID, metadata
from doorstep.store.types import UTCDateTime

# Only a SHA-256 of each link's token is kept: a leaked database does not open the pages.
tracking_tokens = sa.Table(
    "tracking_tokens", metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("delivery_id", ID, sa.ForeignKey("deliveries.id"), nullable=False, index=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
)

# One rating per delivery (a later tap replaces it), whichever link it came through.
ratings = sa.Table(
    "ratings", metadata,
    sa.Column("delivery_id", ID, sa.ForeignKey("deliveries.id"), primary_key=True),
    sa.Column("rating", sa.Integer, nullable=False),
    sa.Column("rated_at", UTCDateTime, nullable=False),
)
