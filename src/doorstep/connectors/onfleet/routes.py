"""A worker's day as doorstep's route (contracts/onfleet.md §5.5, §6.1): Onfleet keeps one ordered
list of tasks per worker and no routes, so the route `<workerId>:<date>` is that worker's tasks
of that service day: done ones in the order they were finished, the active one, then the list.
Pure: the tasks and the worker come from the API."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from doorstep.connectors.onfleet import tasks as t
from doorstep.connectors.onfleet.directory import Directory, Obj, instant, route_id

# Without a window or an estimate on any task, a route is taken to start at this local time.
DEFAULT_START = time(8, 0)
MAX_STOPS = 2000


@dataclass
class Day:
    """One worker's tasks of one service day, in the order they are driven."""

    route_id: str
    worker: Obj
    day: date
    done: list[Obj]  # by completion time
    active: Obj | None
    waiting: list[Obj]  # the worker's list, in its order

    @property
    def tasks(self) -> list[Obj]:
        return [*self.done, *([self.active] if self.active else []), *self.waiting]

    @property
    def started_at(self) -> datetime | None:
        starts = [s for task in [*self.done, *([self.active] if self.active else [])]
                  if (s := t.started_at(task) or t.finished_at(task)) is not None]
        return min(starts) if starts else None

    @property
    def finished_at(self) -> datetime | None:
        """When the last task was done, if the worker went off duty with nothing left."""
        if self.worker.get("onDuty") or self.active or self.waiting or not self.done:
            return None
        ends = [e for task in self.done if (e := t.finished_at(task)) is not None]
        return max(ends) if ends else None


def arrange(worker: Obj, day: date, tasks: Sequence[Obj], d: Directory) -> Day:
    """Sort a worker's tasks (from any mix of lists) into the day's route."""
    order = {task_id: i for i, task_id in enumerate(worker.get("tasks") or [])}
    seen: set[str] = set()
    mine: list[Obj] = []
    for task in tasks:
        if task.get("id") in seen or d.task_worker(task) != worker["id"]:
            continue
        if d.service_date(task, d.task_depot(task)) != day:
            continue
        seen.add(task["id"])
        mine.append(task)
    done = sorted((x for x in mine if t.is_done(x)), key=_finish_order)
    active = next((x for x in mine if x.get("state") == 2), None)
    waiting = sorted((x for x in mine if x.get("state") in (0, 1)),
                     key=lambda x: (order.get(x["id"], len(order)), x.get("timeCreated") or 0))
    return Day(route_id(worker["id"], day), worker, day, done, active, waiting)


def _finish_order(task: Obj) -> tuple[float, str]:
    finished = t.finished_at(task)
    return (finished.timestamp() if finished else float("inf")), str(task["id"])


def plan(route: Day, d: Directory, delivery_of: Callable[[Obj], str]) -> dict[str, Any]:
    """route.planned for the day (the same data for the same tasks in the same order)."""
    depot = d.worker_depot(route.worker)
    stops: list[dict[str, Any]] = []
    seen: set[str] = set()
    times: list[datetime] = []
    for task in route.tasks[:MAX_STOPS]:
        did = delivery_of(task)
        if did in seen:  # a delivery stops once on a route, at its first place
            continue
        seen.add(did)
        stop: dict[str, Any] = {"delivery_id": did, "sequence": len(stops) + 1}
        predicted = t.eta(task)
        if predicted is not None:
            stop["planned_arrival"] = t.iso(predicted)
        stops.append(stop)
        times.extend(x for x in (instant(task.get("completeAfter")), predicted) if x)
    start = min(times) if times else d.local(route.day, DEFAULT_START, depot)
    data: dict[str, Any] = {"route_id": route.route_id, "depot": depot,
                            "service_date": route.day.isoformat(),
                            "planned_start": t.iso(start),
                            "driver_id": d.driver_id(route.worker), "stops": stops}
    vehicle = t.vehicle_id(route.worker)
    if vehicle is not None:
        data["vehicle_id"] = vehicle
    return data


def fingerprint(data: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]
