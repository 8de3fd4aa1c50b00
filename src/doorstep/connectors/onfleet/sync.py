"""Pulling Onfleet's view in: the organization's teams, hubs and workers, the tasks of the days
asked for (paged, §5.3) and each worker's day as a route; or one object an event named. Every
event key comes from the object's own last-modified time, so a repeated sync of unchanged
objects stores nothing new. Times are Onfleet's own, never doorstep's clock: a plan read late
is still dated when it was made."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from doorstep.connectors.base import SyncReport
from doorstep.connectors.http import PlatformError
from doorstep.connectors.onfleet import keeping, loader, routes
from doorstep.connectors.onfleet import tasks as t
from doorstep.connectors.onfleet.client import pages
from doorstep.connectors.onfleet.directory import Obj, instant, route_id, split_route
from doorstep.connectors.onfleet.keeping import SOURCE
from doorstep.connectors.received import Translated, Unmappable, event_key, flag, known
from doorstep.domain import EventType
from doorstep.store import platform_links

if TYPE_CHECKING:
    from doorstep.connectors.onfleet.connector import OnfleetConnector

log = logging.getLogger(__name__)

# Tasks not yet done are listed by creation time (§5.3): look this far back for them.
LOOKBACK = timedelta(days=7)


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def _report(c: OnfleetConnector) -> tuple[SyncReport, int]:
    return SyncReport(SOURCE), c.client.requests_made


def _done(c: OnfleetConnector, report: SyncReport, before: int) -> SyncReport:
    report.requests = c.client.requests_made - before
    return report


def worker_items(c: OnfleetConnector, worker: Obj) -> Translated:
    items = [(EventType.DRIVER_UPSERTED, t.driver(worker, c.directory))]
    made = t.vehicle(worker, c.directory)
    if made is not None:
        items.append((EventType.VEHICLE_UPSERTED, made))
    at = instant(worker.get("timeLastModified")) or c.rt.clock.now()
    return Translated(event_key("onfleet", "worker", worker["id"],
                                worker.get("timeLastModified")), at, items)


def task_items(c: OnfleetConnector, task: Obj, did: str, *, new: bool) -> list[Translated]:
    """A task's details and, once it is done, its arrival and outcome; keyed by the task's
    own times, so the same task read twice is the same events. A delivery new to doorstep
    dates from the task's making (its outcome comes after); a known one is corrected as of
    the task's last change."""
    out = []
    if new or not t.is_done(task):
        at = (instant(task.get("timeCreated" if new else "timeLastModified"))
              or c.rt.clock.now())
        out.append(Translated(event_key("onfleet", "task", task["id"],
                                        task.get("timeLastModified")), at,
                              [(EventType.DELIVERY_CREATED,
                                t.delivery_details(task, c.directory, did))]))
    finished = t.finished_at(task)
    if t.is_done(task) and finished is not None:
        arrived = t.arrived_at(task)
        if arrived is not None and arrived <= finished:
            out.append(Translated(event_key("onfleet", "arrival", task["id"]),
                                  arrived, [(EventType.DELIVERY_ARRIVED, {"delivery_id": did})]))
        out.append(Translated(event_key("onfleet", "outcome", task["id"], _ms(finished)),
                              finished, [t.outcome(task, did)]))
    return out


def _linked(c: OnfleetConnector, tasks: Sequence[Obj]) -> dict[str, str]:
    ids = [x["id"] for x in tasks] + [x["sourceTaskId"] for x in tasks
                                       if isinstance(x.get("sourceTaskId"), str)]
    with c.rt.db.reading() as s:
        return platform_links.doorstep_ids(s, SOURCE, "delivery", ids)


