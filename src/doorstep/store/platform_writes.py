"""The writes doorstep owes the route platforms: queued in the decision's transaction, claimed
and settled by the job that makes them (connectors/writes.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from doorstep.store import platform_links
from doorstep.store.sql import insert_for, inserted
from doorstep.store.tables import platform_writes as writes


class WriteKind(StrEnum):
    ASSIGN_ROUTE = "assign_route"  # {route_id, driver_id, vehicle_id}
    DISPOSITION = "disposition"  # {delivery_id, disposition, notes, redelivery_date}
    REDELIVERY = "redelivery"  # {delivery_id, date, instructions}: a new task/order
    INSTRUCTIONS = "instructions"  # {delivery_id, instructions}
    SILENCE_RECIPIENT = "silence_recipient"  # {delivery_id}: the platform's own SMS off


class WriteStatus(StrEnum):
    QUEUED = "queued"
    DONE = "done"
    FAILED = "failed"  # refused by the platform or never read back as written: for a person


SUBJECT = {WriteKind.ASSIGN_ROUTE: "route"}


def queue(session: Session, kind: WriteKind, subject_id: str, payload: dict[str, Any],
          version: str, now: datetime) -> int:
    """Queue the write for every platform that knows the subject; returns how many were new.
    `version` tells one write of a subject from the next (a second disposition is a new write;
    the same one queued twice is not)."""
    subject_type = SUBJECT.get(kind, "delivery")
    queued = 0
    for platform in platform_links.platforms_of(session, subject_type, subject_id):
        key = f"{platform}:{kind.value}:{subject_type}:{subject_id}:{version}"[:300]
        queued += inserted(session, insert_for(session)(writes).values(
            platform=platform, kind=kind.value, subject_type=subject_type,
            subject_id=subject_id, dedup_key=key, payload=payload,
            status=WriteStatus.QUEUED.value, tries=0, created_at=now, next_try_at=now,
        ).on_conflict_do_nothing(index_elements=["dedup_key"]), writes.c.id)
    return queued


def claim(session: Session, platform: str, now: datetime, lease_until: datetime,
          limit: int = 100) -> list[Any]:
    """Queued writes whose time has come, oldest first, leased to this worker until
    `lease_until` (a worker that dies mid-write leaves them to be tried again then)."""
    stmt = (sa.select(writes).where(writes.c.platform == platform,
                                    writes.c.status == WriteStatus.QUEUED.value,
                                    writes.c.next_try_at <= now)
            .order_by(writes.c.id).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    rows = list(session.execute(stmt).all())
    if rows:
        session.execute(sa.update(writes).where(writes.c.id.in_([r.id for r in rows]))
                        .values(next_try_at=lease_until))
    return rows


def settle(session: Session, ids: Sequence[int] | int, status: WriteStatus, now: datetime, *,
           error: str | None = None, read_back: dict[str, Any] | None = None,
           retry_at: datetime | None = None) -> None:
    """Record a try: done, failed for good, or (retry_at) queued again for later."""
    ids = [ids] if isinstance(ids, int) else list(ids)
    values: dict[str, Any] = {"tries": writes.c.tries + 1, "last_error": error,
                              "status": status.value}
    if read_back is not None:
        values["read_back"] = read_back
    if retry_at is not None:
        values.update(status=WriteStatus.QUEUED.value, next_try_at=retry_at)
    else:
        values.update(settled_at=now, next_try_at=None)
    session.execute(sa.update(writes).where(writes.c.id.in_(ids)).values(values))
