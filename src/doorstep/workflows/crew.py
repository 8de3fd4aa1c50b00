"""crew: a callout opens a gap and reaches the dispatch supervisor at once."""

from __future__ import annotations

from datetime import datetime

from doorstep.domain import Channel, Driver, Market, Shift
from doorstep.workflows.actions import Action, Audience, OpenGap, QueueMessage


def on_callout(shift: Shift, driver: Driver | None, market: Market, now: datetime) -> list[Action]:
    hours_to_start = (shift.starts_at - now).total_seconds() / 3600
    return [
        OpenGap(shift_id=shift.id),
        QueueMessage(
            purpose="crew.callout", channel=Channel.ALERT, audience=Audience.SUPERVISOR,
            dedup_key=f"crew.callout:{shift.id}:1", subject_type="shift", subject_id=shift.id,
            to_addr=market.supervisor_email or market.supervisor_phone, template="callout_alert",
            context={"driver": driver.name if driver else None, "depot_id": shift.depot_id,
                     "starts_at": shift.starts_at.isoformat(),
                     "hours_to_start": round(hours_to_start, 1),
                     "reason": shift.callout_reason},
            market_id=market.id, driver_id=shift.driver_id,
        ),
    ]
