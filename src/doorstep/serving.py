"""Running the service: web alone, worker alone, or everything in one process."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import uvicorn
from huey.consumer import Consumer

from doorstep.config import Settings
from doorstep.connectors import registry
from doorstep.jobs.embedded import EmbeddedConsumer, start_consumer
from doorstep.runtime import Runtime
from doorstep.store.migrate import is_current, upgrade
from doorstep.web.app import create_app

log = logging.getLogger(__name__)

Feed = Callable[[Runtime, str, threading.Event], None]


class SchemaNotCurrent(RuntimeError):
    """The database schema is missing or older than this doorstep: it would fail every request."""


def prepare(settings: Settings, *, migrate: bool) -> Runtime:
    """The runtime, with the schema upgraded (`migrate`) or, if not, checked to be current."""
    rt = Runtime.build(settings)
    if migrate:
        upgrade(rt.db)
    elif not is_current(rt.db):
        rt.db.dispose()
        raise SchemaNotCurrent("the database schema is not migrated to this version of "
                               "doorstep: run `doorstep migrate` first")
    rt.sync_operator()
    return rt


def serve(settings: Settings, *, embedded_worker: bool, feed: Feed | None = None,
          announce: Callable[[Runtime, str], None] | None = None) -> None:
    """uvicorn in the main thread; with `embedded_worker` the Huey consumer runs in threads of
    this process; `feed` (the demo simulator) runs in a thread once the server listens;
    `announce` tells the person who started it where to go (and, for the demo, how to log in)."""
    rt = prepare(settings, migrate=embedded_worker)
    stop = threading.Event()
    consumer: list[EmbeddedConsumer] = []
    feeder: list[threading.Thread] = []
    base_url = f"http://{settings.host}:{settings.port}"

    def on_start() -> None:
        if embedded_worker:
            consumer.append(start_consumer(rt.huey, settings.workers))
        if registry.keyed(settings):
            rt.tasks.sync_platforms()  # today's and tomorrow's plans, before the first timer
        if feed is not None:
            thread = threading.Thread(target=_run_feed, args=(feed, rt, base_url, stop, server),
                                      name="doorstep-simulator", daemon=True)
            thread.start()
            feeder.append(thread)

    def on_stop() -> None:
        stop.set()
        for thread in feeder:
            thread.join(timeout=10)
        for c in consumer:
            c.stop(graceful=True)
        rt.db.dispose()

    if announce is not None:
        announce(rt, base_url)
    app = create_app(rt, on_start=on_start, on_stop=on_stop)
    server = uvicorn.Server(uvicorn.Config(app, host=settings.host, port=settings.port,
                                           log_config=None, access_log=False))
    server.run()


def _run_feed(feed: Feed, rt: Runtime, base_url: str, stop: threading.Event,
              server: uvicorn.Server) -> None:
    while not server.started and not stop.wait(0.05):
        pass
    if stop.is_set():
        return
    try:
        feed(rt, base_url, stop)
    except Exception:
        log.exception("the simulator stopped on an error; the service keeps running")


def run_worker(settings: Settings) -> None:
    rt = prepare(settings, migrate=False)
    queue = "Redis" if settings.redis_url else f"SQLite ({settings.huey_path})"
    log.info("worker: %d threads on the %s queue", settings.workers, queue)
    Consumer(rt.huey, workers=settings.workers, worker_type="thread", periodic=True).run()
