"""Markets, depots, shippers and recipients."""

from __future__ import annotations

import sqlalchemy as sa

from doorstep.domain import (
    Consent,
)
from doorstep.store.tables._base import ID, _id, metadata
from doorstep.store.types import JSONType, UTCDateTime, enum_column

markets = sa.Table(
    "markets", metadata, _id(),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Column("supervisor_name", sa.String(200)),
    sa.Column("supervisor_phone", sa.String(32)),
    sa.Column("supervisor_email", sa.String(320)),
)

depots = sa.Table(
    "depots", metadata, _id(),
    sa.Column("market_id", ID, sa.ForeignKey("markets.id"), nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("address", sa.String(400), nullable=False, default=""),
    sa.Column("lat", sa.Float),
    sa.Column("lon", sa.Float),
)

shippers = sa.Table(
    "shippers", metadata, _id(),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("brand_primary", sa.String(7), nullable=False),
    sa.Column("brand_secondary", sa.String(7), nullable=False),
    sa.Column("logo_url", sa.String(2000)),
    sa.Column("sms_from", sa.String(32)),
    sa.Column("messaging_service_sid", sa.String(34)),
    sa.Column("email_from", sa.String(320)),
    sa.Column("time_sensitive", sa.Boolean, nullable=False, default=False),
    sa.Column("languages", JSONType, nullable=False),
)

recipients = sa.Table(
    "recipients", metadata, _id(),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("phone", sa.String(32), index=True),
    sa.Column("email", sa.String(320), index=True),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("sms_consent", enum_column(Consent), nullable=False),
    sa.Column("email_consent", enum_column(Consent), nullable=False),
    sa.Column("opted_out_at", UTCDateTime),
    # Set when a provider said the number or address cannot receive (not a mobile, not a
    # mailbox): nothing more is sent there until it changes.
    sa.Column("phone_invalid_at", UTCDateTime),
    sa.Column("email_invalid_at", UTCDateTime),
)
