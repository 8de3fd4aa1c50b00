"""doorstep's writes to Spoke (contracts/circuit.md §8, §9.2, §11), each idempotent and read
back with a GET: a stop's notes (recipient instructions, the disposition, or a custom stop
property named "doorstep disposition" when the team has one), a route's driver as far as the
API allows, and the recipient-message switch Spoke does not have."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from doorstep.connectors.base import NotReadBack, Write
from doorstep.connectors.circuit import keeping
from doorstep.connectors.circuit.client import PLATFORM, bare, path_of
from doorstep.connectors.circuit.notes import MARK, instructions_of, notes_with, ours_of
from doorstep.connectors.circuit.redelivery import redeliver
from doorstep.connectors.circuit.stops import attempted
from doorstep.connectors.http import PlatformClient, PlatformError
from doorstep.store.platform_writes import WriteKind

if TYPE_CHECKING:
    from doorstep.runtime import Runtime

DISPOSITION = f"{MARK} disposition:"
PROPERTY_NAMES = ("doorstep disposition", "disposition")
# contracts/circuit.md §11: no plan, stop or team field switches them off.
SILENCE_NOTE = ("Spoke has no API switch for its recipient notifications: turn them off in "
                "Spoke's dashboard, Settings > External parties > Recipient notifications")


def refused(detail: str, code: str = "not_possible", status: int = 409) -> PlatformError:
    """A write Spoke's API cannot make: for a person, with what to do instead."""
    return PlatformError(PLATFORM, status, detail, code)


