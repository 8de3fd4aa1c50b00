"""Every task and schedule of doorstep, declared in one place."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from huey import crontab
from huey.api import Huey
from huey.exceptions import TaskLockedException

from doorstep.connectors import jobs as platform_jobs
from doorstep.events.processing import process_batch
from doorstep.messaging import daytime, due, sender
from doorstep.messaging.channels.registry import channels_for
from doorstep.notify import schedule
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
    sync_platforms: Any
    sync_platform_object: Any

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
        # What the batch queued goes within seconds, not at the next minute's drain. Not in
        # immediate mode, where a job runs inside its caller: a platform's webhook request
        # must not wait on the SMS provider.
        if not huey.immediate and due.next_due(rt.db, rt.clock.now()) == rt.clock.now():
            send_now()

    @huey.task(name="doorstep.send_now")  # type: ignore[untyped-decorator]
    def send_now() -> None:
        send_what_is_due(rt)

    @huey.periodic_task(crontab(minute="*"), name="doorstep.notify_due")  # type: ignore[untyped-decorator]
    def notify_due() -> None:
        schedule.queue_due(rt.db, rt.policies, rt.clock.now())

    @huey.periodic_task(crontab(minute="*"), name="doorstep.sweep")  # type: ignore[untyped-decorator]
    def sweep() -> None:
        sweep_lost_work(rt)

    @huey.periodic_task(crontab(minute="*"), name="doorstep.send_messages")  # type: ignore[untyped-decorator]
    def send_messages() -> None:
        drain_outbox(rt)

    every = rt.settings.platform_sync_minutes
    sync_minutes = f"*/{every}" if every < 60 and 60 % every == 0 else "0"

    @huey.periodic_task(crontab(minute=sync_minutes), name="doorstep.sync_platforms")  # type: ignore[untyped-decorator]
    def sync_platforms() -> None:
        if rt.connectors():
            platform_jobs.sync_all(rt)

    @huey.periodic_task(crontab(minute="*"), name="doorstep.poll_platforms")  # type: ignore[untyped-decorator]
    def poll_platforms() -> None:
        if rt.connectors():
            poll_for_a_minute(rt)

    @huey.periodic_task(crontab(minute="*"), name="doorstep.write_platforms")  # type: ignore[untyped-decorator]
    def write_platforms() -> None:
        if rt.connectors():
            platform_jobs.drain_writes(rt)

    @huey.task(name="doorstep.sync_platform_object", retries=3, retry_delay=30)  # type: ignore[untyped-decorator]
    def sync_platform_object(platform: str, kind: str, platform_id: str) -> None:
        platform_jobs.sync_one(rt, platform, kind, platform_id)

    tasks = Tasks(process_events=process_events, sweep=sweep, send_messages=send_messages,
                  sync_platforms=sync_platforms, sync_platform_object=sync_platform_object)
    return tasks


def poll_for_a_minute(rt: Runtime) -> None:
    """Poll the platforms without push every `optimoroute_poll_seconds` until the next run is
    due; one poller at a time, so a cursor is never read by two."""
    try:
        with rt.huey.lock_task("doorstep.poll_platforms"):
            ends = time.monotonic() + 50
            pause = threading.Event()
            while True:
                platform_jobs.poll_all(rt)
                if time.monotonic() + rt.settings.optimoroute_poll_seconds > ends:
                    return
                pause.wait(rt.settings.optimoroute_poll_seconds)
    except TaskLockedException:
        return


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


def send_what_is_due(rt: Runtime) -> int:
    """Send what is due now, without waiting for what is put off (the minute's drain does)."""
    channels = channels_for(rt.settings)
    sent = 0
    for _ in range(OUTBOX_PASSES):
        handed = sender.send_due(rt.db, channels, rt.clock.now, daytime=daytime_of(rt),
                                 limiter=rt.limiter)
        sent += handed
        if handed < sender.BATCH:
            break
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
