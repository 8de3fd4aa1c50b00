"""Storing what was translated from Spoke, after linking each delivery, route and driver to
the Spoke object that stands for it (the write-back finds the stop to write to by that link),
and the few facts about Spoke kept between runs (plans' days and depots, depot names, which
distribution of a route doorstep has read)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from doorstep.connectors.circuit.stops import Plan
from doorstep.connectors.circuit.translate import SOURCE, ours
from doorstep.connectors.received import Translated, store, store_or_flag
from doorstep.domain import DeliveryStatus
from doorstep.events.parse import InvalidEvent
from doorstep.store import cursors, platform_links
from doorstep.store.tables import deliveries
from doorstep.store.tables import platform_links as links_table

if TYPE_CHECKING:
    from doorstep.runtime import Runtime


@dataclass
class Batch:
    """Translated facts and the Spoke objects they came from."""

    translated: list[Translated] = field(default_factory=list)
    stops: dict[str, tuple[str, bool]] = field(default_factory=dict)  # stop id -> (ours, done)
    routes: set[str] = field(default_factory=set)
    drivers: set[str] = field(default_factory=set)

    def add(self, other: Batch) -> None:
        self.translated.extend(other.translated)
        self.stops.update(other.stops)
        self.routes |= other.routes
        self.drivers |= other.drivers


def keep(rt: Runtime, batch: Batch, name: str, payload: Any = None,
         body: bytes = b"") -> Counter[str]:
    """Link, then store; a fact that does not hold up is flagged on its own (with `payload`,
    the Spoke object or webhook it came from), the others are stored."""
    link(rt, batch)
    counts: Counter[str] = Counter()
    if not batch.translated:
        return counts
    try:
        result = store(rt, SOURCE, batch.translated)
    except InvalidEvent:
        for one in batch.translated:
            counts[store_or_flag(rt, SOURCE, name, payload if payload is not None else {},
                                 body, one, None)] += 1
        return counts
    counts["stored"] += len(result.stored)
    counts["duplicate"] += result.duplicates
    return counts


def link(rt: Runtime, batch: Batch) -> None:
    now = rt.clock.now()
    with rt.db.transaction() as s:
        for stop_id, (did, done) in batch.stops.items():
            current = platform_links.platform_id(s, SOURCE, "delivery", did)
            # An attempted stop does not take the link back from a newer stop of the same
            # delivery (a redelivery); the open stop is the one writes go to.
            if current is None or current == stop_id or not done:
                platform_links.put(s, SOURCE, "delivery", did, stop_id, now)
        for route_id in batch.routes:
            platform_links.put(s, SOURCE, "route", ours(route_id), route_id, now)
        for driver_id in batch.drivers:
            platform_links.put(s, SOURCE, "driver", ours(driver_id), driver_id, now)


def linked_stop(rt: Runtime, delivery_id: str) -> str | None:
    with rt.db.reading() as s:
        return platform_links.platform_id(s, SOURCE, "delivery", delivery_id)


def linked(rt: Runtime, kind: str, doorstep_id: str) -> str | None:
    with rt.db.reading() as s:
        return platform_links.platform_id(s, SOURCE, kind, doorstep_id)


def stops_linked_in(rt: Runtime, plan_ids: Iterable[str]) -> dict[str, str]:
    """stop id -> delivery id, for the deliveries whose current stop is in these plans."""
    out: dict[str, str] = {}
    with rt.db.reading() as s:
        for plan_id in plan_ids:
            rows = s.execute(sa.select(links_table.c.platform_id, links_table.c.doorstep_id)
                             .where(links_table.c.platform == SOURCE,
                                    links_table.c.kind == "delivery",
                                    links_table.c.platform_id.like(f"{plan_id}/stops/%")))
            out.update({p: d for p, d in rows})
    return out


def not_attempted(rt: Runtime, delivery_ids: Iterable[str]) -> set[str]:
    """Of these deliveries, those with no attempt recorded yet (a stop deleted after its
    attempt is a plan tidied away, not a cancelled delivery)."""
    wanted = list(set(delivery_ids))
    if not wanted:
        return set()
    with rt.db.reading() as s:
        return set(s.scalars(sa.select(deliveries.c.id).where(
            deliveries.c.id.in_(wanted), deliveries.c.status.in_([
                DeliveryStatus.PENDING, DeliveryStatus.SCHEDULED,
                DeliveryStatus.OUT_FOR_DELIVERY]))))


# ---- what is remembered of Spoke between runs (cursors) -------------------------------------


def _get(rt: Runtime, name: str) -> str | None:
    with rt.db.reading() as s:
        return cursors.get(s, name)


def _put(rt: Runtime, name: str, value: str) -> None:
    with rt.db.transaction() as s:
        cursors.put(s, name, value, rt.clock.now())


def plan_facts(rt: Runtime, plan_id: str) -> Plan | None:
    raw = _get(rt, f"{SOURCE}:plan:{plan_id}")
    return Plan.loads(raw) if raw else None


def put_plan_facts(rt: Runtime, plan: Plan) -> None:
    _put(rt, f"{SOURCE}:plan:{plan.id}", plan.dumps())


def depot_name(rt: Runtime, depot_id: str) -> str | None:
    return _get(rt, f"{SOURCE}:depot:{depot_id}")


def put_depot_name(rt: Runtime, depot_id: str, name: str) -> None:
    _put(rt, f"{SOURCE}:depot:{depot_id}", name[:2000])


def route_seen(rt: Runtime, route_id: str) -> str | None:
    return _get(rt, f"{SOURCE}:route:{route_id}")


def put_route_seen(rt: Runtime, route_id: str, signature: str) -> None:
    _put(rt, f"{SOURCE}:route:{route_id}", signature)


def plans_of_day(rt: Runtime, day: str) -> list[str]:
    raw = _get(rt, f"{SOURCE}:plans:{day}")
    return list(json.loads(raw)) if raw else []


def put_plans_of_day(rt: Runtime, day: str, plan_ids: list[str]) -> None:
    kept = sorted(plan_ids)
    while len(json.dumps(kept)) > 2000:  # a very busy day: the check for vanished plans
        kept.pop()                       # covers the first ones only
    _put(rt, f"{SOURCE}:plans:{day}", json.dumps(kept))


def last_webhook(rt: Runtime) -> str | None:
    return _get(rt, f"{SOURCE}:webhook:last")


def put_last_webhook(rt: Runtime, when: str) -> None:
    _put(rt, f"{SOURCE}:webhook:last", when)