class Writer:
    def __init__(self, rt: Runtime, client: PlatformClient) -> None:
        self.rt, self.client = rt, client
        self._property: tuple[str | None] | None = None

    def write(self, w: Write) -> dict[str, Any]:
        p = w.payload
        if w.kind is WriteKind.ASSIGN_ROUTE:
            return self.assign(p["route_id"], p.get("driver_id"), p.get("vehicle_id"))
        if w.kind is WriteKind.REDELIVERY:
            return redeliver(self.rt, self.client, self, p["delivery_id"], p["date"],
                             p.get("instructions"))
        stop_id = self.stop_of(p["delivery_id"])
        if w.kind is WriteKind.INSTRUCTIONS:
            return self.instructions(stop_id, p.get("instructions") or "")
        if w.kind is WriteKind.DISPOSITION:
            line = f"{DISPOSITION} {p['disposition']}" + (
                f" on {p['redelivery_date']}" if p.get("redelivery_date") else "") + (
                f" ({p['notes']})" if p.get("notes") else "")
            return self.disposition(stop_id, line[:300])
        if w.kind is WriteKind.SILENCE_RECIPIENT:
            stop = self.get(stop_id)
            state = ((stop.get("route") or {}).get("state") or {})
            return {"supported": False, "stop": stop_id,
                    "spoke_notified": bool(state.get("notifiedRecipients")), "note": SILENCE_NOTE}
        raise ValueError(f"unknown write kind {w.kind}")

    # ---- stops ------------------------------------------------------------------------------------

    def stop_of(self, delivery_id: str) -> str:
        stop_id = keeping.linked_stop(self.rt, delivery_id)
        if stop_id is None:
            raise refused(f"no Spoke stop is linked to delivery {delivery_id}", "not_linked", 404)
        return stop_id

    def get(self, platform_id: str) -> dict[str, Any]:
        found = self.client.json("GET", path_of(platform_id))
        assert isinstance(found, dict)
        return found

    def update(self, stop_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        """PATCH a stop of a writable plan (or an unassigned stop); a stop of an optimized plan
        through the live endpoint (§8.3). Returns the stop as read back."""
        if stop_id.startswith("unassignedStops/"):
            self.client.json("PATCH", path_of(stop_id), json=fields)
            return self.get(stop_id)
        try:
            self.client.json("PATCH", path_of(stop_id), json=fields)
        except PlatformError as err:
            if err.code != "plan_not_writable":
                raise
            plan, stop = stop_id.split("/stops/")
            answer = self.client.json("POST", f"/{plan}/stops/{bare(stop)}:liveUpdate",
                                      json=fields) or {}
            if answer.get("pending"):
                raise NotReadBack(f"{stop_id}: Spoke holds the change until a dispatcher "
                                  "re-optimizes and redistributes the plan") from None
        return self.get(stop_id)

    def instructions(self, stop_id: str, text: str) -> dict[str, Any]:
        stop = self.get(stop_id)
        if attempted(stop):
            return {"stop": stop_id, "skipped": "the stop was attempted already; a redelivery "
                                                "stop carries the instructions"}
        wanted = notes_with(text, ours_of(stop.get("notes")))
        if (stop.get("notes") or "") != wanted:
            stop = self.update(stop_id, {"notes": wanted or None})
        if (stop.get("notes") or "") != wanted:
            raise NotReadBack(f"{stop_id}: notes read back as {stop.get('notes')!r}")
        return {"stop": stop_id, "notes": stop.get("notes")}

    def disposition(self, stop_id: str, line: str) -> dict[str, Any]:
        stop = self.get(stop_id)
        prop = self.disposition_property()
        if prop is not None:
            props = {k: v for k, v in (stop.get("customProperties") or {}).items()
                     if v is not None}
            if props.get(prop) != line:
                stop = self.update(stop_id, {"customProperties": {**props, prop: line}})
            shown = (stop.get("customProperties") or {}).get(prop)
            if shown != line:
                raise NotReadBack(f"{stop_id}: custom property {prop} reads {shown!r}")
            return {"stop": stop_id, "property": prop, "value": shown}
        kept = [x for x in ours_of(stop.get("notes")) if not x.startswith(DISPOSITION)]
        wanted = notes_with(instructions_of(stop.get("notes")), [*kept, line])
        if (stop.get("notes") or "") != wanted:
            stop = self.update(stop_id, {"notes": wanted})
        if line not in (stop.get("notes") or ""):
            raise NotReadBack(f"{stop_id}: the disposition is not in the notes read back")
        return {"stop": stop_id, "notes": stop.get("notes")}

    def disposition_property(self) -> str | None:
        """The id of the team's custom stop property for dispositions, if it made one."""
        if self._property is None:
            try:
                answer = self.client.json("GET", "/team/customStopProperties") or {}
            except PlatformError as err:
                if err.status not in (403, 404):  # v0.2b, or not in the subscription
                    raise
                answer = {}
            found = next((p.get("id") for p in answer.get("customStopProperties") or []
                          if str(p.get("name") or "").strip().casefold() in PROPERTY_NAMES),
                         None)
            self._property = (bare(found) if isinstance(found, str) else None,)
        return self._property[0]

    # ---- a route's driver (§9.2) -------------------------------------------------------------------

    def assign(self, route_id: str, driver_id: str | None,
               vehicle_id: str | None) -> dict[str, Any]:
        """Spoke assigns drivers by optimizing a plan: a plan still being edited takes the new
        driver in place of the route's; once optimized, only a dispatcher can reassign."""
        route_ref = keeping.linked(self.rt, "route", route_id)
        driver_ref = keeping.linked(self.rt, "driver", driver_id) if driver_id else None
        if route_ref is None or (driver_id and driver_ref is None):
            raise refused(f"route {route_id} or driver {driver_id} is not one of Spoke's",
                          "not_linked", 404)
        note = {"vehicle": "Spoke has no vehicles; not written"} if vehicle_id else {}
        route = self.get(route_ref)
        if route.get("driver") == driver_ref:
            return {"route": route_ref, "driver": route.get("driver"), **note}
        plan = self.get(route["plan"])
        if not plan.get("writable"):
            raise refused(f"{route_ref} is on an optimized plan: Spoke's API cannot change its "
                          "driver; reassign it in Spoke's dispatcher (Routes, then the route's "
                          "driver) and re-distribute", "plan_not_writable")
        on_plan = _ids(plan.get("drivers"))
        drivers = [d for d in on_plan if d != route.get("driver")]
        wanted = [*drivers, driver_ref] if driver_ref and driver_ref not in drivers else drivers
        if on_plan != wanted:
            self.client.json("PATCH", path_of(plan["id"]), json={"drivers": wanted})
        shown = _ids(self.get(plan["id"]).get("drivers"))
        if shown != wanted:
            raise NotReadBack(f"{plan['id']}: drivers read back as {shown}")
        return {"route": route_ref, "plan": plan["id"], "plan_drivers": shown,
                "applies": "at the plan's next optimization", **note}


def _ids(drivers: Any) -> list[str]:
    """A plan's drivers: ids in v1, whole Driver objects in v0.2b (§13)."""
    return [str(d.get("id")) if isinstance(d, dict) else str(d) for d in drivers or []]