def keep_tasks(c: OnfleetConnector, tasks: Sequence[Obj], report: SyncReport, *,
               only_unknown: bool = False) -> dict[str, str]:
    """Store the tasks' details and outcomes (only those doorstep lacks, if asked); returns
    task id -> delivery id."""
    linked = _linked(c, tasks)
    ids = {x["id"]: t.delivery_id(x, linked) for x in tasks}
    have = known(c.rt, "delivery", list(ids.values()))
    if only_unknown:
        tasks = [x for x in tasks if ids[x["id"]] not in have]
    superseded = keeping.link(c, {ids[x["id"]]: x for x in tasks})
    items = []
    for x in tasks:
        try:
            items.extend(task_items(c, x, ids[x["id"]], new=ids[x["id"]] not in have))
        except Unmappable as err:
            report.flagged += flag(c.rt, SOURCE, "task", event_key(
                "onfleet", "task", x["id"], x.get("timeLastModified")), x, str(err))
    keeping.keep(c, "sync", keeping.without_details(items, superseded), report)
    keeping.silence(c, {ids[x["id"]]: x for x in tasks if ids[x["id"]] not in superseded})
    return ids


def container(c: OnfleetConnector, worker_id: str) -> Obj:
    """The worker's list (§5.5): its order, and when it last changed."""
    try:
        found = c.client.json("GET", f"/containers/workers/{loader.path_id(worker_id)}")
    except PlatformError as err:  # 🅢 in the SDKs only: without it, the tasks' own times
        log.warning("onfleet: the list of worker %s could not be read: %s", worker_id, err)
        return {}
    return found if isinstance(found, dict) else {}


def planned_at(day: routes.Day, listed: Obj) -> datetime | None:
    """When the day's plan was last changed, on Onfleet's clock: its list's last change, or a
    task's (a task taken off the list changes only the list)."""
    times = [x for x in [instant(listed.get("timeLastModified")),
                         *(instant(task.get("timeLastModified")) for task in day.tasks)] if x]
    return max(times) if times else None


def keep_route(c: OnfleetConnector, day: routes.Day, listed: Obj, report: SyncReport) -> None:
    """The worker, the tasks doorstep lacks, the plan, and the route's start and end once they
    happened; the plan keyed by its stops and its time, so an unchanged one is a repeat."""
    worker = day.worker
    keeping.link(c, {}, [(c.directory.driver_id(worker), worker["id"])], [day.route_id])
    keeping.keep(c, "sync", [worker_items(c, worker)], report)
    ids = keep_tasks(c, day.tasks, report, only_unknown=True)
    linked = _linked(c, day.tasks)
    data = routes.plan(day, c.directory, lambda x: ids.get(x["id"]) or t.delivery_id(x, linked))
    started, finished = day.started_at, day.finished_at
    at = planned_at(day, listed) or c.rt.clock.now()
    if started is not None:  # a day already under way was planned before it started
        at = min(at, started - timedelta(milliseconds=1))
    # the time makes a plan that comes back after another a new event (A, B, A)
    items = [Translated(event_key("onfleet", "route", day.route_id, routes.fingerprint(data),
                                  _ms(at)), at, [(EventType.ROUTE_PLANNED, data)])]
    if started is not None:
        items.append(Translated(event_key("onfleet", "routeStarted", day.route_id), started,
                                [(EventType.ROUTE_STARTED, {"route_id": day.route_id})]))
    if finished is not None:
        items.append(Translated(event_key("onfleet", "routeCompleted", day.route_id),
                                finished,
                                [(EventType.ROUTE_COMPLETED, {"route_id": day.route_id})]))
    keeping.keep(c, "sync", items, report)


def _day_start(c: OnfleetConnector, day: date) -> datetime:
    return min(datetime.combine(day, time(0), c.directory.timezone(d))
               for d in {x.id for x in c.rt.operator.depots})


def _done_tasks(c: OnfleetConnector, since: datetime, worker: str | None = None
                ) -> Iterable[Obj]:
    params = {"from": _ms(since), "state": "3"}
    if worker:
        params["worker"] = worker
    return pages(c.client, "/tasks/all", params)


