"""A route's driver and vehicle written back to Onfleet (contracts/onfleet.md §5.5, §6.2): the
route's open tasks put at the end of the driver's worker's list, in the route's order, by
rewriting that list whole (the worker's other tasks kept in theirs); the vehicle doorstep gave
the route set as the worker's. With Onfleet a route is a worker's day, so the tasks then make
the route `<workerId>:<date>` of the new worker, which the webhooks that follow tell doorstep."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from doorstep.connectors.base import NotReadBack
from doorstep.connectors.http import PlatformError
from doorstep.connectors.onfleet import loader
from doorstep.connectors.onfleet.directory import Obj
from doorstep.connectors.onfleet.keeping import SOURCE
from doorstep.domain import StopStatus, VehicleClass
from doorstep.store import platform_links
from doorstep.store.tables import drivers, stops, vehicles

if TYPE_CHECKING:
    from doorstep.connectors.onfleet.connector import OnfleetConnector

# §6.1 has four vehicle types; doorstep's classes fall into them by size.
VEHICLE_TYPES = {VehicleClass.CAR: "CAR", VehicleClass.CARGO_VAN: "TRUCK",
                 VehicleClass.BOX_TRUCK: "TRUCK", VehicleClass.REFRIGERATED_VAN: "TRUCK",
                 VehicleClass.CARGO_BIKE: "BICYCLE"}


def team_of(c: OnfleetConnector, task: Obj) -> str | None:
    """The team a task belongs with: its own container's, else its worker's first."""
    container = task.get("container") or {}
    if container.get("type") == "TEAM" and isinstance(container.get("team"), str):
        return str(container["team"])
    worker = c.directory.workers.get(c.directory.task_worker(task) or "")
    teams = (worker or {}).get("teams") or []
    return str(teams[0]) if teams else None


def _worker_of(c: OnfleetConnector, driver_id: str) -> str:
    """The driver's worker: linked, else found by the driver's phone (§6.2 `phones`)."""
    with c.rt.db.reading() as s:
        linked = platform_links.platform_id(s, SOURCE, "driver", driver_id)
        phone = s.scalar(sa.select(drivers.c.phone).where(drivers.c.id == driver_id))
    if linked is not None:
        return linked
    found = c.client.json("GET", "/workers", params={"phones": phone}) if phone else []
    workers = [w for w in found or [] if isinstance(w, dict) and isinstance(w.get("id"), str)]
    if len(workers) != 1:
        raise PlatformError(SOURCE, 404, f"driver {driver_id} has no Onfleet worker")
    with c.rt.db.transaction() as s:
        platform_links.put(s, SOURCE, "driver", driver_id, workers[0]["id"], c.rt.clock.now())
    return str(workers[0]["id"])


def _route_tasks(c: OnfleetConnector, route_id: str) -> list[str]:
    """The Onfleet tasks of the route's stops not yet served, in the route's order."""
    with c.rt.db.reading() as s:
        ids = list(s.scalars(sa.select(stops.c.delivery_id)
                             .where(stops.c.route_id == route_id,
                                    stops.c.status.in_([StopStatus.PLANNED,
                                                        StopStatus.ARRIVED]))
                             .order_by(stops.c.sequence)))
        tasks = {d: platform_links.platform_id(s, SOURCE, "delivery", d) for d in ids}
    return [task for d in ids if (task := tasks[d]) is not None]


def _vehicle(c: OnfleetConnector, vehicle_id: str | None) -> dict[str, Any] | None:
    if not vehicle_id:
        return None
    with c.rt.db.reading() as s:
        row = s.execute(sa.select(vehicles.c.vehicle_class, vehicles.c.plate)
                        .where(vehicles.c.id == vehicle_id)).first()
    if row is None:
        raise PlatformError(SOURCE, 404, f"vehicle {vehicle_id} is not known to doorstep")
    wanted: dict[str, Any] = {"type": VEHICLE_TYPES.get(VehicleClass(row.vehicle_class), "CAR"),
                              "description": vehicle_id}
    if row.plate:
        wanted["licensePlate"] = row.plate
    return wanted


def _same_vehicle(have: Any, wanted: dict[str, Any]) -> bool:
    return isinstance(have, dict) and all(have.get(k) == v for k, v in wanted.items())


def assign_route(c: OnfleetConnector, p: dict[str, Any]) -> dict[str, Any]:
    worker_id = _worker_of(c, p["driver_id"])
    route_tasks = _route_tasks(c, p["route_id"])
    wanted_vehicle = _vehicle(c, p.get("vehicle_id"))
    path = f"/containers/workers/{loader.path_id(worker_id)}"
    current = c.client.json("GET", path)
    listed = [x for x in (current or {}).get("tasks") or [] if isinstance(x, str)]
    chosen = set(route_tasks)
    if [x for x in listed if x in chosen] != route_tasks:
        c.client.json("PUT", path, json={
            "tasks": [x for x in listed if x not in chosen] + route_tasks})
    worker = loader.worker(c, worker_id, fresh=True)
    if wanted_vehicle is not None and not _same_vehicle(worker.get("vehicle"), wanted_vehicle):
        c.client.json("PUT", f"/workers/{loader.path_id(worker_id)}",
                      json={"vehicle": wanted_vehicle})
        worker = loader.worker(c, worker_id, fresh=True)
    shown = [x for x in worker.get("tasks") or [] if x in chosen]
    if shown != route_tasks:
        raise NotReadBack(f"worker {worker_id} lists {shown}, not {route_tasks}")
    if wanted_vehicle is not None and not _same_vehicle(worker.get("vehicle"), wanted_vehicle):
        raise NotReadBack(f"worker {worker_id} has vehicle {worker.get('vehicle')}")
    return {"worker": worker_id, "tasks": route_tasks, "vehicle": worker.get("vehicle")}
