"""A local fake of Circuit for Teams / Spoke Dispatch, API v1 (contracts/circuit.md §12).

    with FakeCircuit(seed=1, clock=clock, webhook_url="http://127.0.0.1:8000/webhooks/circuit")
            as fake:
        httpx.get(f"{fake.api_url}/plans", auth=(fake.api_key, ""))   # Basic base64(key:)
        driver = fake.add_driver("Dana", phone="+12175550100")
        plan = fake.add_plan("Tue", date(2026, 7, 14), drivers=[driver])
        stop = fake.add_stop(plan, "12 Elm St", external_id="DLV-1001")
        fake.optimize(plan); fake.finish_operations(); fake.distribute(plan)  # stop.allocated
        fake.start_route(fake.routes_of(plan)[0])            # stop.out_for_delivery
        fake.fail_stop(stop, "failed_not_home", notes="No answer")   # stop.attempted_delivery

Nothing moves by itself: an optimization finishes when the clock reaches it (or on
`finish_operations()`), webhooks are posted by `deliver()` (the driving methods call it) and
retried by `advance()`. `run_in_background()` does `deliver()` on a timer for the demo.
Modules: `circuit_server` (server, settings, faults, records), `circuit_api` (HTTP),
`circuit_state`, `circuit_stops`, `circuit_plans` (rules), `circuit_inputs` and
`circuit_records` (vocabulary), `circuit_hooks` (webhooks).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from doorstep.sim.fakes.circuit_hooks import HookDelivery
from doorstep.sim.fakes.circuit_server import CircuitServer, Options

__all__ = ["FakeCircuit", "Options"]


class FakeCircuit(CircuitServer):
    """A fake Spoke team over HTTP; the methods below act as its dispatcher and drivers."""

    # ---- driving, as a dispatcher and the drivers would -----------------------------------------

    def add_depot(self, name: str, *, start: tuple[int, int] = (8, 0)) -> str:
        return self.team.add_depot(name, {"startTime": {"hour": start[0], "minute": start[1]},
                                          "startAddress": None})

    def add_driver(self, name: str, *, phone: str | None = None, email: str | None = None,
                   depots: Sequence[str] | None = None, active: bool = True) -> str:
        body: dict[str, Any] = {"name": name, "phone": phone, "email": email, "active": active}
        if depots is not None:
            body["depots"] = list(depots)
        return str(self.team.add_driver(body)["id"])

    def add_custom_property(self, name: str, *, visible_to_drivers: bool = True) -> str:
        """A custom stop property, as a dispatcher makes one in the dashboard (§7.7)."""
        with self.team.lock:
            prop_id = f"team/customStopProperties/{self.team.fresh('p').split('/')[1]}"
            self.team.custom_properties[prop_id] = {
                "id": prop_id, "name": name, "visibleToDrivers": visible_to_drivers,
                "visibleToRecipients": False}
            return prop_id

    def add_plan(self, title: str, starts: date, *, drivers: Iterable[str] = (),
                 depot: str | None = None) -> str:
        body: dict[str, Any] = {"title": title, "drivers": list(drivers), "starts": {
            "day": starts.day, "month": starts.month, "year": starts.year}}
        if depot is not None:
            body["depot"] = depot
        return str(self.team.create_plan(body)["id"])

    def add_stop(self, plan: str, address: str, *, external_id: str | None = None,
                 name: str | None = None, phone: str | None = None, email: str | None = None,
                 notes: str | None = None, **fields: Any) -> str:
        """A stop on `plan` (a `plans/<id>`); `fields` are more §8.1 stop input fields."""
        body = {"address": {"addressLineOne": address}, "recipient": {
            "externalId": external_id, "name": name, "phone": phone, "email": email},
            **({"notes": notes} if notes else {}), **fields}
        return str(self.team.create_stop(plan.removeprefix("plans/"), body)["id"])

    def add_unassigned_stop(self, address: str, *, external_id: str | None = None,
                            **fields: Any) -> str:
        body = {"address": {"addressLineOne": address},
                "recipient": {"externalId": external_id}, **fields}
        return str(self.team.create_unassigned(body)["id"])

    def optimize(self, plan: str) -> str:
        """As a dispatcher pressing Optimize: the Operation's id."""
        return str(self.team.optimize(plan.removeprefix("plans/"), "dispatcher")["id"])

    def finish_operations(self) -> None:
        self.team.settle(force=True)

    def distribute(self, plan: str) -> list[HookDelivery]:
        self.team.distribute(plan.removeprefix("plans/"))
        return self.deliver()

    def routes_of(self, plan: str) -> list[str]:
        return list(self.team.plan(plan.removeprefix("plans/"))["routes"])

    def get_stop(self, stop: str) -> dict[str, Any]:
        with self.team.lock:
            return self.team.render(self.team.stops[stop])

    def start_route(self, route: str) -> list[HookDelivery]:
        self.team.start_route(route)
        return self.deliver()

    def complete_stop(self, stop: str, state: str = "delivered_to_recipient", *,
                      photo_urls: Sequence[str] = (), signature_url: str | None = None,
                      signee_name: str | None = None,
                      notes: str | None = None) -> list[HookDelivery]:
        """A successful attempt with its proof of delivery (photos, signature, signee)."""
        self.team.attempt(stop, state, photo_urls=photo_urls, signature_url=signature_url,
                          signee_name=signee_name, internal_notes=notes)
        return self.deliver()

    def fail_stop(self, stop: str, reason: str = "failed_not_home", *, notes: str | None = None,
                  recipient_notes: str | None = None,
                  photo_urls: Sequence[str] = ()) -> list[HookDelivery]:
        self.team.attempt(stop, reason, internal_notes=notes, recipient_notes=recipient_notes,
                          photo_urls=photo_urls)
        return self.deliver()

    def send_test_event(self) -> list[HookDelivery]:
        """The *Test* button of the webhook settings (§10): the payload is unverified ❓ —
        a Stop in v1, `{email, webhookUrl}` in v0.2b, as clients saw them ◐."""
        with self.team.lock:
            sample = next(iter(self.team.stops.values()), None)
            data = (self.team.render(sample) if sample and self.hooks.settings.version == "v1"
                    else {"email": "dispatch@example.com", "webhookUrl": self.hooks.settings.url})
            ms = int(self.clock.now().timestamp() * 1000)
        self.hooks.queue("test.send_event", ms, data, self.clock.now())
        return self.deliver()
