"""Messages in and out, their attempts, conversations and consent."""

from __future__ import annotations

import sqlalchemy as sa

from doorstep.domain import (
    Channel,
    ConversationStatus,
    Direction,
    MessageStatus,
    SuppressionReason,
)
from doorstep.store.tables._base import ID, _id, metadata
from doorstep.store.types import JSONType, UTCDateTime, enum_column

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
    # An incoming message no rule understood: it waits in the Needs a person inbox until a
    # dispatcher answers or sets it aside.
    sa.Column("needs_person_at", UTCDateTime, index=True),
    sa.Column("settled_at", UTCDateTime),
    sa.Column("settled_by", sa.String(320)),
    sa.Index(None, "status", "send_after"),
    sa.Index(None, "subject_type", "subject_id"),
    sa.Index(None, "created_at"),
)


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

# Templates written in the dashboard. `scope` is a shipper's id, or "*" for the operator's own
# defaults; what is not here falls back to the built-in words.
templates = sa.Table(
    "templates", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("scope", sa.String(128), nullable=False),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("part", sa.String(16), nullable=False),  # body | subject
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("updated_by", sa.String(320)),
    sa.UniqueConstraint("scope", "name", "language", "part"),
)

# The send budget of each sender ("sms:+15550100", "email:news@x"), shared by every worker:
# the theoretical arrival time of its next message (GCRA), in seconds since the epoch.
send_rates = sa.Table(
    "send_rates", metadata,
    sa.Column("sender", sa.String(400), primary_key=True),
    sa.Column("tat", sa.Float, nullable=False),
)
