"""Pulling from Spoke what its webhooks do not carry, or carried while doorstep was away
(webhooks are dropped after an hour, contracts/circuit.md §9.4, §10): the plans of the days
asked for with their stops and routes, the drivers and depots; or one stop, route, plan or
driver that an event named and doorstep does not know."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from doorstep.connectors.base import SyncReport
from doorstep.connectors.circuit import keeping
from doorstep.connectors.circuit.client import bare, pages, path_of
from doorstep.connectors.circuit.keeping import Batch
from doorstep.connectors.circuit.places import Places
from doorstep.connectors.circuit.stops import (
    Plan,
    attempted,
    is_delivery,
    normalize,
    route_signature,
)
from doorstep.connectors.circuit.translate import (
    SOURCE,
    cancelled,
    delivery_id,
    details,
    driver_upserted,
    facts,
    ours,
    route_planned,
)
from doorstep.connectors.http import PlatformClient, PlatformError
from doorstep.connectors.received import Unmappable, known, store_or_flag
from doorstep.store import platform_links

if TYPE_CHECKING:
    from doorstep.runtime import Runtime

log = logging.getLogger(__name__)


class Puller:
    def __init__(self, rt: Runtime, client: PlatformClient, where: Places, v02b: bool) -> None:
        self.rt, self.client, self.where, self.v02b = rt, client, where, v02b
        self._names: dict[str, str] = {}

    # ---- the days' plans, drivers and depots ---------------------------------------------------

    def days(self, days: list[date]) -> SyncReport:
        report = SyncReport(SOURCE)
        before = self.client.requests_made
        at = self.rt.clock.now()
        for depot in pages(self.client, "/depots", "depots"):
            self._remember_depot(depot)
            report.fetched["depots"] = report.fetched.get("depots", 0) + 1
        drivers = Batch()
        for driver in pages(self.client, "/drivers", "drivers"):
            self._driver(drivers, driver, at)
        report.fetched["drivers"] = len(drivers.drivers)
        self._count(report, keeping.keep(self.rt, drivers, "driver"))
        wanted = set(days)
        listed = [p for p in pages(self.client, "/plans", "plans", {
            "filter.startsGte": min(days).isoformat(), "filter.startsLte": max(days).isoformat()})]
        by_day: dict[date, list[str]] = {d: [] for d in wanted}
        synced: list[str] = []
        seen: set[str] = set()
        for raw in listed:
            plan = self.plan(raw["id"], raw)
            if plan.day not in wanted:
                continue
            by_day[plan.day].append(plan.id)
            synced.append(plan.id)
            seen |= self._whole_plan(report, plan, at)
        for day, plan_ids in by_day.items():  # plans deleted since the last sync
            for gone in set(keeping.plans_of_day(self.rt, day.isoformat())) - set(plan_ids):
                self._vanished_plan(report, gone, at)
            keeping.put_plans_of_day(self.rt, day.isoformat(), plan_ids)
        # Last, once every plan's stops have re-linked their deliveries: the stops doorstep
        # linked in these plans that the plans no longer hold were deleted.
        missing = {s: d for s, d in keeping.stops_linked_in(self.rt, synced).items()
                   if s not in seen}
        self._cancel(report, missing, at, "its stop was deleted in Spoke")
        report.fetched["plans"] = len(synced)
        report.requests = self.client.requests_made - before
        return report

    def _whole_plan(self, report: SyncReport, plan: Plan, at: datetime) -> set[str]:
        try:
            stops = list(pages(self.client, f"/plans/{bare(plan.id)}/stops", "stops"))
        except PlatformError as err:
            if err.status not in (403, 404):
                raise
            # §7.1/§4: a plan from before 2023-04 has no stops; one past the team's retention
            # window is not shown. Neither is today's work: leave it, and its links, alone.
            log.warning("circuit: the stops of %s cannot be read: %s", plan.id, err.detail)
            return set(keeping.stops_linked_in(self.rt, [plan.id]))
        batch = self.translate(stops, plan, at, whole_routes=True)
        report.fetched["stops"] = report.fetched.get("stops", 0) + len(stops)
        report.fetched["routes"] = report.fetched.get("routes", 0) + len(batch.routes)
        self._count(report, keeping.keep(self.rt, batch, "stop"))
        for stop in stops:
            route = stop.get("route") or {}
            if route.get("id"):
                keeping.put_route_seen(self.rt, route["id"], route_signature(route))
        return {s["id"] for s in stops}

    def _vanished_plan(self, report: SyncReport, plan_id: str, at: datetime) -> None:
        raw = self._get(plan_id)
        if raw is None:
            self._cancel(report, keeping.stops_linked_in(self.rt, [plan_id]), at,
                         "its plan was deleted in Spoke")
        else:  # moved to another day: its stops are still to be delivered
            self._whole_plan(report, self.plan(plan_id, raw), at)

    def _cancel(self, report: SyncReport, stops: dict[str, str], at: datetime,
                why: str) -> None:
        open_ = keeping.not_attempted(self.rt, stops.values())
        batch = Batch(translated=[cancelled(s, d, at, why) for s, d in stops.items()
                                  if d in open_])
        self._count(report, keeping.keep(self.rt, batch, "stop"))

    # ---- one object --------------------------------------------------------------------------------

    def one(self, kind: str, platform_id: str) -> SyncReport:
        report = SyncReport(SOURCE)
        before = self.client.requests_made
        if kind == "stop":
            self.stop(report, platform_id)
        elif kind == "route":
            self.route(report, platform_id)
        elif kind == "plan":
            self._vanished_plan(report, platform_id, self.rt.clock.now())
        elif kind == "driver":
            batch = Batch()
            driver = self._get(platform_id)
            if driver is not None:
                self._driver(batch, driver, self.rt.clock.now())
            self._count(report, keeping.keep(self.rt, batch, "driver"))
        else:
            raise ValueError(f"circuit has no {kind!r} to fetch (stop, route, plan, driver)")
        report.requests = self.client.requests_made - before
        return report

    def stop(self, report: SyncReport, stop_id: str) -> None:
        at = self.rt.clock.now()
        if not stop_id.startswith("plans/"):
            return  # an unassigned stop has no day yet: it becomes a delivery in a plan
        stop = self._get(stop_id)
        if stop is None:
            with self.rt.db.reading() as s:
                ours_ = platform_links.doorstep_ids(s, SOURCE, "delivery", [stop_id])
            self._cancel(report, ours_, at, "its stop was deleted in Spoke")
            return
        plan = self.plan(stop_id.split("/stops/")[0])
        report.fetched["stops"] = 1
        self._count(report, keeping.keep(self.rt, self.translate([stop], plan, at), "stop",
                                         stop))
        route = stop.get("route") or {}
        if route.get("id") and keeping.route_seen(self.rt, route["id"]) != route_signature(
                route):
            self.route(report, route["id"])

    def route(self, report: SyncReport, route_id: str) -> None:
        route = self._get(route_id)
        if route is None or not route.get("plan"):
            return
        signature = route_signature(route)
        if (keeping.route_seen(self.rt, route_id) == signature
                and known(self.rt, "route", [ours(route_id)])):
            return  # this distribution was read already (many stop events name one route)
        plan = self.plan(route["plan"])
        if self.v02b:  # §13: no route stops endpoint
            stops = [s for s in pages(self.client, f"/plans/{bare(plan.id)}/stops", "stops")
                     if (s.get("route") or {}).get("id") == route_id]
        else:
            stops = list(pages(self.client, f"/routes/{bare(route_id)}/stops", "stops"))
        for stop in stops:
            stop["route"] = route  # the route as just read, not as each stop embedded it
        at = self.rt.clock.now()
        batch = Batch()
        if route.get("driver") and not known(self.rt, "driver", [ours(route["driver"])]):
            driver = self._get(route["driver"])
            if driver is not None:
                self._driver(batch, driver, at)
        batch.add(self.translate(stops, plan, at, whole_routes=True))
        report.fetched["stops"] = report.fetched.get("stops", 0) + len(stops)
        report.fetched["routes"] = report.fetched.get("routes", 0) + 1
        self._count(report, keeping.keep(self.rt, batch, "route", route))
        keeping.put_route_seen(self.rt, route_id, signature)

    # ---- translation and facts about plans and depots -------------------------------------------

    def translate(self, stops: list[dict[str, Any]], plan: Plan, at: datetime, *,
                  whole_routes: bool = False) -> Batch:
        """Details, then route plans (only from a route's whole list of stops), then facts."""
        batch = Batch()
        later: list[Any] = []
        good: list[dict[str, Any]] = []
        for raw in stops:
            try:
                stop = normalize(raw)
                made = details(stop, plan, self.where, at)
                later.extend(facts(stop, at))
            except Unmappable as err:
                store_or_flag(self.rt, SOURCE, "stop", raw, b"", None, str(err))
                continue
            good.append(stop)
            if made is not None:
                batch.translated.append(made)
            if is_delivery(stop):
                batch.stops[stop["id"]] = (delivery_id(stop), attempted(stop))
        if whole_routes:
            routes = {s["route"]["id"]: s["route"] for s in good
                      if isinstance(s.get("route"), dict) and s["route"].get("id")}
            for route_id, route in routes.items():
                batch.translated.append(route_planned(route, good, plan, self.where, at))
                batch.routes.add(route_id)
                if isinstance(route.get("driver"), str):
                    batch.drivers.add(route["driver"])
        batch.translated.extend(later)
        return batch

    def plan(self, plan_id: str, raw: dict[str, Any] | None = None) -> Plan:
        """A plan's day and depot: remembered, or read (a Stop names only its plan)."""
        if raw is None:
            remembered = keeping.plan_facts(self.rt, plan_id)
            if remembered is not None:
                return remembered
            raw = self.client.json("GET", path_of(plan_id))
            assert raw is not None
        depot = raw.get("depot")
        depot_id = depot.get("id") if isinstance(depot, dict) else depot
        names = {depot_id: name} if depot_id and (name := self.depot_name(depot_id)) else {}
        plan = Plan.of(raw, names)
        if keeping.plan_facts(self.rt, plan.id) != plan:
            keeping.put_plan_facts(self.rt, plan)
        return plan

    def depot_name(self, depot_id: str) -> str | None:
        if depot_id not in self._names:
            name = keeping.depot_name(self.rt, depot_id)
            if name is None:
                depot = self._get(depot_id)
                if depot is None:
                    return None
                return self._remember_depot(depot)
            self._names[depot_id] = name
        return self._names[depot_id]

    def _remember_depot(self, depot: dict[str, Any]) -> str | None:
        name = depot.get("name")
        if isinstance(depot.get("id"), str) and isinstance(name, str):
            if self._names.get(depot["id"]) != name:
                keeping.put_depot_name(self.rt, depot["id"], name)
            self._names[depot["id"]] = name
            return name
        return None

    def _driver(self, batch: Batch, driver: dict[str, Any], at: datetime) -> None:
        depots = [d for d in driver.get("depots") or [] if isinstance(d, str)]
        names = {d: n for d in depots[:1] if (n := self.depot_name(d))}
        try:
            batch.translated.append(driver_upserted(driver, self.where, names, at))
        except Unmappable as err:
            store_or_flag(self.rt, SOURCE, "driver", driver, b"", None, str(err))
            return
        batch.drivers.add(driver["id"])

    def _get(self, platform_id: str) -> dict[str, Any] | None:
        """One object by its id, or None when Spoke says it does not exist."""
        try:
            found = self.client.json("GET", path_of(platform_id))
        except PlatformError as err:
            if err.status == 404:
                return None
            raise
        return found if isinstance(found, dict) else None

    @staticmethod
    def _count(report: SyncReport, counts: Counter[str]) -> None:
        report.stored += counts["stored"]
        report.duplicates += counts["duplicate"]
        report.flagged += counts["flagged"]
