"""Orders and routes read from OptimoRoute, turned into facts for doorstep: the deliveries'
`delivery.created`, the routes' `route.planned` and the drivers doorstep has not heard of, each
linked to the platform object first. Shared by the sync, the poller and the fetch of one object.

Neither orders nor routes carry a last-modified time, so a fact's key holds a digest of what
it says: an unchanged object read again is a duplicate, a changed one a new fact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from doorstep.connectors.optimoroute import orders as o
from doorstep.connectors.optimoroute import routes as r
from doorstep.connectors.optimoroute import times
from doorstep.connectors.optimoroute.account import Account
from doorstep.connectors.optimoroute.book import Fact, Flag
from doorstep.connectors.received import Translated, Unmappable, event_key
from doorstep.domain import EventType


@dataclass
class Orders:
    """What a set of orders told: facts to store, and each orderNo's delivery."""

    facts: list[Fact] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    deliveries: dict[str, str | None] = field(default_factory=dict)  # None: not a delivery
    depots: dict[str, str] = field(default_factory=dict)  # delivery id -> depot
    data: dict[str, dict[str, Any]] = field(default_factory=dict)  # orderNo -> order data
    schedule: dict[str, dict[str, Any]] = field(default_factory=dict)  # orderNo -> §6.2 info
    current: dict[str, str] = field(default_factory=dict)  # delivery id -> its orderNo now
    noisy: dict[str, str] = field(default_factory=dict)  # the same, where OptimoRoute messages

    def merge(self, other: Orders) -> None:
        self.facts += other.facts
        self.flags += other.flags
        self.deliveries.update(other.deliveries)
        self.depots.update(other.depots)
        self.data.update(other.data)
        self.schedule.update(other.schedule)
        self.current.update(other.current)
        self.noisy.update(other.noisy)


def take_orders(acct: Account, items: list[dict[str, Any]]) -> Orders:
    """`items`: get_orders / search_orders answers ({id, data, scheduleInformation?})."""
    out = Orders()
    candidates: dict[str, list[tuple[int, str]]] = {}
    for item in items:
        data = item.get("data")
        number = data.get("orderNo") if isinstance(data, dict) else None
        if not isinstance(data, dict) or number in (None, ""):
            out.flags.append(Flag("order", event_key("order", item.get("id")), item,
                                  "an order without its data or orderNo"))
            continue
        number = str(number)
        out.data[number] = data
        if isinstance(item.get("scheduleInformation"), dict):
            out.schedule[number] = item["scheduleInformation"]
        delivery = o.delivery_id(data) if o.is_delivery(data) else None
        out.deliveries[number] = delivery
        if delivery is not None:
            candidates.setdefault(delivery, []).append((o.redelivery_number(data), number))
    _relink(acct, candidates, out)
    recorded = acct.book.status_times(candidates)
    for delivery, current in out.current.items():
        if current not in out.data:
            continue  # the delivery stands for a later order than the ones read now
        data = out.data[current]
        try:
            created = o.delivery_created(acct.ctx, data)
        except Unmappable as err:
            out.flags.append(Flag("order", event_key("order", current), data, str(err)))
            continue
        out.depots[delivery] = created["depot"]
        at = dated(acct, date.fromisoformat(created["service_date"]), created["depot"],
                   recorded.get(delivery))
        out.facts.append(Fact("order", Translated(
            event_key("order", current, o.digest(created)), at,
            [(EventType.DELIVERY_CREATED, created)]), data))
        if notifies(data):
            out.noisy[delivery] = current
    return out


def dated(acct: Account, day: date, depot: str, recorded: datetime | None) -> datetime:
    """When a fact OptimoRoute gives no time for (an order, a route) took effect: no earlier
    than the day before its service day nor than what doorstep last recorded of it, and not
    later than now. Its day's events (dated by the drivers' phones) come after it, then, and
    a redelivery's plan after the failed attempt it follows."""
    floor = times.day_before_start(day, acct.ctx.zone(depot))
    return min(acct.rt.clock.now(), max(floor, recorded or floor))


def notifies(data: dict[str, Any]) -> bool:
    """Whether OptimoRoute would message this order's customer itself (§10)."""
    return bool(data.get("phone") or data.get("email")) and data.get(
        "notificationPreference") != "dont_notify"


