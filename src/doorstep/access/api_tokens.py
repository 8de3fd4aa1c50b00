"""Bearer tokens for machines: shown once when made, stored hashed, revocable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from doorstep.access import tokens
from doorstep.access.users import UserError, check_shipper
from doorstep.domain.access import Principal, Role
from doorstep.store.tables import api_tokens

# last_used_at is written at most this often per token: a busy client must not make every
# read a write.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class ApiToken:
    id: int
    name: str
    role: Role
    shipper_id: str | None
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None

    def principal(self) -> Principal:
        return Principal("token", self.id, self.name, self.role, self.shipper_id)


def _token(row: sa.Row[Any]) -> ApiToken:
    return ApiToken(id=row.id, name=row.name, role=Role(row.role), shipper_id=row.shipper_id,
                    created_at=row.created_at, revoked_at=row.revoked_at,
                    last_used_at=row.last_used_at)


def create(s: Session, *, role: Role, shipper_id: str | None, name: str,
           now: datetime) -> tuple[str, ApiToken]:
    check_shipper(s, role, shipper_id)
    secret = tokens.new_api_token()
    new_id = s.execute(api_tokens.insert().values(
        token_hash=tokens.digest(secret), name=name or f"{role.value} token", role=role,
        shipper_id=shipper_id, created_at=now).returning(api_tokens.c.id)).scalar_one()
    row = s.execute(sa.select(api_tokens).where(api_tokens.c.id == new_id)).one()
    return secret, _token(row)


def all_tokens(s: Session) -> list[ApiToken]:
    return [_token(r) for r in s.execute(sa.select(api_tokens).order_by(api_tokens.c.id))]


def revoke(s: Session, token_id: int, now: datetime) -> ApiToken:
    row = s.execute(sa.select(api_tokens).where(api_tokens.c.id == token_id)).first()
    if row is None:
        raise UserError(f"no token {token_id}")
    if row.revoked_at is None:
        s.execute(api_tokens.update().where(api_tokens.c.id == token_id).values(revoked_at=now))
    return _token(s.execute(sa.select(api_tokens).where(api_tokens.c.id == token_id)).one())


def resolve(s: Session, secret: str, now: datetime) -> ApiToken | None:
    if not secret.startswith(tokens.API_TOKEN_PREFIX):
        return None
    row = s.execute(sa.select(api_tokens).where(
        api_tokens.c.token_hash == tokens.digest(secret),
        api_tokens.c.revoked_at.is_(None))).first()
    return _token(row) if row else None


def touch_due(token: ApiToken, now: datetime) -> bool:
    return token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY


def touch(s: Session, token: ApiToken, now: datetime) -> None:
    s.execute(api_tokens.update().where(api_tokens.c.id == token.id).values(last_used_at=now))
