"""Sessions of logged-in people: a random cookie value, stored hashed, with its CSRF token."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from doorstep.access import tokens
from doorstep.access.users import User, from_row
from doorstep.store.tables import sessions, users

LIFETIME = timedelta(hours=12)  # a working day; people log in again the next morning


@dataclass(frozen=True)
class OpenSession:
    user: User
    csrf_token: str
    expires_at: datetime


def open_session(s: Session, user: User, now: datetime) -> tuple[str, OpenSession]:
    """A new session: the cookie value (shown once) and what it stands for."""
    secret, csrf = tokens.new_secret(), tokens.new_secret()
    expires = now + LIFETIME
    s.execute(sessions.delete().where(sessions.c.expires_at < now))
    s.execute(sessions.insert().values(token_hash=tokens.digest(secret), user_id=user.id,
                                       csrf_token=csrf, created_at=now, expires_at=expires))
    return secret, OpenSession(user, csrf, expires)


def resolve(s: Session, secret: str, now: datetime) -> OpenSession | None:
    row = s.execute(
        sa.select(users, sessions.c.csrf_token, sessions.c.expires_at)
        .join(sessions, sessions.c.user_id == users.c.id)
        .where(sessions.c.token_hash == tokens.digest(secret), sessions.c.expires_at > now,
               users.c.active.is_(True))).first()
    if row is None:
        return None
    return OpenSession(from_row(row), row.csrf_token, row.expires_at)


def close(s: Session, secret: str) -> None:
    s.execute(sessions.delete().where(sessions.c.token_hash == tokens.digest(secret)))
