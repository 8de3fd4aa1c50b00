"""The event log: stored once by (source, external id), claimed by jobs, swept when lost."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from doorstep.domain import Event, EventStatus
from doorstep.store.sql import count_by, insert_for
from doorstep.store.tables import (
    deliveries,
    drivers,
    events,
    exceptions,
    routes,
    shifts,
    vehicles,
)


def insert_new(session: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert the rows not stored yet; return the ids of those inserted, in input order."""
    if not rows:
        return []
    # In key order: two requests carrying overlapping events in different orders would
    # otherwise each wait on a key the other inserted first (a deadlock on PostgreSQL).
    values = sorted(({**r, "status": EventStatus.STORED, "tries": 0} for r in rows),
                    key=lambda v: (v["source"], v["external_id"]))
    insert = insert_for(session)
    # Rows go as parameters (executemany), so the statement is compiled once and cached.
    stmt = (insert(events).on_conflict_do_nothing(index_elements=["source", "external_id"])
            .returning(events.c.id, events.c.source, events.c.external_id))
    inserted = {(src, ext): id_ for id_, src, ext in session.execute(stmt, values).all()}
    new: list[int] = []
    for r in rows:  # input order; an event repeated within the batch is reported once
        id_ = inserted.pop((r["source"], r["external_id"]), None)
        if id_ is not None:
            new.append(id_)
    return new


def load(session: Session, ids: Sequence[int], *, lock: bool) -> list[Event]:
    """The events of a batch in the order given; locked (PostgreSQL) against other workers."""
    stmt = sa.select(Event).where(events.c.id.in_(ids))
    if lock:
        stmt = stmt.order_by(events.c.id).with_for_update()
    found = {e.id: e for e in session.scalars(stmt)}
    return [found[i] for i in ids if i in found]


def waiting_for(session: Session, keys: Sequence[str]) -> list[int]:
    """Deferred events waiting for any of `keys`, oldest fact first."""
    found: list[int] = []
    for start in range(0, len(keys), 500):
        stmt = (sa.select(events.c.id)
                .where(events.c.waits_for.in_(set(keys[start:start + 500])),
                       events.c.status == EventStatus.DEFERRED)
                .order_by(events.c.occurred_at, events.c.id))
        found.extend(session.scalars(stmt))
    return found


GIVE_UP_AFTER = 10  # a failed event tried this often is left for a person


def lost_work(session: Session, now: datetime, older_than: datetime,
              limit: int = 5000) -> list[int]:
    """Events a job should have settled by now: stored before `older_than` and never settled,
    and deferred or failed ones whose next try is due (a failed one at most GIVE_UP_AFTER
    times)."""
    due = sa.or_(events.c.next_try_at.is_(None), events.c.next_try_at <= now)
    stmt = (sa.select(events.c.id)
            .where(sa.or_(
                sa.and_(events.c.status == EventStatus.STORED,
                        events.c.received_at < older_than),
                sa.and_(events.c.status == EventStatus.DEFERRED, due),
                sa.and_(events.c.status == EventStatus.FAILED, due,
                        events.c.tries < GIVE_UP_AFTER)))
            .order_by(events.c.occurred_at, events.c.id).limit(limit))
    return list(session.scalars(stmt))


SUBJECT_TABLES = {"delivery": deliveries, "route": routes, "shift": shifts, "driver": drivers,
                  "vehicle": vehicles, "exception": exceptions}


def existing_subjects(session: Session, keys: set[str]) -> set[str]:
    """Which of the subjects ("delivery:D-1", ...) are stored now."""
    present: set[str] = set()
    by_kind: dict[str, list[str]] = {}
    for key in keys:
        kind, _, ident = key.partition(":")
        by_kind.setdefault(kind, []).append(ident)
    for kind, idents in by_kind.items():
        table = SUBJECT_TABLES.get(kind)
        if table is not None:
            found = session.scalars(sa.select(table.c.id).where(table.c.id.in_(idents)))
            present.update(f"{kind}:{i}" for i in found)
    return present


def count_by_status(session: Session) -> dict[str, int]:
    return count_by(session, events.c.status)
