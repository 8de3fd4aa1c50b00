"""Routes, deliveries and what happens to them; the event log; reports; cursors."""

from __future__ import annotations

import sqlalchemy as sa

from doorstep.domain import (
    AttemptOutcome,
    DeliveryStatus,
    DispositionKind,
    EventStatus,
    ExceptionKind,
    ExceptionStatus,
    FailureReason,
    ReportKind,
    RouteStatus,
    Severity,
    StopStatus,
)
from doorstep.store.tables._base import ID, _id, metadata
from doorstep.store.types import JSONType, UTCDateTime, enum_column

routes = sa.Table(
    "routes", metadata, _id(),
    sa.Column("market_id", ID, sa.ForeignKey("markets.id"), nullable=False),
    sa.Column("depot_id", ID, sa.ForeignKey("depots.id"), nullable=False),
    sa.Column("service_date", sa.Date, nullable=False),
    sa.Column("driver_id", ID, sa.ForeignKey("drivers.id")),
    sa.Column("vehicle_id", ID, sa.ForeignKey("vehicles.id")),
    sa.Column("shift_id", ID, sa.ForeignKey("shifts.id")),
    sa.Column("status", enum_column(RouteStatus), nullable=False),
    sa.Column("planned_start", UTCDateTime),
    sa.Column("planned_end", UTCDateTime),
    sa.Column("planned_at", UTCDateTime),
    sa.Column("started_at", UTCDateTime),
    sa.Column("completed_at", UTCDateTime),
    sa.Column("stop_count", sa.Integer, nullable=False),
    sa.Column("stops_done", sa.Integer, nullable=False),
    sa.Column("stops_failed", sa.Integer, nullable=False),
    sa.Index(None, "service_date", "market_id", "status"),
    sa.Index(None, "driver_id", "service_date"),
)

deliveries = sa.Table(
    "deliveries", metadata, _id(),
    sa.Column("shipper_id", ID, sa.ForeignKey("shippers.id"), nullable=False),
    sa.Column("market_id", ID, sa.ForeignKey("markets.id"), nullable=False),
    sa.Column("depot_id", ID, sa.ForeignKey("depots.id"), nullable=False),
    sa.Column("recipient_id", ID, sa.ForeignKey("recipients.id"), nullable=False, index=True),
    sa.Column("service_date", sa.Date, nullable=False),
    sa.Column("address_line1", sa.String(200), nullable=False),
    sa.Column("address_city", sa.String(100), nullable=False),
    sa.Column("address_postal_code", sa.String(20), nullable=False),
    sa.Column("address_line2", sa.String(200)),
    sa.Column("address_region", sa.String(100)),
    sa.Column("address_country", sa.String(2), nullable=False),
    sa.Column("address_lat", sa.Float),
    sa.Column("address_lon", sa.Float),
    sa.Column("window_start", UTCDateTime),
    sa.Column("window_end", UTCDateTime),
    sa.Column("time_sensitive", sa.Boolean, nullable=False),
    sa.Column("status", enum_column(DeliveryStatus), nullable=False),
    sa.Column("status_at", UTCDateTime),
    sa.Column("route_id", ID, sa.ForeignKey("routes.id")),
    sa.Column("stop_sequence", sa.Integer),
    sa.Column("planned_arrival", UTCDateTime),
    sa.Column("eta", UTCDateTime),
    sa.Column("arrived_at", UTCDateTime),
    sa.Column("delivered_at", UTCDateTime),
    sa.Column("attempt_count", sa.Integer, nullable=False),
    sa.Column("instructions", sa.String(2000)),
    sa.Column("details_at", UTCDateTime),
    sa.Column("eta_at", UTCDateTime),
    sa.Index(None, "service_date", "market_id", "status"),
    sa.Index(None, "shipper_id", "service_date", "status"),
    sa.Index(None, "route_id", "stop_sequence"),
    sa.Index(None, "depot_id", "service_date"),
    sa.Index(None, "address_postal_code"),
)

