"""Users: people who log in to the dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from doorstep.access import passwords
from doorstep.domain.access import AccessError, Principal, Role, check_role_shipper
from doorstep.store.tables import sessions, shippers, users


class UserError(ValueError):
    """A user that cannot be created or changed as asked; the message says why."""


@dataclass(frozen=True)
class User:
    id: int
    email: str
    name: str
    role: Role
    shipper_id: str | None
    active: bool
    created_at: datetime
    last_login_at: datetime | None

    def principal(self) -> Principal:
        return Principal("user", self.id, self.name, self.role, self.shipper_id)


def normal_email(email: str) -> str:
    email = email.strip().lower()
    local, _, domain = email.partition("@")
    if not local or "." not in domain or any(c.isspace() for c in email) or len(email) > 320:
        raise UserError(f"not an email address: {email!r}")
    return email


def from_row(row: sa.Row[Any]) -> User:
    return User(id=row.id, email=row.email, name=row.name, role=Role(row.role),
                shipper_id=row.shipper_id, active=row.active, created_at=row.created_at,
                last_login_at=row.last_login_at)


def check_shipper(s: Session, role: Role, shipper_id: str | None) -> None:
    try:
        check_role_shipper(role, shipper_id)
    except AccessError as err:
        raise UserError(str(err)) from None
    if shipper_id and s.execute(
            sa.select(shippers.c.id).where(shippers.c.id == shipper_id)).first() is None:
        known = ", ".join(s.scalars(sa.select(shippers.c.id).order_by(shippers.c.id)))
        raise UserError(f"no shipper {shipper_id!r} (known: {known or 'none'})")


def create(s: Session, *, email: str, name: str, role: Role, password: str,
           shipper_id: str | None, now: datetime) -> User:
    email = normal_email(email)
    check_shipper(s, role, shipper_id)
    try:
        password_hash = passwords.hash_password(password)
    except passwords.WeakPassword as err:
        raise UserError(str(err)) from None
    if s.execute(sa.select(users.c.id).where(users.c.email == email)).first() is not None:
        raise UserError(f"a user {email} already exists")
    new_id = s.execute(users.insert().values(
        email=email, name=name.strip() or email, role=role, shipper_id=shipper_id,
        password_hash=password_hash, active=True, created_at=now).returning(users.c.id)).scalar_one()
    return get(s, int(new_id))  # type: ignore[return-value]


def get(s: Session, user_id: int) -> User | None:
    row = s.execute(sa.select(users).where(users.c.id == user_id)).first()
    return from_row(row) if row else None


def by_email(s: Session, email: str) -> User | None:
    row = s.execute(sa.select(users).where(users.c.email == email.strip().lower())).first()
    return from_row(row) if row else None


def all_users(s: Session) -> list[User]:
    return [from_row(r) for r in s.execute(sa.select(users).order_by(users.c.email))]


def authenticate(s: Session, email: str, password: str, now: datetime) -> User | None:
    """The active user with this email and password, or None — in the same time either way."""
    row = s.execute(sa.select(users).where(users.c.email == email.strip().lower())).first()
    ok = passwords.verify(row.password_hash if row else None, password)
    if row is None or not ok or not row.active:
        return None
    values: dict[str, object] = {"last_login_at": now}
    if passwords.needs_rehash(row.password_hash):
        values["password_hash"] = passwords.hash_password(password)
    s.execute(users.update().where(users.c.id == row.id).values(**values))
    return from_row(row)


def set_password(s: Session, email: str, password: str) -> User:
    user = by_email(s, email)
    if user is None:
        raise UserError(f"no user {email.strip().lower()}")
    try:
        password_hash = passwords.hash_password(password)
    except passwords.WeakPassword as err:
        raise UserError(str(err)) from None
    s.execute(users.update().where(users.c.id == user.id).values(password_hash=password_hash))
    s.execute(sessions.delete().where(sessions.c.user_id == user.id))
    return user


def disable(s: Session, email: str, now: datetime) -> User:
    """Disable the user and end every session they have, at once."""
    user = by_email(s, email)
    if user is None:
        raise UserError(f"no user {email.strip().lower()}")
    s.execute(users.update().where(users.c.id == user.id).values(active=False, disabled_at=now))
    s.execute(sessions.delete().where(sessions.c.user_id == user.id))
    return get(s, user.id)  # type: ignore[return-value]


def enable(s: Session, email: str) -> User:
    user = by_email(s, email)
    if user is None:
        raise UserError(f"no user {email.strip().lower()}")
    s.execute(users.update().where(users.c.id == user.id).values(active=True, disabled_at=None))
    return get(s, user.id)  # type: ignore[return-value]
