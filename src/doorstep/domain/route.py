"""Routes: a driver's day, as ordered stops from a depot in a vehicle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from doorstep.domain.lifecycle import Lifecycle
from doorstep.domain.timeutil import require_aware


class RouteStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


ROUTE_LIFECYCLE: Lifecycle[RouteStatus] = Lifecycle(
    "route",
    {
        RouteStatus.PLANNED: [RouteStatus.IN_PROGRESS, RouteStatus.CANCELLED,
                              RouteStatus.COMPLETED],
        RouteStatus.IN_PROGRESS: [RouteStatus.COMPLETED, RouteStatus.CANCELLED],
        RouteStatus.COMPLETED: [],
        RouteStatus.CANCELLED: [],
    },
)


class StopStatus(StrEnum):
    PLANNED = "planned"
    ARRIVED = "arrived"
    DONE = "done"
    FAILED = "failed"
    REMOVED = "removed"  # taken off the route before it was served


STOP_LIFECYCLE: Lifecycle[StopStatus] = Lifecycle(
    "stop",
    {
        StopStatus.PLANNED: [StopStatus.ARRIVED, StopStatus.DONE, StopStatus.FAILED,
                             StopStatus.REMOVED],
        StopStatus.ARRIVED: [StopStatus.DONE, StopStatus.FAILED],
        StopStatus.DONE: [],
        StopStatus.FAILED: [],
        StopStatus.REMOVED: [],
    },
)


@dataclass
class Stop:
    route_id: str
    sequence: int
    delivery_id: str
    planned_arrival: datetime | None = None
    eta: datetime | None = None
    arrived_at: datetime | None = None
    completed_at: datetime | None = None
    status: StopStatus = StopStatus.PLANNED

    def move(self, target: StopStatus, at: datetime) -> None:
        STOP_LIFECYCLE.check(self.status, target)
        if target is StopStatus.ARRIVED:
            self.arrived_at = require_aware(at)
        elif target in (StopStatus.DONE, StopStatus.FAILED):
            self.completed_at = require_aware(at)
        self.status = target


@dataclass
class Route:
    id: str
    market_id: str
    depot_id: str
    service_date: date
    driver_id: str | None = None
    vehicle_id: str | None = None
    shift_id: str | None = None
    status: RouteStatus = RouteStatus.PLANNED
    planned_start: datetime | None = None
    planned_end: datetime | None = None
    planned_at: datetime | None = None  # when the plan in force was made
    started_at: datetime | None = None
    completed_at: datetime | None = None
    stop_count: int = 0
    stops_done: int = 0
    stops_failed: int = 0

    def start(self, at: datetime) -> None:
        ROUTE_LIFECYCLE.check(self.status, RouteStatus.IN_PROGRESS)
        self.started_at = require_aware(at)
        self.status = RouteStatus.IN_PROGRESS

    def complete(self, at: datetime) -> None:
        ROUTE_LIFECYCLE.check(self.status, RouteStatus.COMPLETED)
        self.completed_at = require_aware(at)
        self.status = RouteStatus.COMPLETED

    def cancel(self) -> None:
        ROUTE_LIFECYCLE.check(self.status, RouteStatus.CANCELLED)
        self.status = RouteStatus.CANCELLED

    def record_stop(self, delivered: bool) -> None:
        if delivered:
            self.stops_done += 1
        else:
            self.stops_failed += 1

    @property
    def stops_left(self) -> int:
        return max(self.stop_count - self.stops_done - self.stops_failed, 0)
