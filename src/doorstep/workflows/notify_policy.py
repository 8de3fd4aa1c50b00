"""A shipper's notification policy: which notices its recipients get, when, and how.

Written in the operator's file under `[shippers.notify]`; every field has a default an
operator can keep.
"""

from __future__ import annotations

from datetime import time
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class Notice(StrEnum):
    EVENING_BEFORE = "evening_before"  # tomorrow's delivery, with its window where known
    MORNING_OF = "morning_of"  # today's delivery, before the route starts
    ROUTE_STARTED = "route_started"  # on its way today: the first live window
    RUNNING_LATE = "running_late"  # the live estimate left the window held: a new window
    STOPS_AWAY = "stops_away"  # the driver is N stops away: a narrowed window
    DELIVERED = "delivered"  # proof of delivery captured


class NotifyPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    notices: list[Notice] = [Notice.EVENING_BEFORE, Notice.ROUTE_STARTED, Notice.RUNNING_LATE,
                             Notice.STOPS_AWAY, Notice.DELIVERED]
    evening_at: time = time(18, 0)  # local time of the market, the day before
    morning_at: time = time(8, 0)
    # In order of preference; the first the recipient can be reached on (and has not opted out
    # of) carries each notice. With `every_channel`, each one they can be reached on does.
    channels: Annotated[list[Literal["sms", "email"]], Field(min_length=1)] = ["sms", "email"]
    every_channel: bool = False
    stops_away: Annotated[int, Field(ge=1, le=30)] = 3
    max_updates: Annotated[int, Field(ge=0, le=5)] = 1  # "running late" messages per delivery
    late_margin_minutes: Annotated[int, Field(ge=0, le=120)] = 10  # hysteresis
    max_window_minutes: Annotated[int, Field(ge=10, le=720)] = 120
    tracking_days: Annotated[int, Field(ge=1, le=90)] = 7  # a link works this long after the day
    # Time-sensitive deliveries (perishable, medical, a deadline): the delivery's flag or the
    # shipper's. They get a notice when the driver is this many stops away, an alert to dispatch
    # and a call to act when an attempt fails or the window will miss the deadline (the end of
    # the delivery's promised window), and a reminder this long after delivery.
    near_stops: Annotated[int, Field(ge=1, le=10)] = 1
    reminder_minutes: Annotated[int, Field(ge=0, le=24 * 60)] | None = 15

    def wants(self, notice: Notice) -> bool:
        return notice in self.notices

