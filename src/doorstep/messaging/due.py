"""When the outbox next has something to send, and waiting for it on the runtime's clock.

A drain whose due messages were all put off (over a sender's send budget, outside daytime)
sleeps until the first of them is due rather than asking the database again and again.
"""

from __future__ import annotations

import threading
from datetime import datetime

import sqlalchemy as sa

from doorstep.clock import Clock
from doorstep.domain import MessageStatus
from doorstep.store.db import Database
from doorstep.store.tables import messages

# Something due that a pass did not hand over is held by another worker's claim (or was just
# put off in bulk): look again this soon, in real seconds, rather than at once.
POLL = 0.05


def next_due(db: Database, now: datetime) -> datetime | None:
    """`now` when a queued message is due, else the earliest `send_after`; None if nothing is
    queued."""
    queued = messages.c.status == MessageStatus.QUEUED
    with db.reading() as s:
        due = sa.or_(messages.c.send_after.is_(None), messages.c.send_after <= now)
        if s.scalar(sa.select(sa.exists().where(queued, due))):
            return now
        found: datetime | None = s.scalar(sa.select(sa.func.min(messages.c.send_after))
                                          .where(queued))
        return found


def runs(clock: Clock) -> bool:
    """False for a paused virtual clock: only its owner moves it, so waiting brings nothing."""
    return float(getattr(clock, "speed", 1.0)) > 0


def wait_for_next(db: Database, clock: Clock, stop: threading.Event | None = None, *,
                  most: float = 1.0, before: datetime | None = None) -> bool:
    """Wait until the outbox's next message is due, `most` real seconds at the longest, and
    say True. False at once when nothing is queued, when the next is due only at or after
    `before`, when the clock has reached `before`, or when the clock does not run by itself."""
    now = clock.now()
    due = next_due(db, now)
    if due is None or not runs(clock) or (before is not None and (due >= before
                                                                   or now >= before)):
        return False
    ahead = (due - now).total_seconds()
    seconds = ahead / float(getattr(clock, "speed", 1.0)) if ahead > 0 else POLL
    (stop or threading.Event()).wait(min(seconds, most))
    return True
