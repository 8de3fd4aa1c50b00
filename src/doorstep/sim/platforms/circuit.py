"""The simulated day played as Circuit for Teams / Spoke Dispatch: the dispatcher sets up the
drivers and depots, imports each route's stops into a plan of its own when the route is
planned, optimizes and distributes it; the drivers' app starts routes and records attempts;
doorstep hears of it only through Spoke's signed stop webhooks and the fetches its connector
makes for what they do not carry.

Spoke has no vehicles, shifts, duty, exceptions or replies, and no arrival or ETA event: those
of the simulator reach doorstep through its own intake, as from the operator's other systems,
with drivers and routes named by their Spoke ids (the operator's systems know those). An
arrival rides in the attempt (`timeAtStopInfo.arrivedAt`); an ETA moves the stop's `eta`, which
the next stop event carries.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from doorstep.clock import VirtualClock
from doorstep.config import PlatformConfig
from doorstep.connectors import writes
from doorstep.connectors.circuit.translate import ours
from doorstep.sim.fakes.circuit import FakeCircuit
from doorstep.sim.fakes.circuit_plans import WINDOW
from doorstep.sim.platforms import PlatformPlay
from doorstep.sim.sinks import Event

if TYPE_CHECKING:
    from doorstep.runtime import Runtime

log = logging.getLogger(__name__)

NAME = "circuit"
# A driver picks one of Spoke's states; for refusals and damage "other" and a note.
STATES = {"not_home": ("failed_not_home", "No answer"),
          "wrong_address": ("failed_cant_find_address", "Address not found"),
          "access": ("failed_no_parking", "Could not get to the door"),
          "refused": ("failed_other", "Recipient refused the parcel"),
          "damaged": ("failed_other", "Parcel damaged"),
          "other": ("failed_other", "Could not deliver")}
IMPORT_MAX = 100  # §8.3: stops per import


class CircuitPlay(PlatformPlay):
    name = NAME

    def start(self) -> None:
        first = self.operator.market(self.operator.depots[0].market)
        # The fake's own clock follows each event as it is carried, so what Spoke records
        # (attempt times, webhook `created`) is the event's time, not its batch's end.
        self.spoke_clock = VirtualClock(self.clock.now())
        self.fake = FakeCircuit(seed=self.seed, clock=self.spoke_clock, rate_limits=False,
                                timezone=first.timezone)
        self.fake.start()
        self.depots = {d.id: self.fake.add_depot(d.name) for d in self.operator.depots}
        self.zones = {d.id: ZoneInfo(self.operator.market(d.market).timezone)
                      for d in self.operator.depots}
        self.drivers: dict[str, str] = {}  # the simulator's driver id -> Spoke's
        self.orders: dict[str, dict[str, Any]] = {}  # delivery id -> its details, until planned
        self.stops: dict[str, str] = {}  # delivery id -> its Spoke stop
        self.routes: dict[str, str] = {}  # the simulator's route id -> Spoke's
        self.arrived: dict[str, datetime] = {}

    def settings(self) -> dict[str, Any]:
        return {"circuit_api_key": self.fake.api_key, "circuit_base_url": self.fake.api_url,
                "circuit_webhook_secret": self.fake.webhook_secret}

    def mapping(self) -> PlatformConfig:
        return PlatformConfig(
            default_depot=self.operator.depots[0].id,
            default_shipper=self.operator.shippers[0].id,
            depots={d.name: d.id for d in self.operator.depots},  # by Spoke's depot name
            shipper_field="orderInfo.sellerName",
            shippers={s.name: s.id for s in self.operator.shippers})

    def connect(self, rt: Runtime, doorstep_url: str) -> None:
        """What the operator does on Spoke's API settings page (§10): no API for it."""
        self.fake.set_webhook(doorstep_url.rstrip("/") + "/webhooks/circuit", version="v1")

    def carry(self, batch: list[Event]) -> list[Event]:
        handlers: dict[str, Callable[[dict[str, Any], datetime], bool]] = {
            "driver.upserted": self._driver, "delivery.created": self._order,
            "route.planned": self._plan, "route.started": self._started,
            "route.completed": lambda d, at: False,  # Spoke completes it with its last stop
            "delivery.arrived": self._arrived, "delivery.delivered": self._delivered,
            "delivery.failed": self._failed, "delivery.eta_updated": self._eta}
        others = []
        for event in batch:
            at = datetime.fromisoformat(event["occurred_at"])
            self.spoke_clock.set(at)
            handler = handlers.get(event["type"])
            if handler is None or self._did(handler, event["data"], at):
                others.append(self._for_doorstep(event))
        return others

    def settle(self, rt: Runtime) -> None:
        self.spoke_clock.set(self.clock.now())
        self.fake.deliver()  # the webhooks (doorstep fetches what they do not carry)
        connector = rt.connectors()[NAME]
        writes.drain(rt, {NAME: connector})  # dispositions, redeliveries, instructions

    def stop(self) -> None:
        fake = getattr(self, "fake", None)
        if fake is not None:
            fake.stop()

    # ---- the dispatcher ----------------------------------------------------------------------

    def _driver(self, d: dict[str, Any], at: datetime) -> bool:
        """Added in Spoke's driver list; the operator's own records (doorstep's intake) keep
        who is on call and which language each speaks."""
        if d["driver_id"] not in self.drivers:
            self.drivers[d["driver_id"]] = self.fake.add_driver(
                d["name"], phone=d.get("phone"), email=d.get("email"),
                depots=[self.depots[d["depot"]]])
        return True

    def _order(self, d: dict[str, Any], at: datetime) -> bool:
        if d["delivery_id"] in self.stops:
            return True  # already on Spoke: corrected details come from the operator's system
        self.orders[d["delivery_id"]] = {**d, "shipper_name": next(
            (s.name for s in self.operator.shippers if s.id == d["shipper"]), d["shipper"])}
        return False

    def _plan(self, d: dict[str, Any], at: datetime) -> bool:
        """One plan per route with its one driver: imported, optimized, put in the simulator's
        order and times (as if Spoke's optimizer had found them), distributed."""
        driver = self.drivers.get(str(d.get("driver_id") or ""))
        todo = [s for s in d["stops"] if s["delivery_id"] in self.orders]
        if driver is None or not todo or d["route_id"] in self.routes:
            return True
        tz = self.zones[d["depot"]]
        start = datetime.fromisoformat(d["planned_start"]).astimezone(self.fake.team.zone)
        plan = self.fake.add_plan(d["route_id"], datetime.fromisoformat(
            d["service_date"]).date(), drivers=[driver], depot=self.depots[d["depot"]])
        self.fake.team.update_plan(plan.removeprefix("plans/"), {"routeOverrides": {
            "startTime": {"hour": start.hour, "minute": start.minute}}})
        for k in range(0, len(todo), IMPORT_MAX):
            part = [self.orders[s["delivery_id"]] for s in todo[k:k + IMPORT_MAX]]
            made = self.fake.team.import_stops(plan.removeprefix("plans/"),
                                               [_stop(o, tz) for o in part])
            self.stops.update(zip((o["delivery_id"] for o in part), made["success"],
                                  strict=True))
        self.fake.optimize(plan)
        self.fake.finish_operations()
        with self.fake.team.lock:
            for s in todo:
                stop = self.fake.team.stops[self.stops[s["delivery_id"]]]
                stop["stopPosition"] = s["sequence"]
                if s.get("planned_arrival"):
                    eta = int(datetime.fromisoformat(s["planned_arrival"]).timestamp())
                    stop["eta"] = _eta(eta)
        self.fake.team.distribute(plan.removeprefix("plans/"))
        self.routes[d["route_id"]] = self.fake.routes_of(plan)[0]
        for s in todo:
            del self.orders[s["delivery_id"]]
        return False

    # ---- the drivers' app -----------------------------------------------------------------------

    def _started(self, d: dict[str, Any], at: datetime) -> bool:
        route = self.routes.get(d["route_id"])
        if route is None:
            return True
        self.fake.team.start_route(route)
        return False

    def _arrived(self, d: dict[str, Any], at: datetime) -> bool:
        if d["delivery_id"] not in self.stops:
            return True
        self.arrived[d["delivery_id"]] = at
        return False

    def _delivered(self, d: dict[str, Any], at: datetime) -> bool:
        pod = d.get("pod") or {}
        return self._attempt(d["delivery_id"], at, "delivered_to_recipient", photo_urls=[
            pod["photo_url"]] if pod.get("photo_url") else [],
            signature_url=pod.get("signature_url"), signee_name=pod.get("received_by"),
            internal_notes=d.get("notes"))

    def _failed(self, d: dict[str, Any], at: datetime) -> bool:
        state, said = STATES.get(d["reason"], STATES["other"])
        notes = f"{said}: {d['notes']}" if d.get("notes") else said
        return self._attempt(d["delivery_id"], at, state, internal_notes=notes)

    def _attempt(self, delivery_id: str, at: datetime, state: str, **proof: Any) -> bool:
        stop = self.stops.get(delivery_id)
        if stop is None:
            return True
        arrived = self.arrived.pop(delivery_id, None)
        stay = int((at - arrived).total_seconds()) if arrived and arrived < at else None
        self.fake.team.attempt(stop, state, time_at_stop=stay, **proof)
        return False

    def _eta(self, d: dict[str, Any], at: datetime) -> bool:
        """Spoke re-estimates on its own; the new ETA rides on the stop's next event."""
        stop = self.stops.get(d["delivery_id"])
        if stop is None:
            return True
        with self.fake.team.lock:
            self.fake.team.stops[stop]["eta"] = _eta(
                int(datetime.fromisoformat(d["eta"]).timestamp()))
        return False

    @staticmethod
    def _did(act: Callable[[dict[str, Any], datetime], bool], data: dict[str, Any],
             at: datetime) -> bool:
        """Do it on the fake; what the platform cannot take goes to doorstep's intake."""
        try:
            return act(data, at)
        except (ValueError, KeyError) as err:
            log.info("Circuit play: not carried (%s); sent to doorstep's intake", err)
            return True

    def _for_doorstep(self, event: Event) -> Event:
        """Drivers and routes by their Spoke ids, as the operator's systems name them."""
        data = dict(event["data"])
        if data.get("driver_id") in self.drivers:
            data["driver_id"] = ours(self.drivers[data["driver_id"]])
        if data.get("route_id") in self.routes:
            data["route_id"] = ours(self.routes[data["route_id"]])
        return {**event, "data": data}


