"""What doorstep writes back to Onfleet, against the fake over HTTP: each write made once (a
second changes nothing), read back, and through the outbox job (refusals left for a person,
Onfleet away retried later)."""

# ruff: noqa: F811 (the fixtures are imported from onfleet_support)
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from doorstep.clock import VirtualClock
from doorstep.connectors import health
from doorstep.connectors import writes as outbox
from doorstep.connectors.base import Write
from doorstep.connectors.onfleet.connector import OnfleetConnector
from doorstep.domain import EventType
from doorstep.events.format import make_event
from doorstep.runtime import Runtime
from doorstep.sim.fakes.onfleet import FakeOnfleet
from doorstep.store import platform_links, platform_writes
from doorstep.store.platform_writes import WriteKind
from tests.integration.connectors.onfleet_support import (  # noqa: F401 - fixtures
    DAY,
    Org,
    add_task,
    connector,
    delivery,
    fake,
    org,
    route,
    rt,
    sleeps,
    writes,
)

TOMORROW = DAY + timedelta(days=1)


@dataclass
class Day:
    delivered: str
    failed: str
    open: str
    nobody: str  # a task without a recipient

    def did(self, task: str) -> str:
        return f"onfleet-{task}"


@pytest.fixture
def day(rt: Runtime, fake: FakeOnfleet, org: Org, connector: OnfleetConnector,
        clock: VirtualClock) -> Day:
    tasks = [add_task(fake, org.queens, n) for n in range(3)]
    nobody = add_task(fake, org.queens, 3, recipients=[], recipientName="Front desk")
    for task in [*tasks, nobody]:
        fake.assign(task, org.driver)
    clock.advance(timedelta(hours=3))
    fake.set_duty(org.driver, True)
    fake.start_task(tasks[0])
    fake.complete_task(tasks[0])
    fake.start_task(tasks[1])
    fake.fail_task(tasks[1], reason="NOBODY_HOME", notes="Card left")
    connector.sync([DAY])
    return Day(tasks[0], tasks[1], tasks[2], nobody)


def calls(fake: FakeOnfleet, method: str, prefix: str) -> int:
    return sum(1 for q in fake.requests if q.method == method and q.path.startswith(prefix))


def write(connector: OnfleetConnector, kind: WriteKind, subject: str,
          payload: dict[str, Any]) -> dict[str, Any]:
    return connector.write(Write(0, kind, subject, payload))


def meta(task: dict[str, Any], name: str) -> Any:
    return next((m["value"] for m in task["metadata"] if m["name"] == name), None)


def test_a_disposition_on_the_failed_task(day: Day, fake: FakeOnfleet,
                                          connector: OnfleetConnector) -> None:
    did = day.did(day.failed)
    payload = {"delivery_id": did, "disposition": "redeliver",
               "redelivery_date": TOMORROW.isoformat(), "notes": "asked by the recipient"}
    shown = write(connector, WriteKind.DISPOSITION, did, payload)
    value = {"disposition": "redeliver", "redelivery_date": "2026-11-25",
             "notes": "asked by the recipient"}
    assert shown == {"task": day.failed, "doorstep_disposition": value}
    task = fake.task(day.failed)
    assert meta(task, "doorstep_disposition") == value
    assert meta(task, "shipper") == "FC"  # the array is replaced whole: the rest sent back
    puts = calls(fake, "PUT", "/tasks/")
    assert write(connector, WriteKind.DISPOSITION, did, payload) == shown
    assert calls(fake, "PUT", "/tasks/") == puts  # nothing more to change


