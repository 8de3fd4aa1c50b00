"""A redelivery in Spoke (contracts/circuit.md §9.3): a new stop for the same recipient in
the plan of the chosen day, or, when that plan is not open to edits (or there is none yet),
an unassigned stop in the same depot for the dispatcher to plan. No endpoint moves a stop.

The new stop carries the delivery's id as `recipient.externalId`, so its events come back to
the same delivery as its next attempt, and a `[doorstep] redelivery of … on …` line in its
notes; both are how a second try finds the stop the first one made (idempotence).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from doorstep.connectors.base import NotReadBack
from doorstep.connectors.circuit import keeping
from doorstep.connectors.circuit.client import PLATFORM, bare, pages
from doorstep.connectors.circuit.notes import MARK, notes_with
from doorstep.connectors.circuit.stops import attempted
from doorstep.connectors.circuit.translate import SOURCE
from doorstep.connectors.http import PlatformClient, PlatformError
from doorstep.store import platform_links

if TYPE_CHECKING:
    from doorstep.connectors.circuit.writeback import Writer
    from doorstep.runtime import Runtime


def redeliver(rt: Runtime, client: PlatformClient, writer: Writer, delivery_id: str, day: str,
              instructions: str | None) -> dict[str, Any]:
    original_id = writer.stop_of(delivery_id)
    original = writer.get(original_id)
    marker = f"{MARK} redelivery of {delivery_id} on {day}"
    depot = _depot_of(rt, writer, original)
    made = _existing(client, delivery_id, day, marker, depot)
    if made is None:
        body = _stop_input(original, delivery_id, notes_with(instructions or "", [marker]))
        plan = _open_plan(client, day, depot)
        if plan is not None:
            made = client.json("POST", f"/plans/{bare(plan)}/stops", json=body)
        else:  # the import is where a depot is documented for an unassigned stop (§8.4)
            answer = client.json("POST", "/unassignedStops:import", json={
                "unassignedStops": [body], **({"depot": depot} if depot else {})}) or {}
            if not answer.get("success"):
                failed = (answer.get("failed") or [{}])[0].get("error") or {}
                raise PlatformError(PLATFORM, 400, f"unassigned stop refused: "
                                    f"{failed.get('message', answer)}")
            made = {"id": answer["success"][0]}
        assert isinstance(made, dict)
    shown = writer.get(made["id"])
    if ((shown.get("recipient") or {}).get("externalId") != delivery_id
            or marker not in (shown.get("notes") or "")):
        raise NotReadBack(f"{made['id']}: the redelivery stop reads back without its marker")
    with rt.db.transaction() as s:  # writes for the delivery now go to its new stop
        platform_links.put(s, SOURCE, "delivery", delivery_id, shown["id"], rt.clock.now())
    return {"stop": shown["id"], "plan": shown.get("plan"),
            "unassigned": shown["id"].startswith("unassignedStops/"), "notes": shown.get("notes")}


def _depot_of(rt: Runtime, writer: Writer, stop: dict[str, Any]) -> str | None:
    if stop.get("depot"):  # an unassigned stop
        return str(stop["depot"])
    plan_id = stop.get("plan")
    if not plan_id:
        return None
    facts = keeping.plan_facts(rt, plan_id)
    if facts is not None:
        return facts.depot_id
    depot = writer.get(plan_id).get("depot")
    return depot if isinstance(depot, str) else None


def _plans_on(client: PlatformClient, day: str) -> list[dict[str, Any]]:
    return list(pages(client, "/plans", "plans", {"filter.startsGte": day,
                                                   "filter.startsLte": day}))


def _existing(client: PlatformClient, delivery_id: str, day: str, marker: str,
              depot: str | None) -> dict[str, Any] | None:
    """A stop for this delivery on that day already: in a plan of the day and not attempted,
    or unassigned with this day's marker."""
    for plan in _plans_on(client, day):
        if depot and plan.get("depot") not in (None, depot):
            continue
        for stop in pages(client, f"/plans/{bare(plan['id'])}/stops", "stops",
                          {"filter.externalId": delivery_id}):
            if not attempted(stop):  # the failed stop was; one made before was not
                return stop
    for stop in pages(client, "/unassignedStops", "unassignedStops",
                      {"filter.externalId": delivery_id}):
        if marker in (stop.get("notes") or ""):
            return stop
    return None


def _open_plan(client: PlatformClient, day: str, depot: str | None) -> str | None:
    """The day's plan of the depot that still takes stops (a plan that is optimized takes
    them only through the live endpoints, which would re-route drivers already out)."""
    for plan in _plans_on(client, day):
        if plan.get("writable") and (depot is None or plan.get("depot") in (None, depot)):
            return str(plan["id"])
    return None


def _stop_input(stop: dict[str, Any], delivery_id: str, notes: str) -> dict[str, Any]:
    """§8.1 stop input from the stop that failed: the same place (coordinates win over the
    text, so Spoke does not geocode it anew), recipient and order."""
    address = stop.get("address") or {}
    given = {k: address.get(k) for k in ("addressLineOne", "addressLineTwo")
             if address.get(k)}
    if address.get("latitude") is not None and address.get("longitude") is not None:
        given.update(latitude=address["latitude"], longitude=address["longitude"])
    if not given:
        given = {"addressLineOne": str(address.get("address") or "")[:255]}
    person = stop.get("recipient") or {}
    recipient = {k: person[k] for k in ("name", "phone", "email") if person.get(k)}
    body: dict[str, Any] = {"address": given,
                            "recipient": {**recipient, "externalId": delivery_id},
                            "notes": notes, "activity": "delivery"}
    order = {k: v for k, v in (stop.get("orderInfo") or {}).items() if v not in (None, [])}
    if order:
        body["orderInfo"] = order
    props = {k: v for k, v in (stop.get("customProperties") or {}).items() if v is not None}
    if props:
        body["customProperties"] = props
    for key in ("packageCount", "barcodes"):
        if stop.get(key):
            body[key] = stop[key]
    return body
