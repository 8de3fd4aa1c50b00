"""Time-zone rules shared by every entity."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from doorstep.domain.errors import NaiveDatetime


def require_aware(value: datetime, what: str = "timestamp") -> datetime:
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise NaiveDatetime(f"{what} must carry a time zone, got {value.isoformat()}")
    return value


def local_datetime(day: date, at: time, tz: str) -> datetime:
    """The instant a wall-clock time happens on a day in a time zone (DST-correct)."""
    return datetime.combine(day, at, tzinfo=ZoneInfo(tz))


def local_day(instant: datetime, tz: str) -> date:
    return require_aware(instant).astimezone(ZoneInfo(tz)).date()


def next_daytime(instant: datetime, tz: str, start: time, end: time) -> datetime:
    """The first moment at or after `instant` that falls inside the local daytime [start, end)
    of the time zone: `instant` itself when it already does (quiet hours, DST-correct)."""
    local = require_aware(instant).astimezone(ZoneInfo(tz))
    if start <= local.time() < end:
        return instant
    day = local.date() if local.time() < start else local.date() + timedelta(days=1)
    return local_datetime(day, start, tz)
