"""OptimoRoute's times (contracts/optimoroute.md §3, §6.1): time objects with a Unix timestamp
and offset-less UTC and local strings; route times as local date-times without an offset
(space or `T`); time windows as `HH:MM` on the order's date. Local times are read in the
time zone of the depot the thing belongs to."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def instant(obj: Any) -> datetime | None:
    """A §3 time object (or an event, which carries the same fields) as an aware instant."""
    if not isinstance(obj, dict):
        return None
    stamp = obj.get("unixTimestamp")
    if isinstance(stamp, int | float) and not isinstance(stamp, bool) and stamp > 0:
        return datetime.fromtimestamp(int(stamp), UTC)
    text = obj.get("utcTime")
    if isinstance(text, str):
        parsed = _parse(text)
        if parsed is not None:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def local(text: Any, tz: ZoneInfo) -> datetime | None:
    """`2026-03-03 09:40:00` (or with a `T`) read as wall-clock time in `tz`."""
    if not isinstance(text, str):
        return None
    parsed = _parse(text)
    if parsed is None or parsed.tzinfo is not None:
        return parsed
    return parsed.replace(tzinfo=tz)


def hhmm(text: Any) -> time | None:
    match = _HHMM.match(text.strip()) if isinstance(text, str) else None
    return time(int(match.group(1)), int(match.group(2))) if match else None


def on_day(day: date, at: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=tz)


def window(day: date, windows: Any, tz: ZoneInfo) -> tuple[datetime, datetime] | None:
    """The earliest well-formed time window of the order's day (doorstep keeps one)."""
    if not isinstance(windows, list):
        return None
    spans = []
    for w in windows:
        if not isinstance(w, dict):
            continue
        start, end = hhmm(w.get("twFrom")), hhmm(w.get("twTo"))
        if start is not None and end is not None and end > start:
            spans.append((on_day(day, start, tz), on_day(day, end, tz)))
    return min(spans) if spans else None


def day_before_start(day: date, tz: ZoneInfo) -> datetime:
    """Midnight starting the day before `day`, the earliest an order for `day` is placed."""
    return datetime.combine(day - timedelta(days=1), time(0, 0), tzinfo=tz)


def _parse(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.strip().replace(" ", "T", 1))
    except ValueError:
        return None