def test_a_redelivery_is_a_new_task_made_once(day: Day, rt: Runtime, fake: FakeOnfleet,
                                              org: Org, connector: OnfleetConnector) -> None:
    did = day.did(day.failed)
    payload = {"delivery_id": did, "date": TOMORROW.isoformat(),
               "instructions": "Leave it with the neighbour at 12"}
    shown = write(connector, WriteKind.REDELIVERY, did, payload)
    new = fake.task(shown["task"])
    original = fake.task(day.failed)
    assert new["id"] != day.failed
    assert meta(new, "doorstep_delivery") == did
    assert meta(new, "doorstep_redelivery") == f"{did}:{TOMORROW}"
    assert meta(new, "doorstep_redelivery_of") == day.failed and meta(new, "shipper") == "FC"
    # the same local window (09:00-12:00 New York) on the new day
    assert new["completeAfter"] == original["completeAfter"] + 86_400_000
    assert new["completeBefore"] - new["completeAfter"] == 3 * 3_600_000
    assert new["notes"] == payload["instructions"]
    assert new["recipients"] == original["recipients"]
    assert new["destination"] == original["destination"]
    assert new["container"] == {"type": "TEAM", "team": org.queens}
    assert new["overrides"] == {"recipientSkipSMSNotifications": True}
    assert shown["completeAfter"] == datetime.fromtimestamp(
        new["completeAfter"] / 1000, UTC).isoformat()
    made = calls(fake, "POST", "/tasks")
    assert write(connector, WriteKind.REDELIVERY, did, payload)["task"] == new["id"]
    assert calls(fake, "POST", "/tasks") - made == 1  # only the marker query, no new task
    with rt.db.reading() as s:
        assert platform_links.platform_id(s, "onfleet", "delivery", did) == new["id"]
    # the next sync reads it as a new attempt of the same delivery, on the new day
    connector.sync([TOMORROW])
    again = delivery(rt, did)
    assert again.service_date == TOMORROW and again.instructions == payload["instructions"]
    # a disposition decided now is about the failed attempt, not the new task
    write(connector, WriteKind.DISPOSITION, did, {"delivery_id": did, "disposition": "hold"})
    assert meta(fake.task(day.failed), "doorstep_disposition") == {"disposition": "hold"}
    assert meta(fake.task(new["id"]), "doorstep_disposition") is None


def test_instructions_reach_the_driver(day: Day, fake: FakeOnfleet,
                                       connector: OnfleetConnector) -> None:
    did = day.did(day.open)
    said = "Ring twice\nGate code 4412"
    assert write(connector, WriteKind.INSTRUCTIONS, did,
                 {"delivery_id": did, "instructions": said}) == {"task": day.open,
                                                                 "notes": said}
    assert fake.task(day.open)["notes"] == said
    puts = calls(fake, "PUT", "/tasks/")
    write(connector, WriteKind.INSTRUCTIONS, did, {"delivery_id": did, "instructions": said})
    assert calls(fake, "PUT", "/tasks/") == puts
    done = day.did(day.delivered)  # a finished task takes them in its metadata only
    shown = write(connector, WriteKind.INSTRUCTIONS, done,
                  {"delivery_id": done, "instructions": "Side door"})
    assert shown == {"task": day.delivered, "doorstep_instructions": "Side door"}


def test_the_recipients_onfleet_sms_turned_off(day: Day, rt: Runtime, fake: FakeOnfleet,
                                               connector: OnfleetConnector) -> None:
    did = day.did(day.open)
    recipient = fake.task(day.open)["recipients"][0]["id"]
    assert fake.org.recipients[recipient]["skipSMSNotifications"] is False
    shown = write(connector, WriteKind.SILENCE_RECIPIENT, did, {"delivery_id": did})
    assert shown == {"task": day.open, "recipient": recipient, "skipSMSNotifications": True}
    assert fake.org.recipients[recipient]["skipSMSNotifications"] is True
    puts = calls(fake, "PUT", "/recipients/")
    write(connector, WriteKind.SILENCE_RECIPIENT, did, {"delivery_id": did})
    assert calls(fake, "PUT", "/recipients/") == puts == 1
    nobody = day.did(day.nobody)
    assert write(connector, WriteKind.SILENCE_RECIPIENT, nobody,
                 {"delivery_id": nobody}) == {"task": day.nobody, "recipient": None}
    # the sync queued one for each open task whose recipient Onfleet would text
    assert {w.subject_id for w in writes(rt)} == {did}


