"""Templates saved by the operator ("*") and by shippers: stored, and read cheaply by senders.

A sender renders up to thousands of messages a second, so it does not read the table per
message: each claim batch (one database session) asks once whether anything changed since this
process last loaded the table of that database — how many rows, and the latest change, in one
aggregate query — and reloads everything only when the answer differs. Every save moves the
latest change forward (by a microsecond when it lands in the same instant as the one before),
and every removal lowers the count, so any change shows. Two saves committed at once on
PostgreSQL could still land on the same instant; RELOAD_AFTER bounds how long that goes unseen.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from doorstep.store.sql import insert_for
from doorstep.store.tables import templates

OPERATOR = "*"  # the scope of the operator's own defaults
RELOAD_AFTER = 60.0  # seconds
_SESSION_KEY = "doorstep.saved_templates"


@dataclass(frozen=True)
class Key:
    scope: str  # a shipper id, or OPERATOR
    name: str
    language: str
    part: str  # body | subject


@dataclass(frozen=True)
class SavedTemplates:
    """Every saved template's source by key: an immutable snapshot."""

    sources: Mapping[tuple[str, str, str, str], str] = field(default_factory=dict)

    def get(self, scope: str, name: str, language: str, part: str) -> str | None:
        return self.sources.get((scope, name, language, part))


NONE_SAVED = SavedTemplates()


@dataclass
class _Cache:
    stamp: tuple[Any, ...] | None = None
    loaded_at: float = 0.0
    snapshot: SavedTemplates = NONE_SAVED
    lock: threading.Lock = field(default_factory=threading.Lock)


_caches: weakref.WeakKeyDictionary[Any, _Cache] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def _cache_of(s: Session) -> _Cache:
    engine = s.get_bind()
    with _caches_lock:
        cache = _caches.get(engine)
        if cache is None:
            cache = _caches[engine] = _Cache()
        return cache


def _stamp(s: Session) -> tuple[Any, ...]:
    return tuple(s.execute(sa.select(sa.func.count(), sa.func.max(templates.c.updated_at))).one())


def _load(s: Session) -> SavedTemplates:
    rows = s.execute(sa.select(templates.c.scope, templates.c.name, templates.c.language,
                               templates.c.part, templates.c.source))
    return SavedTemplates({(r.scope, r.name, r.language, r.part): r.source for r in rows})


def for_session(s: Session) -> SavedTemplates:
    """The saved templates, checked for changes once per session (a sender's claim batch)."""
    found = s.info.get(_SESSION_KEY)
    if isinstance(found, SavedTemplates):
        return found
    stamp = _stamp(s)
    now = time.monotonic()
    cache = _cache_of(s)
    with cache.lock:
        if stamp != cache.stamp or now - cache.loaded_at > RELOAD_AFTER:
            cache.snapshot = _load(s) if stamp[0] else NONE_SAVED
            cache.stamp, cache.loaded_at = stamp, now
        snapshot = cache.snapshot
    s.info[_SESSION_KEY] = snapshot
    return snapshot


def rows(s: Session, scopes: list[str] | None = None) -> list[Any]:
    """The saved rows (who saved each, when), of `scopes` or all."""
    stmt = sa.select(templates).order_by(templates.c.scope, templates.c.name,
                                         templates.c.language, templates.c.part)
    if scopes is not None:
        stmt = stmt.where(templates.c.scope.in_(scopes))
    return list(s.execute(stmt))


def find(s: Session, key: Key) -> Any | None:
    return s.execute(sa.select(templates).where(
        templates.c.scope == key.scope, templates.c.name == key.name,
        templates.c.language == key.language, templates.c.part == key.part)).first()


def upsert(s: Session, key: Key, source: str, by: str | None, now: datetime) -> None:
    """Store `source` for `key`, replacing what was there. Check it first (templates.check)."""
    latest = s.scalar(sa.select(sa.func.max(templates.c.updated_at)))
    at = now if latest is None or now > latest else latest + timedelta(microseconds=1)
    values = {"source": source, "updated_at": at, "updated_by": by}
    stmt = insert_for(s)(templates).values(scope=key.scope, name=key.name,
                                           language=key.language, part=key.part, **values)
    s.execute(stmt.on_conflict_do_update(index_elements=["scope", "name", "language", "part"],
                                         set_=values))
    s.info.pop(_SESSION_KEY, None)


def delete(s: Session, key: Key) -> bool:
    """Remove the saved template for `key`: the next in the fallback order applies again."""
    gone = s.execute(templates.delete().where(
        templates.c.scope == key.scope, templates.c.name == key.name,
        templates.c.language == key.language, templates.c.part == key.part))
    s.info.pop(_SESSION_KEY, None)
    return bool(getattr(gone, "rowcount", 0))
