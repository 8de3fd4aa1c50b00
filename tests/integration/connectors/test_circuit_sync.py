"""The Circuit connector's sync against the fake Spoke over HTTP: the days' plans page by page
with their stops, routes and drivers; a repeat of unchanged objects stores nothing new; 429
waited out; deletions found; an outage reported and caught up, webhooks lost meanwhile
included."""

from __future__ import annotations

from datetime import timedelta

import pytest

from doorstep.clock import VirtualClock
from doorstep.connectors import health, jobs
from doorstep.connectors.circuit.connector import CircuitConnector
from doorstep.connectors.http import PlatformUnavailable
from doorstep.runtime import Runtime
from doorstep.sim.fakes.circuit import FakeCircuit
from tests.integration.connectors.circuit_support import (
    DAY,
    FAST,
    MAPPING,
    a_day,
    add_stop,
    delivery,
    distributed,
    event_rows,
    route,
)

pytest_plugins = ["tests.integration.connectors.circuit_fixtures"]  # its fixtures


def ours(platform_id: str) -> str:
    return "circuit:" + platform_id.replace("/", ":")


def test_a_sync_pulls_the_days_plans_page_by_page(rt: Runtime, fake: FakeCircuit,
                                                   connector: CircuitConnector) -> None:
    today = distributed(fake, stops=25)  # three pages of stops (§6: 10 at most)
    tomorrow = a_day(fake, stops=2, day=DAY + timedelta(days=1))
    later = fake.add_plan("later", DAY + timedelta(days=3))
    add_stop(fake, later, 99)
    fake.add_driver("Idle Ida", phone="+12125550177")

    report = connector.sync([DAY, DAY + timedelta(days=1)])

    assert report.fetched == {"depots": 1, "drivers": 3, "stops": 27, "routes": 2, "plans": 2}
    assert report.flagged == 0 and report.stored > 0
    assert [delivery(rt, f"DLV-{i}").status for i in (0, 24)] == ["scheduled", "scheduled"]
    assert delivery(rt, "DLV-99") is None  # a plan of another day
    planned = route(rt, ours(today["route"]))
    assert planned.stop_count == 25 and planned.driver_id == ours(today["driver"])
    assert route(rt, ours(fake.routes_of(tomorrow["plan"])[0])).stop_count == 2
    pages = [r for r in fake.requests if r.path.endswith(today["plan"].split("/")[1] + "/stops")]
    assert len(pages) == 3 and "pageToken" not in pages[0].query
    assert all(r.query.get("maxPageSize") == "10" for r in pages)
    assert [r.query.get("pageToken") is not None for r in pages] == [False, True, True]
    listed = next(r for r in fake.requests if r.path.endswith("/plans"))
    assert listed.query["filter.startsGte"] == "2026-11-24"
    assert listed.query["filter.startsLte"] == "2026-11-25"
    assert report.requests == len(fake.requests)


def test_a_second_sync_of_unchanged_objects_stores_nothing(rt: Runtime, fake: FakeCircuit,
                                                            connector: CircuitConnector) -> None:
    distributed(fake, stops=4)
    first = connector.sync([DAY])
    stored = len(event_rows(rt))
    again = connector.sync([DAY])

    assert again.stored == 0 and again.duplicates == first.stored
    assert len(event_rows(rt)) == stored


def test_a_429_is_waited_out_with_the_retry_after_spoke_gave(
        rt: Runtime, server: FakeCircuit, clock: VirtualClock) -> None:
    server.reset(seed=4, clock=clock, api_key="circuit-test-key-0123456789", rate_limits=True,
                 retry_after=True, timezone="America/New_York")
    fake = server
    distributed(fake, stops=12)
    waited: list[float] = []

    def sleep(seconds: float) -> None:  # time passes for the fake as it would
        waited.append(seconds)
        clock.advance(timedelta(seconds=seconds))

    c = CircuitConnector(rt, MAPPING, sleep=sleep, rates=FAST)
    try:
        fake.exhaust_rate_limit("read")
        report = c.sync([DAY])
    finally:
        c.close()
    assert report.fetched["stops"] == 12
    assert 1.0 in waited  # the Retry-After of the first answer
    assert delivery(rt, "DLV-11").status == "scheduled"


def test_without_retry_after_a_429_backs_off_with_jitter_until_spoke_gives_up(
        rt: Runtime, fake: FakeCircuit, sleeps: list[float]) -> None:
    fake.rate_limits = True
    fake.exhaust_rate_limit("read")  # the clock never moves: every try is refused
    c = CircuitConnector(rt, MAPPING, sleep=sleeps.append, rates=FAST)
    try:
        with pytest.raises(PlatformUnavailable):
            c.sync([DAY])
    finally:
        c.close()
    backoffs = [s for s in sleeps if s > 0.2]
    assert len(sleeps) >= 6 and len(set(sleeps)) == len(sleeps)  # random, not a fixed ladder
    assert backoffs and max(sleeps) <= 60.0


