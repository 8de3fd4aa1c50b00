"""The one intake path for every source: verify (done by the caller) -> store once -> enqueue.

A batch is validated whole before anything is written: one bad event refuses the batch and
nothing of it is stored. Events already stored under the same (source, external id) are
counted as duplicates and change nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from doorstep.clock import Clock
from doorstep.events.format import subject_of
from doorstep.events.parse import InvalidEvent, nul_problems, parse_event
from doorstep.store import event_log
from doorstep.store.db import Database

MAX_BATCH = 1000
log = logging.getLogger(__name__)


@dataclass
class IntakeResult:
    stored: list[int] = field(default_factory=list)  # ids of newly stored events
    duplicates: int = 0


class Intake:
    """Stores events once and hands their ids to `enqueue` after the commit."""

    def __init__(self, db: Database, clock: Clock, enqueue: Callable[[list[int]], None]) -> None:
        self.db = db
        self.clock = clock
        self.enqueue = enqueue

    def accept(self, source: str, raw_events: Sequence[Any]) -> IntakeResult:
        if not raw_events:
            raise InvalidEvent(["(body): expected an event or a non-empty list of events"])
        if len(raw_events) > MAX_BATCH:
            raise InvalidEvent([f"(body): at most {MAX_BATCH} events in one request"])
        parsed = []
        problems = nul_problems(list(raw_events))
        for i, raw in enumerate(raw_events):
            try:
                parsed.append(parse_event(raw))
            except InvalidEvent as err:
                prefix = f"[{i}]." if len(raw_events) > 1 else ""
                problems.extend(prefix + p for p in err.problems)
        if problems:
            raise InvalidEvent(problems)
        now = self.clock.now()
        rows = [
            {
                "source": source,
                "external_id": env.id,
                "type": env.type.value,
                "occurred_at": env.occurred_at,
                "received_at": now,
                "payload": env.data,
                "subject": subject_of(env.type, data),
            }
            for env, data in parsed
        ]
        with self.db.transaction() as session:
            stored = event_log.insert_new(session, rows)
        if stored:
            try:
                self.enqueue(stored)
            except Exception:  # stored is what the sender needs; the sweep queues them later
                log.exception("queue unreachable: %d stored events wait for the sweep",
                              len(stored))
        return IntakeResult(stored=stored, duplicates=len(rows) - len(stored))
