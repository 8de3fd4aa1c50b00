"""Drivers, vehicles, shifts and the gaps and offers that fill them."""

from __future__ import annotations

import sqlalchemy as sa

from doorstep.domain import (
    GapStatus,
    OfferStatus,
    ShiftStatus,
    VehicleClass,
)
from doorstep.store.tables._base import ID, _id, metadata
from doorstep.store.types import UTCDateTime, enum_column

drivers = sa.Table(
    "drivers", metadata, _id(),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("market_id", ID, sa.ForeignKey("markets.id"), nullable=False),
    sa.Column("depot_id", ID, sa.ForeignKey("depots.id"), nullable=False, index=True),
    sa.Column("phone", sa.String(32), index=True),
    sa.Column("email", sa.String(320)),
    sa.Column("on_call", sa.Boolean, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("on_duty", sa.Boolean, nullable=False),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("updated_at", UTCDateTime),
    sa.Column("duty_at", UTCDateTime),
    sa.Index(None, "market_id", "on_duty"),
)

vehicles = sa.Table(
    "vehicles", metadata, _id(),
    sa.Column("depot_id", ID, sa.ForeignKey("depots.id"), nullable=False, index=True),
    sa.Column("vehicle_class", enum_column(VehicleClass), nullable=False),
    sa.Column("capacity", sa.Integer, nullable=False),
    sa.Column("plate", sa.String(32)),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("updated_at", UTCDateTime),
)

shifts = sa.Table(
    "shifts", metadata, _id(),
    sa.Column("depot_id", ID, sa.ForeignKey("depots.id"), nullable=False),
    sa.Column("service_date", sa.Date, nullable=False),
    sa.Column("starts_at", UTCDateTime, nullable=False),
    sa.Column("ends_at", UTCDateTime, nullable=False),
    sa.Column("driver_id", ID, sa.ForeignKey("drivers.id")),
    sa.Column("vehicle_id", ID, sa.ForeignKey("vehicles.id")),
    sa.Column("status", enum_column(ShiftStatus), nullable=False),
    sa.Column("status_at", UTCDateTime),
    sa.Column("callout_reason", sa.String(2000)),
    sa.Column("planned_at", UTCDateTime),
    sa.Index(None, "service_date", "depot_id"),
    sa.Index(None, "driver_id", "service_date"),
)

gaps = sa.Table(
    "gaps", metadata, _id(),
    sa.Column("shift_id", ID, sa.ForeignKey("shifts.id"), nullable=False, unique=True),
    sa.Column("opened_at", UTCDateTime, nullable=False),
    sa.Column("status", enum_column(GapStatus), nullable=False, index=True),
    sa.Column("filled_by_driver_id", ID, sa.ForeignKey("drivers.id")),
    sa.Column("closed_at", UTCDateTime),
)

offers = sa.Table(
    "offers", metadata, _id(),
    sa.Column("gap_id", ID, sa.ForeignKey("gaps.id"), nullable=False, index=True),
    sa.Column("driver_id", ID, sa.ForeignKey("drivers.id"), nullable=False),
    sa.Column("sent_at", UTCDateTime, nullable=False),
    sa.Column("status", enum_column(OfferStatus), nullable=False),
    sa.Column("answered_at", UTCDateTime),
    sa.UniqueConstraint("gap_id", "driver_id"),
)
