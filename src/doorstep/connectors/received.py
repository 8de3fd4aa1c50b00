"""What a connector hands to doorstep: the platform's facts, translated into events of the v1
format and stored once by a key derived from the platform's own event; or, when a payload does
not have the documented shape, the payload as received, flagged with the reason for a person.

A platform that gets a 4xx or 5xx retries for a day and then disables the webhook, so a payload
doorstep cannot read is kept and answered 200, never refused.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from doorstep.domain import EventStatus, EventType
from doorstep.events.format import make_event
from doorstep.events.intake import IntakeResult
from doorstep.events.parse import InvalidEvent
from doorstep.store.sql import insert_for, inserted
from doorstep.store.tables import deliveries, drivers, events, routes

if TYPE_CHECKING:
    from doorstep.runtime import Runtime

log = logging.getLogger(__name__)

MAX_KEY = 128


class Unmappable(ValueError):
    """A payload that does not have the documented shape; the message says where and how."""


def event_key(*parts: object) -> str:
    """A stable event id from the parts that make a platform's event unique; hashed when long."""
    key = ":".join("" if p is None else str(p) for p in parts)
    if len(key) <= MAX_KEY - 4:  # room for the "/n" suffix of several events from one payload
        return key
    return "h:" + hashlib.sha256(key.encode()).hexdigest()


@dataclass
class Translated:
    """One platform payload's meaning in doorstep's words, before it is stored."""

    key: str  # the platform event's identity (event_key)
    occurred_at: datetime
    items: list[tuple[EventType, dict[str, Any]]]

    def events(self) -> list[dict[str, Any]]:
        return [make_event(f"{self.key}/{n}" if n else self.key, kind, self.occurred_at, data)
                for n, (kind, data) in enumerate(self.items)]


def store(rt: Runtime, source: str, translated: Sequence[Translated]) -> IntakeResult:
    """Store translated payloads through the one intake path (dedup, then processing)."""
    batch = [e for t in translated for e in t.events()]
    if not batch:
        return IntakeResult()
    result = IntakeResult()
    for start in range(0, len(batch), 1000):
        part = rt.intake.accept(source, batch[start:start + 1000])
        result.stored.extend(part.stored)
        result.duplicates += part.duplicates
    return result


def store_or_flag(rt: Runtime, source: str, name: str, payload: Any, body: bytes,
                  translated: Translated | None, problem: str | None) -> str:
    """Store one payload's events, or, if it could not be translated or its events do not hold
    up, the payload itself flagged with the reason. Returns "stored", "duplicate" or "flagged"."""
    if translated is not None and problem is None:
        try:
            result = store(rt, source, [translated])
        except InvalidEvent as err:
            problem = "; ".join(err.problems)
        else:
            return "stored" if result.stored else "duplicate"
    key = (translated.key if translated is not None
           else "raw:" + hashlib.sha256(body).hexdigest())
    flag(rt, source, name, key, payload if isinstance(payload, dict) else {"raw": _text(body)},
         problem or "not understood", translated.occurred_at if translated else None)
    return "flagged"


def flag(rt: Runtime, source: str, name: str, key: str, payload: dict[str, Any], reason: str,
         occurred_at: datetime | None = None) -> bool:
    """Keep a payload doorstep cannot apply, once, for a person; True when it was new."""
    now = rt.clock.now()
    log.warning("%s %s kept and flagged: %s", source, name, reason[:300])
    with rt.db.transaction() as s:
        return inserted(s, insert_for(s)(events).values(
            source=source, external_id=key[:MAX_KEY], type=f"{source}.{name}"[:64],
            occurred_at=occurred_at or now, received_at=now, payload=_storable(payload),
            subject=None, status=EventStatus.FLAGGED, tries=0, processed_at=now,
            note=reason[:2000],
        ).on_conflict_do_nothing(index_elements=["source", "external_id"]), events.c.id)


def known(rt: Runtime, kind: str, ids: Sequence[str]) -> set[str]:
    """Which of these deliveries, drivers or routes doorstep has heard of."""
    table = {"delivery": deliveries, "driver": drivers, "route": routes}[kind]
    if not ids:
        return set()
    with rt.db.reading() as s:
        return set(s.scalars(sa.select(table.c.id).where(table.c.id.in_(list(set(ids))))))


def _text(body: bytes) -> str:
    return body[:100_000].decode("utf-8", "replace").replace("\x00", "\ufffd")


def _storable(payload: dict[str, Any]) -> dict[str, Any]:
    # PostgreSQL's JSON cannot hold NUL; keep what was sent, visibly altered, not refused.
    text = json.dumps(payload, ensure_ascii=False, default=str)
    if "\\u0000" in text:
        text = text.replace("\\u0000", "\\ufffd")
    loaded: dict[str, Any] = json.loads(text)
    return loaded
