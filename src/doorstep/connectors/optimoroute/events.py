"""One `get_events` event (contracts/optimoroute.md §11.1) in doorstep's words. Pure: the ids
doorstep uses for the order, driver and route come from a `Refs` the caller fills in.

There is no event id: the key is (event, orderId or orderNo, driverSerial, unixTimestamp), as
§11.2 says, so the same event read twice is stored once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from doorstep.connectors.optimoroute import times
from doorstep.connectors.received import Translated, Unmappable, event_key
from doorstep.domain import EventType, FailureReason

ORDER_EVENTS = frozenset({"start_service", "success", "failed", "rejected",
                          "start_time_changed"})
OUTCOMES = frozenset({"success", "failed", "rejected"})  # §11.2.5: read the POD for these
DRIVER_EVENTS = frozenset({"on_duty", "off_duty", "start_route", "end_route"})

# §9.1 ❓: no structured reason exists; the driver's note says it. The earliest phrase found
# in the note wins ("Nobody home, gate locked" is not_home).
_REASONS: list[tuple[FailureReason, str]] = [
    (FailureReason.NOT_HOME, r"no ?one (?:was )?(?:at )?home|nobody(?: (?:was )?(?:at )?home)?|"
                             r"not (?:at )?home|no answer|not available|unavailable|absent|"
                             r"customer not present"),
    (FailureReason.WRONG_ADDRESS, r"wrong address|bad address|incorrect address|"
                                  r"address (?:not found|unknown|does not exist)|"
                                  r"no such address|can'?t find|cannot find|could not find|"
                                  r"moved away|unknown address"),
    (FailureReason.ACCESS, r"gate|locked|buzzer|no access|access|door code|entry code|"
                           r"intercom|dog"),
    (FailureReason.REFUSED, r"refused|refuse[sd]?|declined|did not want|rejected by"),
    (FailureReason.DAMAGED, r"damaged|broken|leak|crushed"),
]
_REASON_RE = [(reason, re.compile(pattern, re.IGNORECASE)) for reason, pattern in _REASONS]


def failure_reason(note: str | None) -> FailureReason:
    if not note:
        return FailureReason.OTHER
    found = [(m.start(), reason) for reason, rx in _REASON_RE if (m := rx.search(note))]
    return min(found, key=lambda x: x[0])[1] if found else FailureReason.OTHER


@dataclass
class Refs:
    """doorstep's ids for what the events name; None for an order that is not a delivery
    doorstep follows (a pickup, a task)."""

    delivery: Callable[[str], str | None]  # orderNo -> delivery id
    driver: Callable[[str], str]  # driverSerial -> driver id
    route: Callable[[str, str], str]  # (driverSerial, YYYY-MM-DD) -> route id


def key(event: dict[str, Any]) -> str:
    return event_key("ev", event.get("event"), event.get("orderId") or event.get("orderNo"),
                     event.get("driverSerial"), event.get("unixTimestamp"))


def occurred(event: dict[str, Any]) -> datetime:
    at = times.instant(event)
    if at is None:
        raise Unmappable("no unixTimestamp or utcTime")
    return at


def route_day(event: dict[str, Any], at: datetime) -> str:
    """The route's date: the event's local date (the account's), else its UTC date."""
    text = event.get("localTime")
    if isinstance(text, str) and re.match(r"^\d{4}-\d{2}-\d{2}", text):
        return text[:10]
    return at.date().isoformat()


def translate(event: dict[str, Any], refs: Refs,
              completion: dict[str, Any] | None = None) -> Translated | None:
    """The event's meaning; None when it means nothing to doorstep (an order that is not a
    delivery, a start-time change without the new time). Unmappable when it is malformed."""
    kind = event.get("event")
    if not isinstance(kind, str):
        raise Unmappable("no event name")
    at = occurred(event)
    if kind in DRIVER_EVENTS:
        serial = _text(event, "driverSerial")
        if kind in ("on_duty", "off_duty"):
            item = (EventType.DRIVER_DUTY_CHANGED,
                    {"driver_id": refs.driver(serial), "on_duty": kind == "on_duty"})
        else:
            item = (EventType.ROUTE_STARTED if kind == "start_route" else
                    EventType.ROUTE_COMPLETED, {"route_id": refs.route(serial, route_day(
                        event, at))})
        return Translated(key(event), at, [item])
    if kind not in ORDER_EVENTS:
        raise Unmappable(f"unknown event {kind!r}")
    delivery = refs.delivery(_text(event, "orderNo"))
    if delivery is None:
        return None
    if kind == "start_service":
        return Translated(key(event), at, [(EventType.DELIVERY_ARRIVED,
                                            {"delivery_id": delivery})])
    if kind == "start_time_changed":
        eta = times.instant(event.get("plannedStartTime"))
        if eta is None:  # §11.1 ❓ the new time may be missing: nothing to tell then
            return None
        return Translated(key(event), at, [(EventType.DELIVERY_ETA_UPDATED,
                                            {"delivery_id": delivery, "eta": eta.isoformat()})])
    return Translated(key(event), at, [outcome(kind, delivery, completion)])


def outcome(kind: str, delivery: str,
            completion: dict[str, Any] | None) -> tuple[EventType, dict[str, Any]]:
    """success / failed / rejected with what the completion form (§9.1) says."""
    form = (completion or {}).get("form")
    form = form if isinstance(form, dict) else {}
    note = form.get("note") if isinstance(form.get("note"), str) else None
    note = note.strip()[:2000] if note and note.strip() else None
    if kind == "success":
        pod: dict[str, Any] = {}
        images = [i for i in form.get("images") or [] if isinstance(i, dict) and i.get("url")]
        if images:
            pod["photo_url"] = str(images[0]["url"])[:2000]
        signature = form.get("signature")
        if isinstance(signature, dict) and signature.get("url"):
            pod["signature_url"] = str(signature["url"])[:2000]
        data: dict[str, Any] = {"delivery_id": delivery, "pod": pod}
        if note:
            data["notes"] = note
        return EventType.DELIVERY_DELIVERED, data
    if kind == "rejected":  # the driver turned the order down: no attempt at the door
        said = "rejected by the driver" + (f": {note}" if note else "")
        return EventType.DELIVERY_FAILED, {"delivery_id": delivery,
                                           "reason": FailureReason.OTHER.value,
                                           "notes": said[:2000]}
    failed: dict[str, Any] = {"delivery_id": delivery, "reason": failure_reason(note).value}
    if note:
        failed["notes"] = note
    return EventType.DELIVERY_FAILED, failed


def _text(event: dict[str, Any], name: str) -> str:
    value = event.get(name)
    if value in (None, "") or not isinstance(value, str | int):
        raise Unmappable(f"{event.get('event')} without {name}")
    return str(value)