attempts = sa.Table(
    "attempts", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("delivery_id", ID, sa.ForeignKey("deliveries.id"), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("outcome", enum_column(AttemptOutcome), nullable=False),
    sa.Column("occurred_at", UTCDateTime, nullable=False),
    sa.Column("route_id", ID),
    sa.Column("failure_reason", enum_column(FailureReason)),
    sa.Column("notes", sa.String(2000)),
    sa.Column("pod_photo_url", sa.String(2000)),
    sa.Column("pod_signature_url", sa.String(2000)),
    sa.Column("pod_received_by", sa.String(200)),
    sa.UniqueConstraint("delivery_id", "number"),
    sa.Index(None, "occurred_at", "outcome"),
)

dispositions = sa.Table(
    "dispositions", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("delivery_id", ID, sa.ForeignKey("deliveries.id"), nullable=False, index=True),
    sa.Column("attempt_number", sa.Integer, nullable=False),
    sa.Column("kind", enum_column(DispositionKind), nullable=False),
    sa.Column("decided_at", UTCDateTime, nullable=False),
    sa.Column("redelivery_date", sa.Date),
    sa.Column("notes", sa.String(2000)),
)

stops = sa.Table(
    "stops", metadata,
    sa.Column("route_id", ID, sa.ForeignKey("routes.id"), primary_key=True),
    sa.Column("delivery_id", ID, sa.ForeignKey("deliveries.id"), primary_key=True, index=True),
    sa.Column("sequence", sa.Integer, nullable=False),
    sa.Column("planned_arrival", UTCDateTime),
    sa.Column("eta", UTCDateTime),
    sa.Column("arrived_at", UTCDateTime),
    sa.Column("completed_at", UTCDateTime),
    sa.Column("status", enum_column(StopStatus), nullable=False),
    sa.Index(None, "route_id", "sequence"),
)

exceptions = sa.Table(
    "exceptions", metadata, _id(),
    sa.Column("kind", enum_column(ExceptionKind), nullable=False),
    sa.Column("severity", enum_column(Severity), nullable=False),
    sa.Column("market_id", ID, sa.ForeignKey("markets.id"), nullable=False),
    sa.Column("reported_at", UTCDateTime, nullable=False),
    sa.Column("depot_id", ID, sa.ForeignKey("depots.id")),
    sa.Column("route_id", ID, sa.ForeignKey("routes.id")),
    sa.Column("driver_id", ID, sa.ForeignKey("drivers.id")),
    sa.Column("description", sa.String(2000), nullable=False),
    sa.Column("status", enum_column(ExceptionStatus), nullable=False),
    sa.Column("resolved_at", UTCDateTime),
    sa.Column("stops_affected", sa.Integer, nullable=False),
    sa.Index(None, "status", "market_id"),
    sa.Index(None, "reported_at"),
)


events = sa.Table(
    "events", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("source", sa.String(32), nullable=False),
    sa.Column("external_id", sa.String(128), nullable=False),
    sa.Column("type", sa.String(64), nullable=False),
    sa.Column("occurred_at", UTCDateTime, nullable=False),
    sa.Column("received_at", UTCDateTime, nullable=False),
    sa.Column("payload", JSONType, nullable=False),
    sa.Column("subject", sa.String(160)),
    sa.Column("status", enum_column(EventStatus), nullable=False),
    sa.Column("tries", sa.Integer, nullable=False),
    sa.Column("processed_at", UTCDateTime),
    sa.Column("note", sa.String(2000)),
    # What a deferred event waits for ("delivery:D-1"); cleared once it is applied.
    sa.Column("waits_for", sa.String(160), index=True),
    sa.Column("next_try_at", UTCDateTime),
    sa.UniqueConstraint("source", "external_id"),
    sa.Index(None, "status", "received_at"),
    sa.Index(None, "status", "next_try_at"),
    sa.Index(None, "subject", "occurred_at"),
)

reports = sa.Table(
    "reports", metadata, _id(),
    sa.Column("kind", enum_column(ReportKind), nullable=False),
    sa.Column("period_start", UTCDateTime, nullable=False),
    sa.Column("period_end", UTCDateTime, nullable=False),
    sa.Column("generated_at", UTCDateTime, nullable=False),
    sa.Column("market_id", ID, sa.ForeignKey("markets.id")),
    sa.Column("content", JSONType),
)

# Small named values that must survive a restart: a simulator's progress, a poller's cursor.
cursors = sa.Table(
    "cursors", metadata,
    sa.Column("name", sa.String(128), primary_key=True),
    sa.Column("value", sa.String(2000), nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)
