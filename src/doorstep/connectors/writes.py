"""Making the writes doorstep owes the platforms: each one idempotent, read back, retried while
the platform is away, and left for a person (with the platform's words) when it refuses."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from doorstep.connectors import health
from doorstep.connectors.base import Connector, NotReadBack, Write
from doorstep.connectors.http import PlatformError, PlatformUnavailable
from doorstep.store import platform_writes
from doorstep.store.platform_writes import WriteKind, WriteStatus

if TYPE_CHECKING:
    from doorstep.runtime import Runtime

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
# After the n-th failed try; a write the platform keeps refusing to show is given up after these.
RETRY_AFTER = [timedelta(minutes=m) for m in (1, 2, 5, 15, 30, 60, 120, 240)]
NOT_READ_BACK_TRIES = 3


def drain(rt: Runtime, connectors: dict[str, Connector], limit: int = 100) -> dict[str, int]:
    """Make every due write; returns how many were done per platform."""
    done: dict[str, int] = {}
    for name, connector in connectors.items():
        now = rt.clock.now()
        with rt.db.transaction() as s:
            rows = platform_writes.claim(s, name, now, now + LEASE, limit)
        done[name] = 0
        for row in rows:
            write = Write(id=row.id, kind=WriteKind(row.kind), subject_id=row.subject_id,
                          payload=dict(row.payload))
            if _make(rt, name, connector, write, row.tries):
                done[name] += 1
            elif health.state(rt, name).get("ok") is False:
                break  # the platform is away: the rest wait for it, unclaimed after the lease
    return done


def _make(rt: Runtime, name: str, connector: Connector, write: Write, tries: int) -> bool:
    try:
        shown = connector.write(write)
    except PlatformUnavailable as err:
        health.record(rt, name, str(err))
        _settle(rt, write, str(err), tries, give_up=False)
        return False
    except PlatformError as err:
        health.record(rt, name, None)
        log.warning("%s refused %s for %s: %s", name, write.kind.value, write.subject_id, err)
        _settle(rt, write, str(err), tries, give_up=True)
        return False
    except NotReadBack as err:
        health.record(rt, name, None)
        _settle(rt, write, f"not read back: {err}", tries,
                give_up=tries + 1 >= NOT_READ_BACK_TRIES)
        return False
    health.record(rt, name, None)
    with rt.db.transaction() as s:
        platform_writes.settle(s, write.id, WriteStatus.DONE, rt.clock.now(), read_back=shown)
    return True


def _settle(rt: Runtime, write: Write, error: str, tries: int, *, give_up: bool) -> None:
    now = rt.clock.now()
    with rt.db.transaction() as s:
        if give_up or tries >= len(RETRY_AFTER):
            platform_writes.settle(s, write.id, WriteStatus.FAILED, now, error=error[:2000])
        else:
            platform_writes.settle(s, write.id, WriteStatus.QUEUED, now, error=error[:2000],
                                   retry_at=now + RETRY_AFTER[tries])
