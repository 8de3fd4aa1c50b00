"""Times and windows as a recipient reads them: in the market's zone and the message's
language ("2:15–3:00 PM", "de 14:15 a 15:00")."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def _clock12(at: datetime, with_half: bool = True) -> str:
    hour = at.hour % 12 or 12
    text = f"{hour}:{at.minute:02d}"
    return f"{text} {'AM' if at.hour < 12 else 'PM'}" if with_half else text


def clock(at: datetime, tz: str, language: str) -> str:
    local = at.astimezone(ZoneInfo(tz))
    return f"{local:%H:%M}" if language == "es" else _clock12(local)


def window(start: datetime, end: datetime, tz: str, language: str) -> str:
    zone = ZoneInfo(tz)
    lo, hi = start.astimezone(zone), end.astimezone(zone)
    if language == "es":
        return f"de {lo:%H:%M} a {hi:%H:%M}"
    same_half = (lo.hour < 12) == (hi.hour < 12) and lo.date() == hi.date()
    return f"{_clock12(lo, with_half=not same_half)}–{_clock12(hi)}"
