"""The schema. Indexes follow the queries the dashboard and the jobs make."""

from __future__ import annotations

import sqlalchemy as sa

from doorstep.domain import (
    AttemptOutcome,
    Channel,
    Consent,
    ConversationStatus,
    DeliveryStatus,
    Direction,
    DispositionKind,
    EventStatus,
    ExceptionKind,
    ExceptionStatus,
    FailureReason,
    GapStatus,
    MessageStatus,
    OfferStatus,
    ReportKind,
    RouteStatus,
    Severity,
    ShiftStatus,
    StopStatus,
    SuppressionReason,
    VehicleClass,
)
from doorstep.domain.access import Role
from doorstep.store.types import JSONType, UTCDateTime, enum_column

metadata = sa.MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

ID = sa.String(128)


def _id() -> sa.Column[str]:
    return sa.Column("id", ID, primary_key=True)


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
)

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

conversations = sa.Table(
    "conversations", metadata, _id(),
    sa.Column("channel", enum_column(Channel), nullable=False),
    sa.Column("address", sa.String(320), nullable=False),
    sa.Column("question", sa.String(64), nullable=False),
    sa.Column("subject_type", sa.String(32), nullable=False),
    sa.Column("subject_id", ID, nullable=False),
    sa.Column("opened_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime),
    sa.Column("status", enum_column(ConversationStatus), nullable=False),
    sa.Index(None, "address", "status"),
)

messages = sa.Table(
    "messages", metadata, _id(),
    sa.Column("direction", enum_column(Direction), nullable=False),
    sa.Column("channel", enum_column(Channel), nullable=False),
    sa.Column("purpose", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("status", enum_column(MessageStatus), nullable=False),
    # Unique: the same notification can never be queued twice.
    sa.Column("dedup_key", sa.String(256), unique=True),
    sa.Column("to_addr", sa.String(320)),
    sa.Column("from_addr", sa.String(320)),
    sa.Column("body", sa.Text),
    sa.Column("template", sa.String(128)),
    sa.Column("context", JSONType),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("shipper_id", ID, sa.ForeignKey("shippers.id")),
    sa.Column("market_id", ID, sa.ForeignKey("markets.id")),
    sa.Column("recipient_id", ID, sa.ForeignKey("recipients.id")),
    sa.Column("driver_id", ID, sa.ForeignKey("drivers.id")),
    sa.Column("subject_type", sa.String(32)),
    sa.Column("subject_id", ID),
    sa.Column("conversation_id", ID, sa.ForeignKey("conversations.id")),
    sa.Column("event_id", sa.Integer),
    sa.Column("send_after", UTCDateTime),
    sa.Column("status_at", UTCDateTime),
    sa.Column("provider_id", sa.String(320), index=True),  # an SMS SID, an email Message-ID
    sa.Column("suppressed_reason", enum_column(SuppressionReason)),
    sa.Column("error_code", sa.String(32)),
    # After this moment the message no longer matters (a reach-out after the redelivery cut-off):
    # it is suppressed rather than sent late.
    sa.Column("expires_at", UTCDateTime),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("sent_at", UTCDateTime),
    sa.Column("segments", sa.Integer),
    sa.Index(None, "status", "send_after"),
    sa.Index(None, "subject_type", "subject_id"),
    sa.Index(None, "created_at"),
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


# --- people and machines that read the dashboard and the API -------------------------------

users = sa.Table(
    "users", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("email", sa.String(320), nullable=False, unique=True),  # stored lower-cased
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("role", enum_column(Role), nullable=False),
    sa.Column("shipper_id", ID, sa.ForeignKey("shippers.id")),
    sa.Column("password_hash", sa.String(256), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("disabled_at", UTCDateTime),
    sa.Column("last_login_at", UTCDateTime),
)

# A session is a row, not a signed cookie alone: disabling a user or logging out ends it at once.
sessions = sa.Table(
    "sessions", metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),  # SHA-256 of the cookie's value
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False, index=True),
)

api_tokens = sa.Table(
    "api_tokens", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("role", enum_column(Role), nullable=False),
    sa.Column("shipper_id", ID, sa.ForeignKey("shippers.id")),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("revoked_at", UTCDateTime),
    sa.Column("last_used_at", UTCDateTime),
)

# Failed logins per key ("email:x", "ip:y"), so that the throttle holds across processes.
login_failures = sa.Table(
    "login_failures", metadata,
    sa.Column("key", sa.String(400), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("first_at", UTCDateTime, nullable=False),
    sa.Column("last_at", UTCDateTime, nullable=False),
)


# --- messaging --------------------------------------------------------------------------

# Every try to hand a message to its provider, whatever came of it.
message_attempts = sa.Table(
    "message_attempts", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("message_id", ID, sa.ForeignKey("messages.id"), nullable=False, index=True),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("finished_at", UTCDateTime),
    sa.Column("outcome", sa.String(32)),  # sent | transient | permanent | unknown | reconciled
    sa.Column("provider_id", sa.String(320)),
    sa.Column("error_code", sa.String(32)),
    sa.Column("detail", sa.String(400)),
    sa.UniqueConstraint("message_id", "number"),
)

# Consent changes, newest last: the latest row for (channel, address, sender) is in force.
# `sender` is the number or service that was told STOP; "*" means every sender of the operator.
consent_changes = sa.Table(
    "consent_changes", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("channel", enum_column(Channel), nullable=False),
    sa.Column("address", sa.String(320), nullable=False),
    sa.Column("sender", sa.String(320), nullable=False),
    sa.Column("opted_out", sa.Boolean, nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("source", sa.String(32), nullable=False),  # reply | keyword | carrier | person
    sa.Column("detail", sa.String(400)),
    sa.Index(None, "channel", "address", "id"),
)
