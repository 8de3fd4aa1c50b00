"""What doorstep keeps about the route platforms: which of their objects is which of ours, and
the writes it owes them."""

from __future__ import annotations

import sqlalchemy as sa

from doorstep.store.tables._base import ID, metadata
from doorstep.store.types import JSONType, UTCDateTime

# A delivery, route, driver … and the platform's object that stands for it now (a redelivery
# is a new task on the platform, the same delivery here).
platform_links = sa.Table(
    "platform_links", metadata,
    sa.Column("platform", sa.String(16), primary_key=True),
    sa.Column("kind", sa.String(16), primary_key=True),
    sa.Column("doorstep_id", ID, primary_key=True),
    sa.Column("platform_id", sa.String(200), nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Index(None, "platform", "kind", "platform_id"),
)

# The outbox of platform writes: written in the decision's transaction, done by a job, each
# idempotent and read back; `dedup_key` makes queuing one twice a no-op.
platform_writes = sa.Table(
    "platform_writes", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("platform", sa.String(16), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("subject_type", sa.String(16), nullable=False),
    sa.Column("subject_id", ID, nullable=False),
    sa.Column("dedup_key", sa.String(300), nullable=False, unique=True),
    sa.Column("payload", JSONType, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("tries", sa.Integer, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("next_try_at", UTCDateTime),
    sa.Column("settled_at", UTCDateTime),
    sa.Column("last_error", sa.String(2000)),
    sa.Column("read_back", JSONType),
    sa.Index(None, "status", "next_try_at"),
    sa.Index(None, "subject_type", "subject_id"),
)