def sync_days(c: OnfleetConnector, days: list[date]) -> SyncReport:
    report, before = _report(c)
    loader.places(c, fresh=True)
    workers = c.client.json("GET", "/workers")
    workers = [w for w in workers or [] if isinstance(w, dict) and isinstance(w.get("id"), str)]
    loader.remember(c, workers)
    keeping.link(c, {}, [(c.directory.driver_id(w), w["id"]) for w in workers])
    keeping.keep(c, "sync", [worker_items(c, w) for w in workers], report)
    first = _day_start(c, min(days))
    found = [*pages(c.client, "/tasks/all", {"from": _ms(first - LOOKBACK), "state": "0,1,2"}),
             *_done_tasks(c, first - timedelta(days=1))]
    wanted = set(days)
    loader.for_tasks(c, found)
    tasks = [x for x in found if isinstance(x.get("id"), str)
             and c.directory.service_date(x, c.directory.task_depot(x)) in wanted]
    keep_tasks(c, tasks, report)
    by_worker = {w["id"]: w for w in workers}
    lists: dict[str, Obj] = {}
    for worker_id, day in sorted({(w, c.directory.service_date(x, c.directory.task_depot(x)))
                                  for x in tasks if (w := c.directory.task_worker(x))}):
        if worker_id in by_worker:
            if worker_id not in lists:
                lists[worker_id] = container(c, worker_id)
            worker = {**by_worker[worker_id], **({"tasks": lists[worker_id]["tasks"]}
                                                 if "tasks" in lists[worker_id] else {})}
            keep_route(c, routes.arrange(worker, day, tasks, c.directory), lists[worker_id],
                       report)
    report.fetched = {"teams": len(c.directory.teams), "hubs": len(c.directory.hubs),
                      "workers": len(workers), "tasks": len(tasks)}
    return _done(c, report, before)


def sync_route(c: OnfleetConnector, route: str, *, ending: bool) -> SyncReport:
    """A worker's day: their list (and, `ending`, their active and done tasks of the day)."""
    report, before = _report(c)
    worker_id, day = split_route(route)
    worker = loader.worker(c, worker_id, fresh=ending)
    listing = container(c, worker_id)
    path = f"/workers/{loader.path_id(worker_id)}/tasks"
    listed = list(pages(c.client, path, {}))
    found = list(listed)
    if ending:
        found.extend(_done_tasks(c, _day_start(c, day) - timedelta(days=1), worker_id))
        active = worker.get("activeTask")
        if isinstance(active, str) and active:
            found.append(c.client.json("GET", f"/tasks/{loader.path_id(active)}"))
    loader.for_tasks(c, found)
    # the list's order is the route's order, whatever the worker record held when cached
    order = listing.get("tasks") or [x["id"] for x in listed if isinstance(x.get("id"), str)]
    worker = {**worker, "tasks": order}
    keep_route(c, routes.arrange(worker, day, found, c.directory), listing, report)
    report.fetched = {"tasks": len(found)}
    return _done(c, report, before)


def sync_one(c: OnfleetConnector, kind: str, platform_id: str) -> SyncReport:
    if kind in ("route", "route_end"):
        return sync_route(c, platform_id, ending=kind == "route_end")
    report, before = _report(c)
    if kind == "worker":
        worker = loader.worker(c, platform_id, fresh=True)
        keeping.link(c, {}, [(c.directory.driver_id(worker), worker["id"])])
        keeping.keep(c, "sync", [worker_items(c, worker)], report)
        report.fetched = {"workers": 1}
    elif kind == "task":
        task = c.client.json("GET", f"/tasks/{loader.path_id(platform_id)}")
        loader.for_tasks(c, [task])
        keep_tasks(c, [task], report)
        report.fetched = {"tasks": 1}
        on_list = c.directory.task_worker(task)
        if on_list:
            day = c.directory.service_date(task, c.directory.task_depot(task))
            report.add(sync_route(c, route_id(on_list, day), ending=False))
    else:
        raise ValueError(f"onfleet has no {kind!r} to fetch (task, worker, route, route_end)")
    return _done(c, report, before)