def _eta(at: int) -> dict[str, Any]:
    return {"status": "available", "value": {"estimatedArrivalAt": at,
                                             "estimatedEarliestArrivalAt": at - WINDOW,
                                             "estimatedLatestArrivalAt": at + WINDOW}}


def _stop(d: dict[str, Any], tz: ZoneInfo) -> dict[str, Any]:
    """§8.1 stop input for one of the simulator's deliveries: the delivery's id in
    `recipient.externalId`, the shipper in `orderInfo.sellerName`, the window as times of day."""
    a, who = d["address"], d["recipient"]
    line = " ".join(p for p in (a["line1"], a.get("line2")) if p)
    address = {"addressLineOne": line[:255], "city": a["city"], "zip": a["postal_code"],
               "country": a.get("country", "US")}
    if a.get("region"):
        address["state"] = a["region"]
    if a.get("lat") is not None:
        address.update(latitude=a["lat"], longitude=a["lon"])
    body: dict[str, Any] = {
        "address": address,
        "recipient": {"externalId": d["delivery_id"], "name": who["name"],
                      **{k: who[k] for k in ("phone", "email") if who.get(k)}},
        "orderInfo": {"sellerName": d["shipper_name"]}}
    if d.get("window_start") and d.get("window_end"):
        start, end = (datetime.fromisoformat(d[k]).astimezone(tz)
                      for k in ("window_start", "window_end"))
        if end.date() == start.date():
            body["timing"] = {k: {"hour": t.hour, "minute": t.minute} for k, t in (
                ("earliestAttemptTime", start), ("latestAttemptTime", end))}
    if d.get("instructions"):
        body["notes"] = d["instructions"][:2000]
    return body
