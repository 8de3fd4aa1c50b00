"""Onfleet payloads read into doorstep's words without any I/O (connectors/onfleet/payloads.py,
routes.py): what each trigger keeps, fetches or ignores, and how a worker's day is ordered."""

from __future__ import annotations

import contextlib
import copy
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from doorstep.config import PlatformConfig, load_operator
from doorstep.connectors.onfleet import routes
from doorstep.connectors.onfleet.directory import Directory
from doorstep.connectors.onfleet.payloads import Context, read
from doorstep.connectors.received import Unmappable
from tests.conftest import OPERATOR_FILE

T = 1_795_536_000_000  # 2026-11-24 16:00 UTC
MAPPING = PlatformConfig(default_depot="nyc-bk", default_shipper="threadline",
                         depots={"TEAM_QUEENS_0000000000000": "nyc-qn", "Cicero": "chi-w"},
                         shippers={"FC": "freshcart"}, depot_field="depot")
WORKER: dict[str, Any] = {
    "id": "WORKER_ANA_0000000000000", "name": "Ana Driver", "phone": "+12125550142",
    "teams": ["TEAM_QUEENS_0000000000000"], "onDuty": True, "timeLastModified": T,
    "tasks": ["TASK_B", "TASK_A"], "activeTask": None,
    "vehicle": {"id": "VEHICLE_00000000000000000", "type": "BICYCLE", "licensePlate": None},
    "metadata": [{"name": "doorstep_driver", "type": "string", "value": "DR-1"}]}


def task(task_id: str = "TASK_A", **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": task_id, "shortId": "abcd1234", "state": 1, "worker": WORKER["id"],
        "container": {"type": "WORKER", "worker": WORKER["id"]}, "timeCreated": T - 86_400_000,
        "timeLastModified": T, "completeAfter": T, "completeBefore": T + 7_200_000,
        "notes": "", "recipients": [{"id": "R1", "name": "Bo", "phone": "+12125550111",
                                     "skipSMSNotifications": False}],
        "destination": {"id": "D1", "notes": "Blue door", "location": [-73.9, 40.7],
                        "address": {"number": "5", "street": "Main St", "city": "Queens",
                                    "postalCode": "11378", "country": "US"}},
        "completionDetails": {"success": False, "events": [], "time": None},
        "metadata": [{"name": "shipper", "type": "string", "value": "FC"}]}
    base.update(fields)
    return base


def payload(name: str, **fields: Any) -> dict[str, Any]:
    return {"triggerId": 99, "triggerName": name, "time": T + 60_000, "taskId": "TASK_A",
            "workerId": WORKER["id"], "data": {"task": task()}, **fields}


@pytest.fixture
def ctx() -> Context:
    d = Directory(load_operator(OPERATOR_FILE), MAPPING)
    d.workers[WORKER["id"]] = copy.deepcopy(WORKER)
    return Context(d, known={"onfleet-TASK_A"})


def kinds(reading: Any) -> list[list[str]]:
    return [[k.value for k, _ in tr.items] for tr in reading.items]


def test_an_assignment_keeps_nothing_new_and_fetches_the_day(ctx: Context) -> None:
    got = read(payload("taskAssigned"), ctx)
    assert got.items == [] and got.fetch == [("route", f"{WORKER['id']}:2026-11-24")]
    ctx.known.clear()  # a delivery doorstep never heard of comes with its details
    new = read(payload("taskAssigned"), ctx)
    assert kinds(new) == [["delivery.created"]]
    created = new.items[0].items[0][1]
    assert created["depot"] == "nyc-qn" and created["shipper"] == "freshcart"
    assert created["instructions"] == "Blue door" and created["service_date"] == "2026-11-24"


def test_a_start_starts_the_day_once_per_route(ctx: Context) -> None:
    got = read(payload("taskStarted", data={"task": task(estimatedArrivalTime=T + 900_000)}),
               ctx)
    assert kinds(got) == [["delivery.eta_updated"], ["route.started"]]
    again = read(payload("taskStarted", time=T + 99_000, taskId="TASK_B",
                         data={"task": task("TASK_B")}), ctx)
    assert got.items[1].key == again.items[-1].key  # one route.started, whatever the task


def test_delays_become_etas(ctx: Context) -> None:
    delayed = read(payload("taskDelayed", delay=1200), ctx)
    assert delayed.items[0].items[0][1]["eta"] == "2026-11-24T18:20:00+00:00"
    predicted = read(payload("predictedTaskDelay", data={
        "task": task(estimatedArrivalTime=T + 3_600_000)}), ctx)
    assert predicted.items[0].items[0][1]["eta"] == "2026-11-24T17:00:00+00:00"
    nothing = read(payload("taskDelayed", data={"task": task(completeBefore=None)}), ctx)
    assert nothing.items == [] and nothing.ignored


def test_an_unassignment_replans_the_workers_day(ctx: Context) -> None:
    off = task(worker=None, container={"type": "ORGANIZATION", "organization": "O"},
               state=0, depot=None)
    got = read(payload("taskUnassigned", data={"task": off}), ctx)
    assert got.fetch == [("route", f"{WORKER['id']}:2026-11-24")]


