"""One Onfleet webhook payload (contracts/onfleet.md §4.3, §4.4) in doorstep's words: the events
to store, the objects it names (to link), what to fetch because the payload is not enough, or
why nothing is kept. Pure: routed on `triggerName`; identified by (triggerName, taskId or
workerId, time), as Onfleet sends no delivery id."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from doorstep.connectors.onfleet import tasks as t
from doorstep.connectors.onfleet.directory import PREFIX, Directory, Obj, instant, route_id
from doorstep.connectors.onfleet.triggers import IGNORED
from doorstep.connectors.received import Translated, Unmappable, event_key
from doorstep.domain import EventType

Items = list[tuple[EventType, dict[str, Any]]]
# These carry the task's details (unless it is done: then only its outcome matters); the
# others only when doorstep does not know the delivery yet.
DETAILS = frozenset({"taskCreated", "taskUpdated", "taskCloned"})
OPT_OUT = ("the recipient opted out of Onfleet's own SMS. doorstep's consent is per doorstep's "
           "senders, so it still may text them; ask them, and record a STOP if they want none")


@dataclass
class Context:
    """What doorstep knows that the payload does not say."""

    directory: Directory
    known: set[str] = field(default_factory=set)  # delivery ids doorstep has
    linked: dict[str, str] = field(default_factory=dict)  # task id -> delivery id
    drivers: dict[str, str] = field(default_factory=dict)  # worker id -> driver id


@dataclass
class Reading:
    trigger: str
    items: list[Translated] = field(default_factory=list)
    tasks: dict[str, Obj] = field(default_factory=dict)  # delivery id -> the task said of it
    workers: list[Obj] = field(default_factory=list)
    fetch: list[tuple[str, str]] = field(default_factory=list)  # (kind, Onfleet id)
    ignored: str | None = None
    flag: str | None = None


def read(payload: Any, ctx: Context) -> Reading:
    if not isinstance(payload, dict):
        raise Unmappable("the payload is not a JSON object")
    name = payload.get("triggerName")
    if not isinstance(name, str) or not name:
        raise Unmappable("triggerName is missing")
    at = instant(payload.get("time"))
    if at is None or not 2000 <= at.year < 2100:
        raise Unmappable("time is not a time in milliseconds")
    if name in IGNORED:
        return Reading(name, ignored=IGNORED[name])
    handler = HANDLERS.get(name)
    if handler is None:
        return Reading(name, flag=f"trigger {name!r} is not one doorstep knows")
    try:
        return handler(name, payload, at, ctx)
    except Unmappable:
        raise
    except (KeyError, TypeError, AttributeError, ValueError, OverflowError) as err:
        # a field of another type than documented, somewhere the rules did not foresee
        raise Unmappable(f"{name}: {type(err).__name__}: {err}"[:500]) from None


def _key(name: str, payload: Obj, subject: Any) -> str:
    return event_key("onfleet", name, subject or "", payload.get("time"))


def _task(name: str, payload: Obj, at: datetime, ctx: Context) -> Reading:
    task = (payload.get("data") or {}).get("task") if isinstance(payload.get("data"),
                                                                  dict) else None
    if not isinstance(task, dict) or not isinstance(task.get("id"), str):
        task_id = payload.get("taskId")
        if isinstance(task_id, str) and task_id:
            return Reading(name, fetch=[("task", task_id)],
                           flag="data.task is missing: the task is fetched instead")
        raise Unmappable("data.task is missing and so is taskId")
    d = ctx.directory
    did = t.delivery_id(task, ctx.linked)
    # Onfleet fires taskArrival once per task; an arrival read from the completion is the same
    key = (event_key("onfleet", "arrival", task["id"]) if name == "taskArrival"
           else _key(name, payload, task["id"]))
    if name == "taskDeleted":
        if did not in ctx.known:
            return Reading(name, ignored="a task doorstep never heard of was deleted")
        return Reading(name, items=[Translated(key, at, [(EventType.DELIVERY_CANCELLED, {
            "delivery_id": did, "reason": "deleted in Onfleet"})])])
    reading = Reading(name, tasks={did: task})
    items: Items = []
    if name in DETAILS and (did not in ctx.known or not t.is_done(task)):
        items.append((EventType.DELIVERY_CREATED, t.delivery_details(task, d, did)))
    elif did not in ctx.known:  # said before what this payload says: when the task was made
        made = min(instant(task.get("timeCreated")) or at, at)
        reading.items.append(Translated(_key(name, payload, task["id"] + "/details"), made, [
            (EventType.DELIVERY_CREATED, t.delivery_details(task, d, did))]))
    day = _day(task, d)
    worker = d.task_worker(task)
    on = TASK_EVENTS.get(name)
    extra = on(payload, task, did, at, reading) if on else []
    if name in ("taskCompleted", "taskFailed"):
        kind, data = t.outcome(task, did)
        if (kind is EventType.DELIVERY_DELIVERED) != (name == "taskCompleted"):
            raise Unmappable(f"{name} but completionDetails.success is "
                             f"{task['completionDetails']['success']}")
        at = t.finished_at(task) or at
        arrived = t.arrived_at(task)
        if arrived is not None and arrived <= at:
            reading.items.append(Translated(event_key("onfleet", "arrival", task["id"]),
                                            arrived, [(EventType.DELIVERY_ARRIVED,
                                                       {"delivery_id": did})]))
        items.append((kind, data))
    items.extend(extra)
    if items:
        reading.items.append(Translated(key, at, items))
    if name == "taskStarted" and worker:
        route = route_id(worker, day)
        reading.items.append(Translated(event_key("onfleet", "routeStarted", route), at,
                                        [(EventType.ROUTE_STARTED, {"route_id": route})]))
    if name in ("taskCreated", "taskCloned", "taskAssigned") and worker:
        reading.fetch.append(("route", route_id(worker, day)))
    previous = payload.get("workerId")
    if name == "taskUnassigned" and isinstance(previous, str) and previous:
        reading.fetch.append(("route", route_id(previous, day)))
    if not reading.items and not reading.fetch:
        reading.ignored = "nothing doorstep keeps"
    return reading


def _day(task: Obj, d: Directory) -> date:
    try:
        return d.service_date(task, d.task_depot(task))
    except ValueError as err:
        raise Unmappable(f"data.task: {err}") from None


def _eta(payload: Obj, task: Obj, did: str, at: datetime, reading: Reading) -> Items:
    seconds = payload.get("etaSeconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
        raise Unmappable("taskEta without a number of etaSeconds")
    return [(EventType.DELIVERY_ETA_UPDATED,
             {"delivery_id": did, "eta": t.iso(at + timedelta(seconds=seconds))})]


def _delay(payload: Obj, task: Obj, did: str, at: datetime, reading: Reading) -> Items:
    """Onfleet's estimate if the task holds one, else its deadline plus the delay."""
    predicted = t.eta(task)
    delay = payload.get("delay", payload.get("delayTime", task.get("delayTime")))
    deadline = instant(task.get("completeBefore"))
    if predicted is None and deadline is not None and isinstance(delay, int | float) \
            and not isinstance(delay, bool):
        predicted = deadline + timedelta(seconds=delay)
    if predicted is None or predicted <= at:
        return []
    return [(EventType.DELIVERY_ETA_UPDATED, {"delivery_id": did, "eta": t.iso(predicted)})]


