"""What recipients were told of their arrival: the window each one holds, and the notices
that go once per delivery and day."""

from __future__ import annotations

import sqlalchemy as sa

from doorstep.store.tables._base import ID, metadata
from doorstep.store.types import UTCDateTime

# The window a recipient holds for a delivery on one route: the first one sent, the one held
# now, and which notices changed it. The arrival is written when it happens, so whether the
# window held (the dashboard's hit rate) is decided once, against the window held then.
held_windows = sa.Table(
    "held_windows", metadata,
    sa.Column("delivery_id", ID, sa.ForeignKey("deliveries.id"), primary_key=True),
    sa.Column("route_id", ID, primary_key=True),
    sa.Column("market_id", ID, sa.ForeignKey("markets.id"), nullable=False),
    sa.Column("service_date", sa.Date, nullable=False),
    sa.Column("first_start", UTCDateTime, nullable=False),
    sa.Column("first_end", UTCDateTime, nullable=False),
    sa.Column("window_start", UTCDateTime, nullable=False),
    sa.Column("window_end", UTCDateTime, nullable=False),
    sa.Column("sent_at", UTCDateTime, nullable=False),
    sa.Column("changed_at", UTCDateTime, nullable=False),
    sa.Column("updates", sa.Integer, nullable=False, server_default="0"),
    sa.Column("away_sent", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("near_sent", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("deadline_warned", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("arrived_at", UTCDateTime),
    sa.Column("hit", sa.Boolean),
    sa.Index(None, "market_id", "service_date"),
)

# Notices that go once per delivery whatever the route ("evening:2026-12-01").
notice_marks = sa.Table(
    "notice_marks", metadata,
    sa.Column("delivery_id", ID, sa.ForeignKey("deliveries.id"), primary_key=True),
    sa.Column("mark", sa.String(64), primary_key=True),
    sa.Column("at", UTCDateTime, nullable=False),
)