def test_a_clone_is_another_attempt_of_the_same_delivery(ctx: Context) -> None:
    ctx.linked = {"TASK_A": "D-77"}
    clone = task("TASK_C", sourceTaskId="TASK_A")
    got = read(payload("taskCloned", taskId="TASK_C", data={"task": clone}), ctx)
    assert got.items[0].items[0][1]["delivery_id"] == "D-77" and "D-77" in got.tasks


def test_a_completed_task_updated_again_says_nothing(ctx: Context) -> None:
    done = task(state=3, completionDetails={"success": True, "time": T, "events": []})
    assert read(payload("taskUpdated", data={"task": done}), ctx).items == []
    assert kinds(read(payload("taskUpdated"), ctx)) == [["delivery.created"]]


def test_a_completion_that_contradicts_its_trigger_is_refused(ctx: Context) -> None:
    done = task(state=3, completionDetails={"success": True, "time": T, "events": []})
    with pytest.raises(Unmappable, match="success"):
        read(payload("taskFailed", data={"task": done}), ctx)


def test_workers(ctx: Context) -> None:
    duty = read(payload("workerDuty", status=0, data={"worker": WORKER}), ctx)
    assert kinds(duty) == [["driver.upserted", "vehicle.upserted", "driver.duty_changed"]]
    assert duty.items[0].items[2][1] == {"driver_id": "DR-1", "on_duty": False}
    assert duty.fetch == [("route_end", f"{WORKER['id']}:2026-11-24")]
    vehicle = duty.items[0].items[1][1]
    assert vehicle["vehicle_class"] == "cargo_bike" and vehicle["depot"] == "nyc-qn"
    gone = read(payload("workerDeleted", data={"worker": WORKER}), ctx)
    assert kinds(gone) == [["driver.upserted"]] and gone.items[0].items[0][1]["active"] is False
    with pytest.raises(Unmappable, match="status"):
        read(payload("workerDuty", status=7, data={"worker": WORKER}), ctx)


def test_a_batch_report_creates_its_tasks(ctx: Context) -> None:
    made = [task("TASK_X", metadata=[{"name": "depot", "type": "string", "value": "Cicero"}]),
            task("TASK_Y", worker=None, container={"type": "TEAM",
                                                   "team": "TEAM_QUEENS_0000000000000"})]
    got = read({"triggerId": 19, "triggerName": "taskBatchCreateJobCompleted", "time": T,
                "data": {"jobId": "J1", "status": "succeeded", "newTasks": made}}, ctx)
    assert kinds(got) == [["delivery.created"], ["delivery.created"]]
    assert [tr.items[0][1]["depot"] for tr in got.items] == ["chi-w", "nyc-qn"]
    assert got.fetch == [("route", f"{WORKER['id']}:2026-11-24")]


def test_a_workers_day_in_the_order_driven(ctx: Context) -> None:
    d = ctx.directory
    done = task("TASK_D", state=3, completionDetails={
        "success": True, "time": T - 60_000, "events": [{"name": "start", "time": T - 900_000}]})
    tasks = [task("TASK_A"), task("TASK_B"), done, task("TASK_E", completeAfter=T + 86_400_000),
             task("TASK_F", worker="SOMEONE_ELSE")]
    day = routes.arrange({**WORKER, "onDuty": False}, date(2026, 11, 24), tasks, d)
    assert [x["id"] for x in day.tasks] == ["TASK_D", "TASK_B", "TASK_A"]
    assert day.started_at is not None and day.finished_at is None  # two still waiting
    plan = routes.plan(day, d, lambda x: "onfleet-" + x["id"])
    assert [s["delivery_id"] for s in plan["stops"]] == [
        "onfleet-TASK_D", "onfleet-TASK_B", "onfleet-TASK_A"]
    assert plan["driver_id"] == "DR-1" and plan["vehicle_id"] == "onfleet-VEHICLE_00000000000000000"
    assert plan["planned_start"] == "2026-11-24T16:00:00+00:00"
    assert routes.fingerprint(plan) == routes.fingerprint(copy.deepcopy(plan))


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
                    | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=6)
PATHS = [("data",), ("data", "task"), ("data", "task", "destination"),
         ("data", "task", "destination", "address"), ("data", "task", "recipients"),
         ("data", "task", "completionDetails"), ("data", "task", "metadata"),
         ("data", "task", "container"), ("data", "task", "completeAfter"), ("data", "worker"),
         ("data", "task", "id"), ("etaSeconds",), ("status",), ("time",)]


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(["taskCompleted", "taskFailed", "taskEta", "taskAssigned",
                             "taskCreated", "workerDuty", "taskBatchCreateJobCompleted"]),
       path=st.sampled_from(PATHS), value=JSON)
def test_any_shape_is_read_or_refused_never_a_crash(name: str, path: tuple[str, ...],
                                                    value: Any) -> None:
    d = Directory(load_operator(OPERATOR_FILE), MAPPING)
    d.workers[WORKER["id"]] = copy.deepcopy(WORKER)
    body = payload(name, etaSeconds=60, status=1,
                   data={"task": task(state=3, completionDetails={
                       "success": name != "taskFailed", "time": T, "events": []}),
                         "worker": copy.deepcopy(WORKER)})
    here = body
    for key in path[:-1]:
        here = here[key] if isinstance(here.get(key), dict) else here.setdefault(key, {})
    here[path[-1]] = value
    with contextlib.suppress(Unmappable):  # refused with a reason is fine; anything else not
        read(body, Context(d))
