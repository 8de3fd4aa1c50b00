"""The connectors' recurring work: sync what the platforms plan, poll those without push, make
the writes owed to them, fetch one object an event named but doorstep does not know."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from doorstep.connectors import health, writes
from doorstep.connectors.base import SyncReport
from doorstep.connectors.http import PlatformError, PlatformUnavailable

if TYPE_CHECKING:
    from doorstep.runtime import Runtime

log = logging.getLogger(__name__)


def sync_days(rt: Runtime) -> list[date]:
    """Today and tomorrow, wherever the operator's markets are (a day may differ by market)."""
    now = rt.clock.now()
    today = {now.astimezone(ZoneInfo(m.timezone)).date() for m in rt.operator.markets}
    return sorted(today | {d + timedelta(days=1) for d in today})


def sync_all(rt: Runtime) -> dict[str, SyncReport]:
    reports = {}
    for name, connector in rt.connectors().items():
        try:
            reports[name] = connector.sync(sync_days(rt))
        except (PlatformUnavailable, PlatformError) as err:
            log.warning("%s sync did not finish: %s", name, err)
            health.record(rt, name, str(err))
        else:
            health.record(rt, name, None)
    return reports


def poll_all(rt: Runtime) -> dict[str, SyncReport]:
    reports = {}
    for name, connector in rt.connectors().items():
        try:
            reports[name] = connector.poll()
        except (PlatformUnavailable, PlatformError) as err:
            log.warning("%s poll did not finish: %s", name, err)
            health.record(rt, name, str(err))
        else:
            health.record(rt, name, None)
    return reports


def sync_one(rt: Runtime, platform: str, kind: str, platform_id: str) -> SyncReport | None:
    connector = rt.connectors().get(platform)
    if connector is None:
        return None
    try:
        report = connector.sync_one(kind, platform_id)
    except (PlatformUnavailable, PlatformError) as err:
        log.warning("%s: could not fetch %s %s: %s", platform, kind, platform_id, err)
        health.record(rt, platform, str(err))
        return None
    health.record(rt, platform, None)
    return report


def drain_writes(rt: Runtime) -> dict[str, int]:
    return writes.drain(rt, rt.connectors())
