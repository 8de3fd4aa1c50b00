"""Jinja2 for the dashboard: autoescaped templates and the filters pages share."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.templating import Jinja2Templates

from doorstep import __version__

templates = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))


def local_time(value: datetime | None, tz: str, fmt: str = "%H:%M") -> str:
    """A moment in the market's own time zone (people read their own clock, not UTC)."""
    if value is None:
        return "—"
    return value.astimezone(ZoneInfo(tz)).strftime(fmt)


def number(value: int | float | None) -> str:
    return "—" if value is None else f"{value:,}"


def label(value: Any) -> str:
    """`out_for_delivery` → `out for delivery`."""
    return str(getattr(value, "value", value)).replace("_", " ")


templates.env.filters.update(local=local_time, number=number, label=label)
templates.env.globals.update(version=__version__)
