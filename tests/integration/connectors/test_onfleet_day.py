"""The Onfleet connector against the fake over real HTTP both ways: webhooks registered once and
checked, a driver's day told by Onfleet's webhooks, the days synced page by page within the
rate limit, and Onfleet away (a readiness warning, then the sync catches up)."""

# ruff: noqa: F811 (the fixtures are imported from onfleet_support)
from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from doorstep.clock import VirtualClock
from doorstep.config import PlatformConfig
from doorstep.connectors import health, jobs
from doorstep.connectors.http import PlatformUnavailable
from doorstep.connectors.onfleet.connector import OnfleetConnector
from doorstep.connectors.onfleet.triggers import REGISTERED
from doorstep.runtime import Runtime
from doorstep.sim.fakes.onfleet import FakeOnfleet
from doorstep.sim.fakes.onfleet_records import RATE_LIMIT, TokenBucket
from doorstep.store import platform_links
from tests.integration.connectors.onfleet_support import (  # noqa: F401 - fixtures
    DAY,
    Org,
    add_task,
    connector,
    delivery,
    doorstep,
    event_rows,
    fake,
    hooked,
    org,
    route,
    rt,
    sleeps,
    writes,
)


def test_webhooks_registered_once_and_checked(doorstep: str, connector: OnfleetConnector,
                                              fake: FakeOnfleet) -> None:
    before = connector.check(doorstep)
    assert before.key_works and before.webhooks == []
    assert before.missing == list(REGISTERED) and not before.ok
    added = connector.register_webhooks(doorstep)
    assert added == list(REGISTERED)
    hooks = httpx.get(f"{fake.base_url}/webhooks", auth=(fake.api_key, ""),
                      trust_env=False).json()
    assert {h["url"] for h in hooks} == {f"{doorstep}/webhooks/onfleet"}
    assert {h["trigger"]: h.get("threshold") for h in hooks} == {
        tid: thr for tid, thr in REGISTERED.values()}
    assert connector.register_webhooks(doorstep + "/") == []  # idempotent
    after = connector.check(doorstep)
    assert after.ok and after.missing == [] and len(after.webhooks) == len(REGISTERED)
    # Onfleet disabled one after 300 failures: reported, then made again
    eta = next(h for h in hooks if h["trigger"] == 1)
    fake.org.webhooks[eta["id"]]["isEnabled"] = False
    broken = connector.check(doorstep)
    assert broken.missing == ["taskEta"] and "disabled" in broken.warnings[0]
    assert connector.register_webhooks(doorstep) == ["taskEta"]
    assert connector.check(doorstep).ok and len(fake.org.webhooks) == len(REGISTERED)


def test_check_says_what_is_wrong(rt: Runtime, fake: FakeOnfleet, org: Org) -> None:
    rt.settings.onfleet_api_key = type(rt.settings.onfleet_api_key)("not-the-key")  # type: ignore[misc]
    rt.settings.onfleet_webhook_secret = None
    wrong = OnfleetConnector(rt, org.mapping, sleep=lambda s: None)
    refused = wrong.check("https://doorstep.example")
    assert not refused.key_works and refused.detail == "The API key provided is invalid."
    wrong.close()
    rt.settings.onfleet_api_key = type(rt.settings.onfleet_api_key)(fake.api_key)  # type: ignore[misc]
    loud = PlatformConfig(**{**org.mapping.model_dump(), "silence_platform_messages": False})
    right = OnfleetConnector(rt, loud, sleep=lambda s: None)
    told = right.check(None)
    assert told.key_works and told.ok  # nothing known to be missing without an address
    assert [w.split(" ")[0] for w in told.warnings] == [
        "DOORSTEP_ONFLEET_WEBHOOK_SECRET", "silence_platform_messages", "no"]
    right.close()