def _relink(acct: Account, candidates: dict[str, list[tuple[int, str]]], out: Orders) -> None:
    """Each delivery stands for its latest order: the original, or the newest redelivery."""
    current = acct.book.platform_ids("delivery", candidates)
    changed = []
    for delivery, found in candidates.items():
        number, latest = max(found)
        linked = current.get(delivery)
        if linked is None or (linked != latest and number > _redelivery_of(linked, delivery)):
            changed.append((delivery, latest))
            current[delivery] = latest
        out.current[delivery] = current[delivery]
    acct.book.link("delivery", changed)


def _redelivery_of(order_no: str, delivery: str) -> int:
    if order_no == delivery:
        return 0
    tail = order_no.removeprefix(f"{delivery}-R")
    return int(tail) if tail != order_no and tail.isdigit() else 1


def fetch_orders(acct: Account, order_nos: list[str], *, flag_missing: bool = True) -> Orders:
    """Read orders doorstep has not seen (get_orders, 500 a call) and take them; one that
    OptimoRoute does not know is flagged (`flag_missing`) or just left out."""
    if not order_nos:
        return Orders()
    found = acct.client.get_orders(order_nos)
    out = take_orders(acct, list(found.values()))
    for missing in sorted(set(order_nos) - set(out.data)) if flag_missing else []:
        out.flags.append(Flag("order", event_key("order", missing), {"orderNo": missing},
                              "OptimoRoute does not know this order (ERR_ORD_NOT_FOUND)"))
    return out


def take_routes(acct: Account, day: date, answer: list[dict[str, Any]],
                seen: Orders) -> tuple[list[Fact], list[Flag]]:
    """`get_routes` routes of `day`: their drivers and `route.planned`. Orders on them that
    `seen` does not hold are read first (and their facts added to `seen`)."""
    flags: list[Flag] = []
    routes = []
    for route in answer:
        try:
            routes.append((r.serial_of(route), route))
        except Unmappable as err:
            flags.append(Flag("route", event_key("route", day, o.digest(route)), route,
                              str(err)))
    numbers = {str(s["orderNo"]) for _, route in routes for s in r.order_stops(route)}
    linked = acct.book.doorstep_ids("delivery", numbers - set(seen.deliveries))
    seen.merge(fetch_orders(acct, sorted(numbers - set(seen.deliveries) - set(linked))))
    delivery = {**linked, **seen.deliveries}.get
    depots = {**acct.book.depots_of(linked.values()), **seen.depots}
    serials = [serial for serial, _ in routes]
    by_serial = acct.book.doorstep_ids("driver", serials)
    route_ids = acct.book.doorstep_ids("route", [r.platform_route_id(s, day) for s in serials])
    vehicles = acct.book.vehicles_by_plate(str(route.get("vehicleRegistration") or "")
                                           for _, route in routes)
    drivers = {serial: str(route.get("driverExternalId") or by_serial.get(serial) or serial)
               for serial, route in routes}
    known = acct.book.known("driver", drivers.values())
    recorded = acct.book.status_times(d for d in map(delivery, numbers) if d)
    facts: list[Fact] = []
    linking: list[tuple[str, str]] = []
    for serial, route in routes:
        platform_id = r.platform_route_id(serial, day)
        stop_depots = [depots[d] for s in r.order_stops(route)
                       if (d := delivery(str(s["orderNo"]))) and d in depots]
        depot = r.depot_of(acct.ctx, route, stop_depots)
        stop_ids = [d for s in r.order_stops(route) if (d := delivery(str(s["orderNo"])))]
        at = dated(acct, day, depot, max((recorded[d] for d in stop_ids if d in recorded),
                                         default=None))
        driver = drivers[serial]
        if driver not in known:
            data = r.driver_upserted(route, driver, depot)
            facts.append(Fact("driver", Translated(event_key("driver", driver, o.digest(data)),
                                                   at, [(EventType.DRIVER_UPSERTED, data)]),
                              route))
            known.add(driver)
        planned = r.route_planned(acct.ctx, route, day, route_ids.get(platform_id, platform_id),
                                  depot, driver, vehicles.get(str(route.get(
                                      "vehicleRegistration") or "")), delivery)
        if planned is not None:
            facts.append(Fact("route", Translated(
                event_key("route", platform_id, o.digest(planned)), at,
                [(EventType.ROUTE_PLANNED, planned)]), route))
            linking.append((planned["route_id"], platform_id))
    acct.book.link("route", linking)
    acct.book.link("driver", [(d, s) for s, d in drivers.items()])
    return facts, flags
