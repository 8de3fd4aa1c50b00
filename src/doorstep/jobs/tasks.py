"""Every task and schedule of doorstep, declared in one place."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from huey import crontab
from huey.api import Huey
from huey.exceptions import TaskLockedException

from doorstep.events.processing import process_batch
from doorstep.messaging import daytime, due, sender
from doorstep.messaging.channels.registry import channels_for
from doorstep.store import event_log

if TYPE_CHECKING:
    from doorstep.runtime import Runtime

log = logging.getLogger(__name__)
BATCH = 500


@dataclass
class Tasks:
    process_events: Any
    sweep: Any
    send_messages: Any

    def enqueue_events(self, ids: list[int]) -> None:
        for start in range(0, len(ids), BATCH):
            self.process_events(ids[start:start + BATCH])


def register(huey: Huey, rt: Runtime) -> Tasks:
    """Declare the tasks on `huey`, bound to this process's runtime. Names are explicit so
    that a web process and a worker process agree on them."""

    @huey.task(name="doorstep.process_events", retries=3, retry_delay=5)  # type: ignore[untyped-decorator]
    def process_events(ids: list[int]) -> None:
        woken = process_batch(rt.db, rt.clock, rt.policies, ids)
        if woken:
            tasks.enqueue_events(woken)

    @huey.periodic_task(crontab(minute="*"), name="doorstep.sweep")  # type: ignore[untyped-decorator]
    def sweep() -> None:
        sweep_lost_work(rt)

    @huey.periodic_task(crontab(minute="*"), name="doorstep.send_messages")  # type: ignore[untyped-decorator]
    def send_messages() -> None:
        drain_outbox(rt)

    tasks = Tasks(process_events=process_events, sweep=sweep, send_messages=send_messages)
    return tasks


OUTBOX_PASSES = 20  # full batches one task sends before it makes way for other work
# How long one task goes on pacing what send budgets hold back: the next run starts a minute
# after this one, so a backlog is sent at its senders' rates without a minute's gap.
OUTBOX_PACING = timedelta(seconds=50)


def daytime_of(rt: Runtime) -> daytime.Daytime:
    hours = rt.operator.policies.quiet_hours
    return daytime.Daytime(hours.start, hours.end)


def drain_outbox(rt: Runtime) -> int:
    """Send what is due and settle sends whose worker died. Several workers may drain at once:
    each claims its own messages."""
    channels = channels_for(rt.settings)
    until = rt.clock.now() + OUTBOX_PACING
    sent = full = 0
    while full < OUTBOX_PASSES and rt.clock.now() < until:
        handed = sender.send_due(rt.db, channels, rt.clock.now, daytime=daytime_of(rt),
                                 limiter=rt.limiter)
        sent += handed
        if handed == sender.BATCH:
            full += 1
        elif not handed and not due.wait_for_next(rt.db, rt.clock, before=until):
            break
    sender.reconcile(rt.db, channels, rt.clock.now,
                     timedelta(seconds=rt.settings.outbox_stale_seconds))
    return sent


def sweep_lost_work(rt: Runtime) -> int:
    """Re-enqueue stored work whose job was lost (a crash, a flushed queue, retries spent), and
    deferred or failed events whose next try is due.

    One sweeper at a time across all workers (a lock in the queue's own storage). An event
    whose job is merely slow may be enqueued twice; processing it twice is harmless.
    """
    try:
        with rt.huey.lock_task("doorstep.sweep"):
            now = rt.clock.now()
            older_than = now - timedelta(seconds=rt.settings.sweep_interval_seconds)
            with rt.db.reading() as session:
                ids = event_log.lost_work(session, now, older_than)
            if ids:
                log.warning("sweep: re-enqueuing %d events", len(ids))
                rt.tasks.enqueue_events(ids)
            return len(ids)
    except TaskLockedException:
        return 0