def _started(payload: Obj, task: Obj, did: str, at: datetime, reading: Reading) -> Items:
    # Starting a task is setting off towards it (§4.3), not arriving: an ETA if Onfleet has one.
    predicted = t.eta(task)
    if predicted is None or predicted <= at:
        return []
    return [(EventType.DELIVERY_ETA_UPDATED, {"delivery_id": did, "eta": t.iso(predicted)})]


def _arrival(payload: Obj, task: Obj, did: str, at: datetime, reading: Reading) -> Items:
    return [(EventType.DELIVERY_ARRIVED, {"delivery_id": did})]


TaskEvent = Callable[[Obj, Obj, str, datetime, Reading], Items]
TASK_EVENTS: dict[str, TaskEvent] = {"taskEta": _eta, "taskDelayed": _delay,
                                     "predictedTaskDelay": _delay, "taskStarted": _started,
                                     "taskArrival": _arrival}


def _worker(name: str, payload: Obj, at: datetime, ctx: Context) -> Reading:
    worker = (payload.get("data") or {}).get("worker") if isinstance(payload.get("data"),
                                                                      dict) else None
    worker_id = payload.get("workerId") or (worker or {}).get("id")
    if not isinstance(worker, dict):
        if isinstance(worker_id, str) and worker_id and name != "workerDeleted":
            return Reading(name, fetch=[("worker", worker_id)],
                           flag="data.worker is missing: the worker is fetched instead")
        raise Unmappable("data.worker is missing")
    d = ctx.directory
    reading = Reading(name, workers=[worker])
    items: Items = []
    if name != "workerDuty" or worker["id"] not in ctx.drivers:
        items.append((EventType.DRIVER_UPSERTED,
                      t.driver(worker, d, active=name != "workerDeleted")))
        made = t.vehicle(worker, d)
        if made is not None and name != "workerDeleted":
            items.append((EventType.VEHICLE_UPSERTED, made))
    if name == "workerDuty":
        status = payload.get("status")
        if status not in (0, 1) or isinstance(status, bool):
            raise Unmappable("workerDuty without a status of 0 or 1")
        items.append((EventType.DRIVER_DUTY_CHANGED,
                      {"driver_id": ctx.drivers.get(worker["id"]) or d.driver_id(worker),
                       "on_duty": status == 1}))
        if status == 0:  # the end of a day on the road: is the worker's route done?
            day = at.astimezone(d.timezone(d.worker_depot(worker))).date()
            reading.fetch.append(("route_end", route_id(worker["id"], day)))
    reading.items.append(Translated(_key(name, payload, worker["id"]), at, items))
    return reading


