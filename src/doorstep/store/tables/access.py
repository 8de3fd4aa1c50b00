"""People and machines that read the dashboard and the API."""

from __future__ import annotations

import sqlalchemy as sa

from doorstep.domain.access import Role
from doorstep.store.tables._base import ID, metadata
from doorstep.store.types import UTCDateTime, enum_column

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