def test_a_stop_or_a_plan_deleted_in_spoke_is_a_cancelled_delivery(
        rt: Runtime, fake: FakeCircuit, connector: CircuitConnector) -> None:
    driver = fake.add_driver("Dana Cruz", phone="+12125550142")
    plan = fake.add_plan("editing", DAY, drivers=[driver])
    stops = [add_stop(fake, plan, i) for i in range(3)]
    other = fake.add_plan("second", DAY, drivers=[driver])
    add_stop(fake, other, 7)
    connector.sync([DAY])
    assert delivery(rt, "DLV-1").status == "pending"

    fake.team.delete_stop(plan.split("/")[1], stops[1].split("/")[-1])  # as a dispatcher
    fake.team.delete_plan(other.split("/")[1])
    connector.sync([DAY])

    assert [delivery(rt, f"DLV-{i}").status for i in (0, 1, 2, 7)] == [
        "pending", "cancelled", "pending", "cancelled"]
    reasons = {r.payload["delivery_id"]: r.payload["reason"]
               for r in event_rows(rt, type="delivery.cancelled")}
    assert reasons == {"DLV-1": "its stop was deleted in Spoke",
                       "DLV-7": "its plan was deleted in Spoke"}


def test_an_outage_is_reported_then_caught_up_lost_webhooks_included(
        rt: Runtime, fake: FakeCircuit, clock: VirtualClock) -> None:
    day = distributed(fake, stops=3)  # no webhook URL: doorstep hears nothing of the day
    fake.fail_next(503, message="Service unavailable", times=7)  # every try of one request

    assert jobs.sync_all(rt) == {}
    assert "circuit" in health.warnings(rt, ["circuit"])
    assert "unreachable" in health.warnings(rt, ["circuit"])["circuit"]

    clock.advance(timedelta(hours=3))
    fake.start_route(day["route"])
    fake.complete_stop(day["stops"][0], signee_name="Ana")
    fake.fail_stop(day["stops"][1], "failed_not_home")
    clock.advance(timedelta(hours=2))  # Spoke's webhooks would be dropped by now (§10)
    reports = jobs.sync_all(rt)

    assert reports["circuit"].stored > 0 and health.warnings(rt, ["circuit"]) == {}
    assert [delivery(rt, f"DLV-{i}").status for i in range(3)] == [
        "delivered", "failed", "out_for_delivery"]
    assert route(rt, ours(day["route"])).status == "in_progress"
    attempt = next(r for r in event_rows(rt, type="delivery.delivered"))
    assert attempt.occurred_at < clock.now() - timedelta(hours=1)  # when it happened


def test_one_object_an_event_named_is_fetched(rt: Runtime, fake: FakeCircuit,
                                              connector: CircuitConnector) -> None:
    driver = fake.add_driver("Lone Driver", phone="+13125550123", email="lone@example.com")
    report = connector.sync_one("driver", driver)
    assert report.stored == 1
    stored = event_rows(rt, type="driver.upserted")[0].payload
    assert stored == {"driver_id": ours(driver), "name": "Lone Driver", "depot": "nyc-bk",
                      "active": True, "phone": "+13125550123", "email": "lone@example.com"}
    assert connector.sync_one("driver", "drivers/Nobody").stored == 0  # 404: nothing
    with pytest.raises(ValueError):
        connector.sync_one("vehicle", "vehicles/V1")


def test_a_plan_tidied_away_after_its_attempts_cancels_nothing(
        rt: Runtime, fake: FakeCircuit, connector: CircuitConnector) -> None:
    day = distributed(fake, stops=2)
    fake.start_route(day["route"])
    fake.fail_stop(day["stops"][0], "failed_not_home")
    connector.sync([DAY])
    assert delivery(rt, "DLV-0").status == "failed"

    fake.team.delete_plan(day["plan"].split("/")[1])
    connector.sync([DAY])

    assert [delivery(rt, f"DLV-{i}").status for i in range(2)] == ["failed", "cancelled"]


def test_a_plan_whose_stops_spoke_will_not_show_is_left_alone(
        rt: Runtime, fake: FakeCircuit, connector: CircuitConnector) -> None:
    hidden = distributed(fake, stops=1)
    connector.sync([DAY])
    shown = fake.add_plan("another", DAY)
    add_stop(fake, shown, 5)
    fake.fail_next(403, message="Plan is outside the data retention window",
                   code="plan_inaccessible", path=hidden["plan"].split("/")[1] + "/stops")
    report = connector.sync([DAY])

    assert report.fetched["plans"] == 2 and report.fetched["stops"] == 1
    assert delivery(rt, "DLV-0").status == "scheduled"  # not cancelled for being unseen
    assert delivery(rt, "DLV-5").status == "pending"
