"""Exceptions to the plan: breakdowns, closures, incidents, capacity overruns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from doorstep.domain.lifecycle import Lifecycle
from doorstep.domain.timeutil import require_aware


class ExceptionKind(StrEnum):
    BREAKDOWN = "breakdown"
    ROAD_CLOSURE = "road_closure"
    INCIDENT = "incident"  # a driver incident: collision, injury, theft, threat
    CAPACITY_OVERRUN = "capacity_overrun"
    WEATHER = "weather"
    OTHER = "other"


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)


class ExceptionStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


EXCEPTION_LIFECYCLE: Lifecycle[ExceptionStatus] = Lifecycle(
    "exception",
    {
        ExceptionStatus.OPEN: [ExceptionStatus.ACKNOWLEDGED, ExceptionStatus.RESOLVED],
        ExceptionStatus.ACKNOWLEDGED: [ExceptionStatus.RESOLVED],
        ExceptionStatus.RESOLVED: [],
    },
)


@dataclass
class RouteException:
    """An exception to the day's plan (the domain's "Exception"; renamed to spare the builtin)."""

    id: str
    kind: ExceptionKind
    severity: Severity
    market_id: str
    reported_at: datetime
    depot_id: str | None = None
    route_id: str | None = None
    driver_id: str | None = None
    description: str = ""
    status: ExceptionStatus = ExceptionStatus.OPEN
    resolved_at: datetime | None = None
    stops_affected: int = 0

    def move(self, target: ExceptionStatus, at: datetime) -> None:
        EXCEPTION_LIFECYCLE.check(self.status, target)
        if target is ExceptionStatus.RESOLVED:
            self.resolved_at = require_aware(at)
        self.status = target
