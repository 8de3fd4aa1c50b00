"""Tracking links: issue a token for a delivery, resolve it back, keep the recipient's rating.

The token is random (no PII, nothing derived from the delivery) and only its SHA-256 is stored.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from doorstep.store.tables import deliveries, ratings, tracking_tokens

# Policy: a link works until a week after the service date (late questions, POD look-ups).
DEFAULT_TTL = timedelta(days=7)
TOKEN_BYTES = 24  # 192 bits; the issue asks for at least 128


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def expiry(service_date: date, ttl: timedelta = DEFAULT_TTL) -> datetime:
    # The end of the service day (UTC, generous by a few hours either way) plus the ttl.
    return datetime.combine(service_date, time.max, tzinfo=UTC) + ttl


def issue(session: Session, delivery_id: str, now: datetime,
          ttl: timedelta = DEFAULT_TTL, service_date: date | None = None) -> str:
    """A new token for the delivery. Each call makes another valid link (only hashes are
    kept, so an earlier one cannot be handed out again); they all end at the same time."""
    if service_date is None:
        service_date = session.scalar(sa.select(deliveries.c.service_date)
                                      .where(deliveries.c.id == delivery_id))
    if service_date is None:
        raise LookupError(f"no delivery {delivery_id}")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.execute(sa.insert(tracking_tokens).values(
        token_hash=hash_token(token), delivery_id=delivery_id, created_at=now,
        expires_at=max(expiry(service_date, ttl), now + ttl)))
    return token


def resolve(session: Session, token: str, now: datetime) -> str | None:
    """The delivery the token opens, or None if unknown or expired."""
    if not token or len(token) > 200:
        return None
    return session.scalar(sa.select(tracking_tokens.c.delivery_id).where(
        tracking_tokens.c.token_hash == hash_token(token), tracking_tokens.c.expires_at > now))


def rate(session: Session, delivery_id: str, rating: int, now: datetime) -> None:
    """Keep the recipient's rating; a later one replaces it."""
    updated = session.execute(sa.update(ratings).where(ratings.c.delivery_id == delivery_id)
                              .values(rating=rating, rated_at=now))
    if updated.rowcount == 0:  # type: ignore[attr-defined]
        session.execute(sa.insert(ratings).values(delivery_id=delivery_id, rating=rating,
                                                  rated_at=now))


def rating_of(session: Session, delivery_id: str) -> int | None:
    return session.scalar(sa.select(ratings.c.rating).where(ratings.c.delivery_id == delivery_id))