def test_a_route_given_to_another_driver_and_van(day: Day, rt: Runtime, fake: FakeOnfleet,
                                                 org: Org, connector: OnfleetConnector,
                                                 clock: VirtualClock) -> None:
    other = fake.add_worker("Kim Ode", "+12125550177", [org.queens], vehicle=None)
    rt.intake.accept("test", [
        make_event("drv-kim", EventType.DRIVER_UPSERTED, clock.now(), {
            "driver_id": "DR-9", "name": "Kim Ode", "depot": "nyc-qn",
            "phone": "+12125550177"}),
        make_event("van-9", EventType.VEHICLE_UPSERTED, clock.now(), {
            "vehicle_id": "VAN-9", "depot": "nyc-qn", "vehicle_class": "cargo_van",
            "plate": "NY-99"})])
    route_id = f"{org.driver}:{DAY}"
    payload = {"route_id": route_id, "driver_id": "DR-9", "vehicle_id": "VAN-9"}
    shown = write(connector, WriteKind.ASSIGN_ROUTE, route_id, payload)
    assert shown["worker"] == other and shown["tasks"] == [day.open, day.nobody]
    assert fake.worker(other)["tasks"] == [day.open, day.nobody]
    assert fake.worker(org.driver)["tasks"] == []
    vehicle = fake.worker(other)["vehicle"]
    assert (vehicle["type"], vehicle["licensePlate"], vehicle["description"]) == (
        "TRUCK", "NY-99", "VAN-9")
    with rt.db.reading() as s:  # found by the driver's phone, and linked
        assert platform_links.platform_id(s, "onfleet", "driver", "DR-9") == other
    before = len(fake.requests)
    assert write(connector, WriteKind.ASSIGN_ROUTE, route_id, payload)["tasks"] == shown["tasks"]
    assert {q.method for q in fake.requests[before:]} == {"GET"}  # nothing more to change


def test_the_outbox_job_settles_each_write(day: Day, rt: Runtime, fake: FakeOnfleet,
                                           connector: OnfleetConnector,
                                           clock: VirtualClock) -> None:
    did = day.did(day.open)

    def queue(kind: WriteKind, payload: dict[str, Any]) -> None:
        with rt.db.transaction() as s:
            platform_writes.queue(s, kind, did, payload, "v1", clock.now())

    queue(WriteKind.INSTRUCTIONS, {"delivery_id": did, "instructions": "Back door"})
    fake.fail_next(400, route="PUT /tasks", code=1000, cause="notes refused")
    assert outbox.drain(rt, {"onfleet": connector}) == {"onfleet": 1}  # the silence
    rows = {w.kind: w for w in writes(rt)}
    assert rows["silence_recipient"].status == "done"
    assert rows["silence_recipient"].read_back["skipSMSNotifications"] is True
    assert rows["instructions"].status == "failed"  # refused: for a person, with the reason
    assert "The values of the parameters" in rows["instructions"].last_error
    queue(WriteKind.DISPOSITION, {"delivery_id": did, "disposition": "hold"})
    fake.fail_next(502, route="PUT /tasks", times=100)  # Onfleet away
    assert outbox.drain(rt, {"onfleet": connector}) == {"onfleet": 0}
    held = {w.kind: w for w in writes(rt)}["disposition"]
    assert held.status == "queued" and held.next_try_at is not None  # tried again later
    assert "onfleet" in health.warnings(rt, ["onfleet"])
    fake.org.faults.clear()
    clock.advance(timedelta(minutes=2))
    assert outbox.drain(rt, {"onfleet": connector}) == {"onfleet": 1}
    held = {w.kind: w for w in writes(rt)}["disposition"]
    assert held.status == "done" and held.read_back["doorstep_disposition"] == {
        "disposition": "hold"}
    assert health.warnings(rt, ["onfleet"]) == {}