def _opted_out(name: str, payload: Obj, at: datetime, ctx: Context) -> Reading:
    return Reading(name, flag=OPT_OUT)


def _batch(name: str, payload: Obj, at: datetime, ctx: Context) -> Reading:
    """§5.6: tasks made by an asynchronous batch fire no taskCreated; the job's report lists
    them (field names ◐), each stored as its own delivery.created."""
    job: Obj = payload["data"] if isinstance(payload.get("data"), dict) else payload
    made = [task for field_name in ("newTasks", "newTasksWithWarnings")
            for task in (job.get(field_name) or payload.get(field_name) or [])
            if isinstance(task, dict) and isinstance(task.get("id"), str)]
    if not made:
        return Reading(name, ignored="the batch report lists no tasks")
    reading = Reading(name)
    d = ctx.directory
    job_id = job.get("jobId") or job.get("id") or payload.get("jobId") or ""
    for task in made:
        did = t.delivery_id(task, ctx.linked)
        reading.tasks[did] = task
        reading.items.append(Translated(event_key("onfleet", name, job_id, task["id"]), at, [
            (EventType.DELIVERY_CREATED, t.delivery_details(task, d, did))]))
        worker = d.task_worker(task)
        if worker:
            reading.fetch.append(("route", route_id(worker, _day(task, d))))
    return reading


Handler = Callable[[str, Obj, datetime, Context], Reading]
HANDLERS: dict[str, Handler] = {
    **{n: _task for n in ("taskCreated", "taskUpdated", "taskCloned", "taskAssigned",
                          "taskUnassigned", "taskStarted", "taskEta", "taskArrival",
                          "taskCompleted", "taskFailed", "taskDeleted", "taskDelayed",
                          "predictedTaskDelay")},
    **{n: _worker for n in ("workerDuty", "workerCreated", "workerUpdated", "workerDeleted")},
    "SMSRecipientOptOut": _opted_out,
    "taskBatchCreateJobCompleted": _batch,
}

__all__ = ["PREFIX", "Context", "Reading", "read"]
