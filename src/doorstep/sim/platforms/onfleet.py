"""The simulated day played *as* Onfleet: a dispatcher makes the day's tasks in each depot's team
and puts them on the drivers' lists; drivers go on duty, start, reach, complete and fail tasks in
the fake's driver app; doorstep hears of it only through the Onfleet connector (its webhooks,
and the reads the connector makes). Shifts, vehicles, exceptions and replies are not
Onfleet's and go to doorstep as they are.

The fake runs on a clock of its own, set to each event's time as it is carried, so Onfleet's
timestamps are the simulated ones even though a batch of events is carried at once."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from doorstep.clock import VirtualClock
from doorstep.config import PlatformConfig
from doorstep.sim.fakes.onfleet import FakeOnfleet, OnfleetError
from doorstep.sim.platforms import PlatformPlay
from doorstep.sim.sinks import Event

# What the simulated drivers pick in the app when a delivery fails: an organization's own
# completion reasons (contracts/onfleet.md §4.4), which the connector reads back by their words.
REASON_CODES = {"not_home": "NOBODY_HOME", "wrong_address": "WRONG_ADDRESS",
                "access": "NO_ACCESS", "refused": "REFUSED", "damaged": "DAMAGED",
                "other": "OTHER"}
ASSIGNED, ACTIVE = 1, 2


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def _string(name: str, value: Any) -> dict[str, Any]:
    return {"name": name, "type": "string", "value": value}


class OnfleetPlay(PlatformPlay):
    name: ClassVar[str] = "onfleet"

    def start(self) -> None:
        first = self.operator.markets[0]
        self.fake_clock = VirtualClock(self.clock.now())
        self.fake = FakeOnfleet(clock=self.fake_clock, seed=self.seed, rate_limit=None,
                                country="US", timezone=first.timezone,
                                name=self.operator.operator.name).start()
        self.teams = {d.id: self.fake.add_team(d.name) for d in self.operator.depots}
        self.workers: dict[str, str] = {}  # doorstep driver -> Onfleet worker
        self.tasks: dict[str, str] = {}  # doorstep delivery -> Onfleet task
        self.routes: dict[str, tuple[str, str, list[str]]] = {}  # route -> (worker, day, tasks)

    def settings(self) -> dict[str, Any]:
        return {"onfleet_api_key": self.fake.api_key, "onfleet_base_url": self.fake.base_url,
                "onfleet_webhook_secret": self.fake.webhook_secret}

    def mapping(self) -> PlatformConfig:
        return PlatformConfig(default_depot=self.operator.depots[0].id,
                              default_shipper=self.operator.shippers[0].id,
                              depots={team: depot for depot, team in self.teams.items()},
                              shipper_field="shipper", silence_platform_messages=True)

    def carry(self, batch: list[Event]) -> list[Event]:
        rest: list[Event] = []
        for event in batch:
            at = datetime.fromisoformat(event["occurred_at"])
            if at > self.fake_clock.now():
                self.fake_clock.set(at)
            act = getattr(self, "_" + event["type"].replace(".", "_"), None)
            if act is None or act(event, event["data"]) is False:
                rest.append(event)
        return rest

    def settle(self, rt: Any) -> None:
        for _ in range(10):  # what doorstep did on hearing them may make Onfleet say more
            if not self.fake.deliver():
                return

    def stop(self) -> None:
        if hasattr(self, "fake"):
            self.fake.stop()

    # ---- the dispatcher ------------------------------------------------------------------------

    def _driver_upserted(self, event: Event, d: dict[str, Any]) -> None:
        worker = self.workers.get(d["driver_id"])
        if worker is not None:
            self.fake.org.update_worker(worker, {"name": d["name"]})
            return
        body = {"name": d["name"], "phone": d.get("phone") or "", "teams": [self.teams[d["depot"]]],
                "metadata": [_string("doorstep_driver", d["driver_id"]),
                             _string("language", d.get("language", "en")),
                             {"name": "on_call", "type": "boolean", "value": d.get("on_call",
                                                                                   False)}]}
        try:
            made = self.fake.org.create_worker(body)
        except OnfleetError:  # a made-up number Onfleet would not take: one it would
            made = self.fake.org.create_worker({**body, "phone": f"+1212555{2000 + len(self.workers):04d}"})
        self.workers[d["driver_id"]] = made["id"]

    def _delivery_created(self, event: Event, d: dict[str, Any]) -> None:
        if d["delivery_id"] in self.tasks:
            return
        a, who = d["address"], d["recipient"]
        number, _, street = a["line1"].partition(" ")
        if not number.isdigit():
            number, street = "", a["line1"]
        address = {"number": number, "street": street, "apartment": a.get("line2"),
                   "city": a["city"], "state": a.get("region"), "postalCode": a["postal_code"],
                   "country": a.get("country", "US")}
        destination: dict[str, Any] = {"address": address}
        if a.get("lat") is not None and a.get("lon") is not None:
            destination["location"] = [a["lon"], a["lat"]]
        body: dict[str, Any] = {
            "destination": destination, "recipientName": who["name"],
            "container": {"type": "TEAM", "team": self.teams[d["depot"]]},
            "metadata": [_string("doorstep_delivery", d["delivery_id"]),
                         _string("shipper", d["shipper"]),
                         {"name": "time_sensitive", "type": "boolean",
                          "value": bool(d.get("time_sensitive"))}]}
        if who.get("phone"):
            meta = [_string("language", who.get("language", "en"))]
            if who.get("email"):
                meta.append(_string("email", who["email"]))
            body["recipients"] = [{"name": who["name"], "phone": who["phone"],
                                   "skipPhoneNumberValidation": True, "metadata": meta}]
        if d.get("window_start") and d.get("window_end"):
            body["completeAfter"] = _ms(datetime.fromisoformat(d["window_start"]))
            body["completeBefore"] = _ms(datetime.fromisoformat(d["window_end"]))
        if d.get("instructions"):
            body["notes"] = d["instructions"]
        self.tasks[d["delivery_id"]] = self.fake.org.create_task(body)["id"]

    def _delivery_cancelled(self, event: Event, d: dict[str, Any]) -> None:
        task = self.tasks.get(d["delivery_id"])
        if task is not None and self.fake.task(task)["state"] <= ASSIGNED:
            self.fake.org.delete_task(task)

    def _route_planned(self, event: Event, d: dict[str, Any]) -> None:
        worker = self.workers[d["driver_id"]]
        tasks = [self.tasks[s["delivery_id"]] for s in sorted(d["stops"],
                                                              key=lambda s: s["sequence"])]
        self._put_on(worker, tasks)
        self.routes[d["route_id"]] = (worker, d["service_date"], tasks)

    def _put_on(self, worker: str, tasks: list[str]) -> None:
        for task in tasks:
            if self.fake.task(task)["state"] <= ASSIGNED and self.fake.task(task)["worker"] != worker:
                self.fake.assign(task, worker)

    def _route_completed(self, event: Event, d: dict[str, Any]) -> None:
        """Onfleet has no routes: the day ends when the driver goes off duty."""

    def _exception_reported(self, event: Event, d: dict[str, Any]) -> bool:
        route = self.routes.get(d.get("route_id") or "")
        if route is not None:  # doorstep knows the route as the worker's day
            d["route_id"] = f"{route[0]}:{route[1]}"
        return False

    # ---- the drivers -------------------------------------------------------------------------

    def _driver_duty_changed(self, event: Event, d: dict[str, Any]) -> None:
        worker = self.workers[d["driver_id"]]
        route_id = event["id"].partition("-duty-")[2].removesuffix("-on")
        route = self.routes.get(route_id) if d["on_duty"] else None
        if route is not None and route[0] != worker:  # another driver covers the route
            self._put_on(worker, route[2])
            self.routes[route_id] = (worker, route[1], route[2])
        self.fake.set_duty(worker, d["on_duty"])

    def _route_started(self, event: Event, d: dict[str, Any]) -> None:
        worker, _, tasks = self.routes[d["route_id"]]
        self.fake.set_duty(worker, True)
        waiting = [t for t in tasks if self.fake.task(t)["state"] == ASSIGNED]
        if waiting and not self.fake.worker(worker)["activeTask"]:
            self.fake.start_task(waiting[0])

    def _underway(self, delivery_id: str) -> str:
        task = self.tasks[delivery_id]
        if self.fake.task(task)["state"] == ASSIGNED:
            worker = self.fake.task(task)["worker"]
            self.fake.set_duty(worker, True)
            self.fake.start_task(task)
        return task

    def _delivery_arrived(self, event: Event, d: dict[str, Any]) -> None:
        self.fake.report(self._underway(d["delivery_id"]), distance=0)

    def _delivery_eta_updated(self, event: Event, d: dict[str, Any]) -> None:
        task = self.tasks[d["delivery_id"]]
        if self.fake.task(task)["state"] in (ASSIGNED, ACTIVE):
            ahead = (datetime.fromisoformat(d["eta"]) - self.fake_clock.now()).total_seconds()
            self.fake.report(task, eta_seconds=max(0.0, ahead))

    def _delivery_delivered(self, event: Event, d: dict[str, Any]) -> None:
        pod = d.get("pod") or {}
        self.fake.complete_task(self._underway(d["delivery_id"]), notes=d.get("notes") or "",
                                photos=1 if pod.get("photo_url") else 0,
                                signature=pod.get("received_by") if pod.get("signature_url")
                                else None)

    def _delivery_failed(self, event: Event, d: dict[str, Any]) -> None:
        self.fake.fail_task(self._underway(d["delivery_id"]), reason=REASON_CODES[d["reason"]],
                            notes=d.get("notes") or "", photos=0)
