"""Named values that survive a restart (a simulator's progress, a poller's cursor)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from doorstep.store.tables import cursors


def get(session: Session, name: str) -> str | None:
    return session.scalar(sa.select(cursors.c.value).where(cursors.c.name == name))


def put(session: Session, name: str, value: str, at: datetime) -> None:
    updated = session.execute(sa.update(cursors).where(cursors.c.name == name)
                              .values(value=value, updated_at=at))
    if updated.rowcount == 0:  # type: ignore[attr-defined]
        session.execute(sa.insert(cursors).values(name=name, value=value, updated_at=at))
