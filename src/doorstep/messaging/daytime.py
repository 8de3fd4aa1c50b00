"""Quiet hours: when a message to a recipient may go, in the local time of its market.

The operator's own people (the dispatch supervisor, operations) and alerts are told at any
hour; a recipient is not texted or emailed something that is not urgent outside the daytime
of the policy (default 08:00–21:00)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from doorstep.domain import Channel
from doorstep.domain.timeutil import next_daytime
from doorstep.store.tables import markets

URGENT_AUDIENCES = {"supervisor", "operations"}  # the operator's own people: any hour


@dataclass(frozen=True)
class Daytime:
    """When a recipient may be texted or emailed something that is not urgent, in the local
    time of the message's market (policy; default 08:00–21:00)."""

    start: time = time(8, 0)
    end: time = time(21, 0)


def waits_for_daytime(s: Session, row: Any, now: datetime, daytime: Daytime) -> datetime | None:
    """When a non-urgent message to a recipient must wait for daytime, the moment it may go."""
    context = row.context or {}
    if row.channel == Channel.ALERT or context.get("audience") in URGENT_AUDIENCES \
            or context.get("urgent") or not row.market_id:
        return None
    tz = s.scalar(sa.select(markets.c.timezone).where(markets.c.id == row.market_id))
    if tz is None:
        return None
    due = next_daytime(now, tz, daytime.start, daytime.end)
    return due if due > now else None
