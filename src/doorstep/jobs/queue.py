"""The Huey instance: SQLite inside `doorstep serve`, Redis when DOORSTEP_REDIS_URL is set."""

from __future__ import annotations

from huey import RedisHuey, SqliteHuey
from huey.api import Huey

from doorstep.config import Settings


def build_huey(settings: Settings, *, immediate: bool = False) -> Huey:
    if settings.redis_url:
        return RedisHuey("doorstep", url=settings.redis_url, results=False, immediate=immediate)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # The queue holds only ids and the sweep re-enqueues from the database whatever it loses,
    # so it need not survive a power cut: no fsync per enqueue (it cost ~2 ms each).
    return SqliteHuey("doorstep", filename=str(settings.huey_path), results=False,
                      immediate=immediate, timeout=60, fsync=False)


def ping(huey: Huey) -> int:
    """Reach the queue's storage; return how many jobs wait in it."""
    return int(huey.pending_count())
