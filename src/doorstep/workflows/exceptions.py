"""exceptions: keep the log, alert dispatch at once on what is critical."""

from __future__ import annotations

from dataclasses import dataclass

from doorstep.domain import Channel, Market, RouteException, Severity
from doorstep.workflows.actions import Action, Audience, QueueMessage


@dataclass(frozen=True)
class ExceptionPolicy:
    alert_at: Severity = Severity.HIGH  # at or above it, the supervisor hears at once


def on_reported(exc: RouteException, market: Market, policy: ExceptionPolicy) -> list[Action]:
    if exc.severity.rank < policy.alert_at.rank:
        return []
    return [QueueMessage(
        purpose="exceptions.alert", channel=Channel.ALERT, audience=Audience.SUPERVISOR,
        dedup_key=f"exceptions.alert:{exc.id}:1", subject_type="exception", subject_id=exc.id,
        to_addr=market.supervisor_email or market.supervisor_phone, template="exception_alert",
        context={"kind": exc.kind.value, "severity": exc.severity.value,
                 "route_id": exc.route_id, "depot_id": exc.depot_id,
                 "description": exc.description, "stops_affected": exc.stops_affected},
        market_id=market.id, driver_id=exc.driver_id,
    )]
