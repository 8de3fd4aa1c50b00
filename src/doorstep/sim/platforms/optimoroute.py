"""The simulated day played as OptimoRoute: the dispatcher enters the orders and plans each
route onto its driver in the fake's web app, the drivers' phones report the day as §11 events,
and doorstep hears of it only through its OptimoRoute connector (sync and `get_events` polls).

OptimoRoute keeps no phone numbers or languages of drivers and knows nothing of vehicles,
shifts, exceptions or replies: those reach doorstep through its own intake, as they would from
the operator's other systems. A driver's serial is a number; the operator's driver id is the
driver's external id, as an operator sets them up. ETA updates are carried as OptimoRoute's
`start_time_changed` (its live ETA) with the new planned time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from doorstep.config import PlatformConfig
from doorstep.connectors import writes
from doorstep.sim.fakes.optimoroute import FakeOptimoRoute
from doorstep.sim.fakes.optimoroute_records import OptimoError, stamp
from doorstep.sim.platforms import PlatformPlay
from doorstep.sim.sinks import Event

if TYPE_CHECKING:
    from doorstep.runtime import Runtime

log = logging.getLogger(__name__)

NAME = "optimoroute"
SYNC_EVERY = timedelta(minutes=15)  # as the scheduled sync (platform_sync_minutes)
SHIPPER_FIELD, DEPOT_FIELD = "customField1", "customField2"
NOTES = {"not_home": "Nobody home", "wrong_address": "Address not found",
         "access": "Gate locked, no access", "refused": "Recipient refused the parcel",
         "damaged": "Parcel damaged", "other": "Could not deliver"}


class OptimoRoutePlay(PlatformPlay):
    name = NAME

    def start(self) -> None:
        first = self.operator.depots[0]
        self.zones = {d.id: ZoneInfo(self.operator.market(d.market).timezone)
                      for d in self.operator.depots}
        self.depots = {d.id: d for d in self.operator.depots}
        self.fake = FakeOptimoRoute(clock=self.clock, seed=self.seed,
                                    timezone=self.operator.market(first.market).timezone,
                                    center=(first.lat, first.lon)).start()
        self.serials: dict[str, str] = {}  # the operator's driver id -> serial
        self.plates: dict[str, str] = {}  # vehicle id -> registration
        self.shifts: dict[tuple[str, str], dict[str, Any]] = {}  # (date, driver) -> shift
        self.routes: dict[str, tuple[str, date]] = {}  # sim route id -> (serial, day)
        self.on_route: dict[str, str] = {}  # delivery id -> serial
        self.dirty: set[date] = set()
        self.plan_changed = False
        self.synced_at: datetime | None = None

    def settings(self) -> dict[str, Any]:
        return {"optimoroute_api_key": self.fake.api_key,
                "optimoroute_base_url": self.fake.base_url}

    def mapping(self) -> PlatformConfig:
        return PlatformConfig(
            default_depot=self.operator.depots[0].id,
            default_shipper=self.operator.shippers[0].id,
            depots={d.id: d.id for d in self.operator.depots},
            shipper_field=SHIPPER_FIELD, depot_field=DEPOT_FIELD)

    def carry(self, batch: list[Event]) -> list[Event]:
        handlers: dict[str, Callable[[dict[str, Any], datetime], bool]] = {
            "driver.upserted": self._driver, "vehicle.upserted": self._vehicle,
            "shift.planned": self._shift, "delivery.created": self._order,
            "route.planned": self._plan, "route.started": self._route_event,
            "route.completed": self._route_event, "driver.duty_changed": self._duty,
            "delivery.arrived": self._arrived, "delivery.delivered": self._delivered,
            "delivery.failed": self._failed, "delivery.eta_updated": self._eta,
            "delivery.cancelled": self._cancelled}
        others = []
        for event in batch:
            handler = handlers.get(event["type"])
            data = {**event["data"], "_type": event["type"]}
            at = datetime.fromisoformat(event["occurred_at"])
            if handler is None or handler(data, at):
                others.append(self._for_doorstep(event))
        return others

    def settle(self, rt: Runtime) -> None:
        connector = rt.connectors()[NAME]
        now = self.clock.now()
        if self.dirty and (self.plan_changed or self.synced_at is None
                           or now - self.synced_at >= SYNC_EVERY):
            connector.sync(sorted(self.dirty))
            self.dirty.clear()
            self.plan_changed, self.synced_at = False, now
        connector.poll()
        writes.drain(rt, {NAME: connector})

    def stop(self) -> None:
        fake = getattr(self, "fake", None)
        if fake is not None:
            fake.stop()

    # ---- what the operator's people and systems do ------------------------------------------

    def _driver(self, d: dict[str, Any], at: datetime) -> bool:
        """Set up in OptimoRoute's driver administration; the contact details stay with the
        operator's own records (doorstep's intake)."""
        if d["driver_id"] not in self.serials:
            serial = str(101 + len(self.serials))
            self.serials[d["driver_id"]] = serial
            self.fake.add_driver(serial, d["name"], external_id=d["driver_id"])
        return True

    def _vehicle(self, d: dict[str, Any], at: datetime) -> bool:
        if d.get("plate"):
            self.plates[d["vehicle_id"]] = d["plate"]
        return True

    def _shift(self, d: dict[str, Any], at: datetime) -> bool:
        if d.get("driver_id"):
            self.shifts[(d["service_date"], d["driver_id"])] = d
        return True

    def _order(self, d: dict[str, Any], at: datetime) -> bool:
        tz = self.zones[d["depot"]]
        a, who = d["address"], d["recipient"]
        line = ", ".join(p for p in (a["line1"], a.get("line2"), a["city"],
                                     f"{a.get('region') or ''} {a['postal_code']}".strip()) if p)
        body: dict[str, Any] = {
            "orderNo": d["delivery_id"], "date": d["service_date"], "type": "D",
            "location": {"address": line, "locationName": who["name"],
                         **({"latitude": a["lat"], "longitude": a["lon"]}
                            if a.get("lat") is not None else {})},
            "priority": "H" if d.get("time_sensitive") else "M",
            SHIPPER_FIELD: d["shipper"], DEPOT_FIELD: d["depot"]}
        if d.get("window_start") and d.get("window_end"):
            start, end = (datetime.fromisoformat(d[k]).astimezone(tz)
                          for k in ("window_start", "window_end"))
            body["timeWindows"] = [{"twFrom": start.strftime("%H:%M"),
                                    "twTo": min(end.strftime("%H:%M"), "23:59")
                                    if end.date() == start.date() else "23:59"}]
        for key in ("phone", "email"):
            if who.get(key):
                body[key] = who[key]
        if d.get("instructions"):
            body["notes"] = d["instructions"]
        with self.fake.state.lock:
            try:
                self.fake.state.upsert({"operation": "CREATE", **body}, geocoding=True)
            except OptimoError:  # corrected details of an order already entered
                self.fake.state.upsert({"operation": "MERGE", **body}, geocoding=True)
        self.dirty.add(date.fromisoformat(d["service_date"]))
        return False

    def _plan(self, d: dict[str, Any], at: datetime) -> bool:
        """The dispatcher plans the route onto its driver for the day."""
        driver = str(d.get("driver_id") or "")
        serial = self.serials.get(driver)
        if serial is None:
            return True  # a route without a driver OptimoRoute knows: not on the platform
        day, tz = date.fromisoformat(d["service_date"]), self.zones[d["depot"]]
        shift = self.shifts.get((d["service_date"], driver), {})
        params: dict[str, Any] = {"serial": serial, "date": d["service_date"], "enabled": True,
                                  "startLatitude": self.depots[d["depot"]].lat,
                                  "startLongitude": self.depots[d["depot"]].lon}
        starts = shift.get("starts_at") or d["planned_start"]
        params["workTimeFrom"] = datetime.fromisoformat(starts).astimezone(tz).strftime("%H:%M")
        plate = self.plates.get(d.get("vehicle_id") or shift.get("vehicle_id") or "")
        if plate:
            params["assignedVehicle"] = plate
        self.fake.state.update_driver_parameters(params)
        self.fake.plan(day, startWith="CURRENT", useDrivers=[{"driverSerial": serial}],
                       useOrderObjects=[{"orderNo": s["delivery_id"]} for s in d["stops"]])
        self.routes[d["route_id"]] = (serial, day)
        self.on_route.update({s["delivery_id"]: serial for s in d["stops"]})
        self.dirty.add(day)
        self.plan_changed = True
        return False

    # ---- what the drivers' phones report ------------------------------------------------------

    def _route_event(self, d: dict[str, Any], at: datetime) -> bool:
        if d["route_id"] not in self.routes:
            return True
        serial, day = self.routes[d["route_id"]]
        act = self.fake.start_route if d["_type"] == "route.started" else self.fake.end_route
        return self._did(lambda: act(serial, day, at))

    def _duty(self, d: dict[str, Any], at: datetime) -> bool:
        serial = self.serials.get(d["driver_id"])
        if serial is None:
            return True
        act = self.fake.on_duty if d["on_duty"] else self.fake.off_duty
        return self._did(lambda: act(serial, at))

    def _arrived(self, d: dict[str, Any], at: datetime) -> bool:
        return self._did(lambda: self.fake.start_service(d["delivery_id"], at))

    def _delivered(self, d: dict[str, Any], at: datetime) -> bool:
        pod = d.get("pod") or {}
        return self._did(lambda: self.fake.complete(
            d["delivery_id"], note=d.get("notes") or "", signature=bool(pod.get("signature_url")),
            photos=1 if pod.get("photo_url") else 0, at=at))

    def _failed(self, d: dict[str, Any], at: datetime) -> bool:
        note = NOTES.get(d["reason"], NOTES["other"])
        if d.get("notes"):
            note = f"{note}: {d['notes']}"
        return self._did(lambda: self.fake.fail(d["delivery_id"], note, at=at))

    def _eta(self, d: dict[str, Any], at: datetime) -> bool:
        serial = self.on_route.get(d["delivery_id"])
        eta = datetime.fromisoformat(d["eta"])
        return self._did(lambda: self.fake.add_event(
            "start_time_changed", at=at, serial=serial, order_no=d["delivery_id"],
            plannedStartTime=stamp(eta, self.fake.state.tz)))

    def _cancelled(self, d: dict[str, Any], at: datetime) -> bool:
        """No event tells of a cancellation: the next sync reads it from the order."""
        done = self._did(lambda: self.fake.cancel(d["delivery_id"]))
        if not done:
            self.dirty.add(self.fake.state.find({"orderNo": d["delivery_id"]}).day)
        return done

    def _did(self, act: Callable[[], object]) -> bool:
        """Do it on the fake; if the platform cannot (the order is not where the simulator
        thinks), the event goes to doorstep's intake instead of being lost."""
        try:
            act()
        except (ValueError, KeyError, OptimoError) as err:
            log.info("OptimoRoute play: not carried (%s); sent to doorstep's intake", err)
            return True
        return False

    def _for_doorstep(self, event: Event) -> Event:
        """A route is known to doorstep by OptimoRoute's name for it (`<serial>:<date>`)."""
        route = self.routes.get(str(event["data"].get("route_id")))
        if route is None:
            return event
        return {**event, "data": {**event["data"], "route_id": f"{route[0]}:{route[1]}"}}