def test_a_drivers_day_told_by_the_webhooks(hooked: str, rt: Runtime, fake: FakeOnfleet,
                                            org: Org, clock: VirtualClock) -> None:
    tasks = [add_task(fake, org.queens, n) for n in range(3)]
    fake.deliver()
    ids = [f"onfleet-{t}" for t in tasks]
    first = delivery(rt, ids[0])
    assert (first.status, first.depot_id, first.shipper_id) == ("pending", "nyc-qn",
                                                                 "freshcart")
    assert first.address_line1 == "10 Elm St" and first.instructions == "Ring twice"
    for task in tasks:
        fake.assign(task, org.driver)
    fake.deliver()
    route_id = f"{org.driver}:{DAY}"
    planned = route(rt, route_id)
    assert planned is not None and planned.driver_id == "DR-7" and planned.stop_count == 3
    assert planned.depot_id == "nyc-qn" and planned.vehicle_id.startswith("onfleet-")
    assert [delivery(rt, d).status for d in ids] == ["scheduled"] * 3
    clock.advance(timedelta(hours=2))
    fake.set_duty(org.driver, True, location=[-73.99, 40.68])
    fake.start_task(tasks[0])
    fake.report(tasks[0], eta_seconds=600)
    fake.deliver()
    assert route(rt, route_id).status == "in_progress"
    assert delivery(rt, ids[0]).eta == clock.now() + timedelta(seconds=600)
    clock.advance(timedelta(minutes=10))
    fake.report(tasks[0], distance=20)
    clock.advance(timedelta(minutes=3))
    fake.complete_task(tasks[0], notes="Porch", signature="A. Lima")
    for task, ok in ((tasks[1], False), (tasks[2], True)):
        clock.advance(timedelta(minutes=15))
        fake.start_task(task)
        clock.advance(timedelta(minutes=10))
        if ok:
            fake.complete_task(task)
        else:
            fake.fail_task(task, reason="NOBODY_HOME", notes="Card left")
    clock.advance(timedelta(minutes=20))
    fake.set_duty(org.driver, False)
    assert all(d.ok for d in fake.deliver())
    assert [delivery(rt, d).status for d in ids] == ["delivered", "failed", "delivered"]
    done = delivery(rt, ids[0])
    assert done.arrived_at is not None and done.arrived_at < done.status_at
    assert route(rt, route_id).status == "completed"
    assert {e.status for e in event_rows(rt)} <= {"processed", "ignored"}
    with rt.db.reading() as s:
        assert platform_links.platform_id(s, "onfleet", "route", route_id) == route_id
        assert platform_links.platform_id(s, "onfleet", "driver", "DR-7") == org.driver
    # Onfleet texts these recipients: doorstep turns that off, once each
    assert sorted(w.subject_id for w in writes(rt)) == sorted(ids)
    stored = len(event_rows(rt))
    fake.advance(timedelta(hours=1))  # nothing is owed again
    assert len(event_rows(rt)) == stored


def test_unassigning_or_moving_replans_the_routes(hooked: str, rt: Runtime, fake: FakeOnfleet,
                                       org: Org) -> None:
    tasks = [add_task(fake, org.queens, n) for n in range(2)]
    for task in tasks:
        fake.assign(task, org.driver)
    fake.deliver()
    fake.assign(tasks[1], None)  # back to the organization: taskUnassigned
    fake.deliver()
    assert route(rt, f"{org.driver}:{DAY}").stop_count == 1
    assert delivery(rt, f"onfleet-{tasks[1]}").status == "pending"
    other = fake.add_worker("Kim Ode", "+12125550177", [org.queens])
    fake.assign(tasks[0], other)  # straight to another driver: only taskAssigned fires
    fake.deliver()
    assert route(rt, f"{other}:{DAY}").stop_count == 1
    assert route(rt, f"{org.driver}:{DAY}").stop_count == 0  # its plan read again
    assert delivery(rt, f"onfleet-{tasks[0]}").route_id == f"{other}:{DAY}"


def test_sync_reads_every_page_within_the_rate_limit(rt: Runtime, fake: FakeOnfleet, org: Org,
                                                     clock: VirtualClock) -> None:
    tasks = [add_task(fake, org.queens, n) for n in range(70)]
    add_task(fake, org.chicago, 99, completeAfter=None, completeBefore=None)  # today, by name
    for task in tasks[:5]:
        fake.assign(task, org.driver)
    # Onfleet's own limit, on the fake's clock: a sleeping connector lets it refill
    fake.org.bucket = TokenBucket(RATE_LIMIT, fake.org.now_ms() / 1000)
    fake.exhaust_rate_limit()
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock.advance(timedelta(seconds=seconds))

    patient = OnfleetConnector(rt, org.mapping, sleep=sleep)
    report = patient.sync([DAY])
    assert waits and report.fetched["tasks"] == 71 and report.fetched["workers"] == 1
    listed = [q for q in fake.requests if q.path == "/tasks/all" and q.status == 200]
    assert [q.query.get("lastId") is not None for q in listed] == [False, True, False]
    assert 429 in {q.status for q in fake.requests}
    assert delivery(rt, f"onfleet-{tasks[69]}").depot_id == "nyc-qn"
    planned = route(rt, f"{org.driver}:{DAY}")
    assert planned.stop_count == 5 and planned.driver_id == "DR-7"
    again = patient.sync([DAY])
    assert again.stored == 0 and again.duplicates > 70  # nothing changed: all repeats
    patient.close()


def test_onfleet_away_then_back(rt: Runtime, fake: FakeOnfleet, org: Org,
                                connector: OnfleetConnector, sleeps: list[float]) -> None:
    add_task(fake, org.queens, 1)
    fake.fail_next(503, times=1000)
    with pytest.raises(PlatformUnavailable):
        connector.sync([DAY])
    assert sleeps  # it backed off between tries
    jobs.sync_all(rt)
    assert "unreachable" in health.warnings(rt, ["onfleet"])["onfleet"]
    fake.org.faults.clear()  # Onfleet is back
    later = add_task(fake, org.queens, 2)
    jobs.sync_all(rt)
    assert health.warnings(rt, ["onfleet"]) == {}
    assert delivery(rt, f"onfleet-{later}") is not None  # caught up
