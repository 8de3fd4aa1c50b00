"""The event log: stored once by (source, external id), claimed by jobs, swept when lost."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from doorstep.domain import Event, EventStatus
from doorstep.store.tables import events


def insert_new(session: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert the rows not stored yet; return the ids of those inserted, in input order."""
    if not rows:
        return []
    # In key order: two requests carrying overlapping events in different orders would
    # otherwise each wait on a key the other inserted first (a deadlock on PostgreSQL).
    values = sorted(({**r, "status": EventStatus.STORED, "tries": 0} for r in rows),
                    key=lambda v: (v["source"], v["external_id"]))
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
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


def lost_work(session: Session, older_than: datetime, limit: int = 5000) -> list[int]:
    """Events a job should have settled by now: stored but not processed, deferred, failed."""
    stmt = (sa.select(events.c.id)
            .where(events.c.status.in_([EventStatus.STORED, EventStatus.DEFERRED,
                                        EventStatus.FAILED]),
                   events.c.received_at < older_than, events.c.tries < 10)
            .order_by(events.c.occurred_at, events.c.id).limit(limit))
    return list(session.scalars(stmt))


def count_by_status(session: Session) -> dict[str, int]:
    stmt = sa.select(events.c.status, sa.func.count()).group_by(events.c.status)
    return {str(status): n for status, n in session.execute(stmt).all()}
