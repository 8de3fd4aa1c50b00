"""Polling OptimoRoute's event feed (contracts/optimoroute.md §11.2) against the fake over real
HTTP: each event stored once, the cursor kept so a restart neither skips nor repeats, pages
followed, late events, unknown orders and routes fetched, bad events kept flagged, the busy
answer backed off, at most 4 requests in flight, and an outage caught up."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from doorstep.clock import VirtualClock
from doorstep.connectors import health, jobs
from doorstep.connectors.http import PlatformError, PlatformUnavailable
from doorstep.connectors.optimoroute.book import CURSOR
from doorstep.connectors.optimoroute.connector import OptimoRouteConnector
from doorstep.domain import EventStatus
from doorstep.runtime import Runtime
from doorstep.sim.fakes.optimoroute import FakeOptimoRoute
from doorstep.store import cursors
from tests.integration.connectors.optimoroute_support import (
    DAY,
    MAPPING,
    delivery,
    driver,
    order,
    route,
    stored,
)

pytest_plugins = ["tests.integration.connectors.optimoroute_fixtures"]


def planned_day(fake: FakeOptimoRoute, connector: OptimoRouteConnector, n: int = 2) -> None:
    for i in range(1, n + 1):
        order(fake, f"A-{i}", assignedTo={"serial": "102"})
    fake.plan(DAY)
    connector.sync([DAY])


def saved_tag(rt: Runtime) -> str | None:
    with rt.db.reading() as s:
        return cursors.get(s, CURSOR)


def test_each_event_is_stored_once_and_a_restart_goes_on_from_the_saved_tag(
        fake: FakeOptimoRoute, rt: Runtime, connector: OptimoRouteConnector,
        clock: VirtualClock) -> None:
    planned_day(fake, connector)
    clock.advance(timedelta(hours=2))
    fake.start_route("102", DAY)
    clock.advance(timedelta(minutes=20))
    fake.start_service("A-1")
    clock.advance(timedelta(minutes=3))
    fake.complete("A-1", note="Left with neighbour", photos=2)

    first = connector.poll()
    # on duty, route started, arrived, delivered (the first poll's catch-up read the outcome
    # first, under the event's own key: the event was its repeat)
    assert (first.fetched["events"], first.stored, first.duplicates) == (4, 4, 4)
    assert delivery(rt, "A-1").status.value == "delivered"
    with rt.db.reading() as s:
        pod = s.execute(sa.text("select pod_photo_url, pod_signature_url, notes from attempts "
                                "where delivery_id = 'A-1'")).one()
    assert pod[0].endswith("/pod/A-1/p1.jpg") and pod[1].endswith("/pod/A-1/sig.png")
    assert pod[2] == "Left with neighbour"
    assert route(rt, "102:2026-11-24").status.value == "in_progress"
    assert driver(rt, "D-44").on_duty is True
    tag = saved_tag(rt)
    assert tag

    connector.close()  # a restart: a new connector, the same database
    again = OptimoRouteConnector(rt, MAPPING, sleep=lambda s: None)
    try:
        clock.advance(timedelta(minutes=30))
        fake.fail("A-2", "Wrong address: no such number")
        later = again.poll()
    finally:
        again.close()
    assert (later.fetched["events"], later.stored, later.duplicates) == (2, 2, 0)
    assert fake.requests_to("get_events")[-1].query == {"after_tag": tag}
    a2 = delivery(rt, "A-2")
    assert a2.status.value == "failed"
    with rt.db.reading() as s:
        reason = s.scalar(sa.text("select failure_reason from attempts where delivery_id='A-2'"))
    assert reason == "wrong_address"


def test_a_crash_before_the_tag_is_saved_reads_the_page_again_as_repeats(
        fake: FakeOptimoRoute, rt: Runtime, connector: OptimoRouteConnector,
        clock: VirtualClock) -> None:
    planned_day(fake, connector)
    fake.start_route("102", DAY)
    connector.poll()
    before = saved_tag(rt)
    clock.advance(timedelta(minutes=30))
    fake.start_service("A-1")
    connector.poll()
    with rt.db.transaction() as s:  # as if the process died after storing, before saving
        cursors.put(s, CURSOR, str(before), clock.now())
    clock.advance(timedelta(minutes=5))
    fake.complete("A-1")

    report = connector.poll()
    assert (report.stored, report.duplicates) == (1, 1)  # the arrival again, then delivered
    assert [e.type for e in stored(rt)].count("delivery.arrived") == 1
    assert delivery(rt, "A-1").status.value == "delivered"


def test_pages_are_followed_while_events_remain(
        server: FakeOptimoRoute, rt: Runtime, connector: OptimoRouteConnector,
        clock: VirtualClock, fake: FakeOptimoRoute) -> None:
    fake.state.events_page = 2
    planned_day(fake, connector, n=3)
    fake.start_route("102", DAY)
    for number in ("A-1", "A-2", "A-3"):
        clock.advance(timedelta(minutes=10))
        fake.complete(number)  # start_service and success each

    report = connector.poll()
    assert report.fetched["events"] == 8
    pages = fake.requests_to("get_events")
    assert len(pages) == 4  # 8 events in pages of 2; the last says none remain
    assert len({p.query.get("after_tag") for p in pages}) == 4
    assert all(delivery(rt, n).status.value == "delivered" for n in ("A-1", "A-2", "A-3"))


def test_a_late_event_from_an_offline_phone_never_moves_a_delivery_back(
        fake: FakeOptimoRoute, rt: Runtime, connector: OptimoRouteConnector,
        clock: VirtualClock) -> None:
    planned_day(fake, connector)
    fake.start_route("102", DAY)
    clock.advance(timedelta(hours=1))
    fake.complete("A-1")
    connector.poll()
    done_at = delivery(rt, "A-1").status_at
    fake.add_event("failed", at=done_at - timedelta(minutes=30), serial="102", order_no="A-1")

    report = connector.poll()
    assert report.stored == 1
    [late] = [e for e in stored(rt) if e.type == "delivery.failed"]
    assert late.status in (EventStatus.IGNORED, EventStatus.PROCESSED)
    a1 = delivery(rt, "A-1")
    assert (a1.status.value, a1.status_at) == ("delivered", done_at)


def test_an_order_doorstep_has_not_synced_is_read_when_an_event_names_it(
        fake: FakeOptimoRoute, rt: Runtime, connector: OptimoRouteConnector) -> None:
    connector.poll()  # the feed is followed from here on
    order(fake, "B-9", customField2="Queens", customField1="medirx", phone="(212) 555-0143",
          assignedTo={"serial": "103"})
    fake.plan(DAY)
    fake.start_route("103", DAY)
    fake.complete("B-9")

    connector.poll()
    b9 = delivery(rt, "B-9")
    assert (b9.status.value, b9.depot_id, b9.shipper_id) == ("delivered", "nyc-qn", "medirx")
    assert fake.requests_to("get_orders")[0].body == {"orders": [{"orderNo": "B-9"}]}
    # the route was not synced either: its plan was fetched (a job), then it started
    assert route(rt, "103:2026-11-24").status.value == "in_progress"
    assert fake.requests_to("get_routes")[-1].query == {"date": "2026-11-24",
                                                         "driverSerial": "103"}


def test_events_that_do_not_hold_up_are_kept_flagged(
        fake: FakeOptimoRoute, rt: Runtime, connector: OptimoRouteConnector,
        clock: VirtualClock) -> None:
    planned_day(fake, connector, n=1)
    fake.add_event("teleported", at=clock.now(), serial="102")
    fake.add_event("on_duty", at=clock.now())  # no driver
    order(fake, "A-9")  # never synced, and gone before doorstep reads of it
    fake.add_event("start_service", at=clock.now(), serial="102", order_no="A-9")
    fake.state.delete_order({"orderNo": "A-9"})

    report = connector.poll()
    flagged = [e for e in stored(rt) if e.status is EventStatus.FLAGGED]
    assert report.flagged == 3 and len(flagged) == 3
    notes = sorted(e.note for e in flagged)
    assert notes[0] == "on_duty without driverSerial"
    assert "A-9 is not on OptimoRoute" in notes[1]
    assert notes[2] == "unknown event 'teleported'"
    assert {e.type for e in flagged} == {"optimoroute.event"}
    assert connector.poll().stored == 0  # read past: the tag moved on


def test_a_busy_answer_is_backed_off_and_another_refusal_names_its_code(
        fake: FakeOptimoRoute, rt: Runtime, connector: OptimoRouteConnector,
        sleeps: list[float]) -> None:
    fake.fail_next(200, code="ERR_TOO_MANY_CONNECTIONS", method="get_events", times=2)
    connector.poll()
    assert len(sleeps) == 2 and all(0 <= s <= 2 for s in sleeps)
    assert len(fake.requests_to("get_events")) == 3

    fake.fail_next(200, code="ERR_INVALID_PARAM_FORMAT", method="get_routes")
    with pytest.raises(PlatformError) as refused:
        connector.sync([DAY])
    assert refused.value.code == "ERR_INVALID_PARAM_FORMAT"
    assert len(sleeps) == 2  # a refusal is not tried again


def test_never_more_than_four_requests_in_flight(
        fake: FakeOptimoRoute, connector: OptimoRouteConnector) -> None:
    fake.stall_next(method="get_routes", times=6)
    answers: list[object] = []
    threads = [threading.Thread(target=lambda: answers.append(connector.account.client.get(
        "get_routes", date="2026-11-24"))) for _ in range(6)]
    for t in threads:
        t.start()
    assert fake.wait_stalled(4)
    assert not fake.wait_stalled(5, timeout=0.3)  # the fifth waits in doorstep, not there
    fake.release()
    for t in threads:
        t.join(5)
    assert len(answers) == 6 and not any(
        r.body for r in fake.requests_to("get_routes"))  # none was refused as too many


def test_an_outage_warns_and_the_next_poll_catches_up(
        fake: FakeOptimoRoute, rt: Runtime, connector: OptimoRouteConnector,
        clock: VirtualClock) -> None:
    planned_day(fake, connector)
    connector.poll()
    fake.start_route("102", DAY)
    fake.complete("A-1")
    fake.fail_next(503, times=connector.account.client.http.retries + 1)
    rt._connectors = {"optimoroute": connector}  # what rt.connectors() builds, sleeping not

    assert jobs.poll_all(rt) == {}
    assert "unreachable since" in health.warnings(rt, ["optimoroute"])["optimoroute"]
    assert delivery(rt, "A-1").status.value == "scheduled"
    with pytest.raises(PlatformUnavailable):
        fake.fail_next(503, times=connector.account.client.http.retries + 1)
        connector.poll()

    clock.advance(timedelta(minutes=5))
    assert jobs.poll_all(rt)["optimoroute"].stored == 4
    assert health.warnings(rt, ["optimoroute"]) == {}
    assert delivery(rt, "A-1").status.value == "delivered"


def test_a_tag_optimoroute_no_longer_takes_catches_up_the_day_then_reads_from_the_start(
        fake: FakeOptimoRoute, rt: Runtime, connector: OptimoRouteConnector) -> None:
    planned_day(fake, connector)
    fake.start_route("102", DAY)
    fake.complete("A-1")
    with rt.db.transaction() as s:
        cursors.put(s, CURSOR, "c2VxOjk5OTk5", rt.clock.now())  # seq:99999, gone

    report = connector.poll()
    assert delivery(rt, "A-1").status.value == "delivered"
    assert report.stored >= 4
    assert saved_tag(rt) not in (None, "c2VxOjk5OTk5")
    assert fake.requests_to("get_completion_details")  # the catch-up read the outcomes


def test_the_first_read_takes_in_the_feed_from_the_synced_days_not_its_history(
        fake: FakeOptimoRoute, rt: Runtime, connector: OptimoRouteConnector,
        clock: VirtualClock) -> None:
    order(fake, "OLD-1", DAY - timedelta(days=30))
    fake.add_event("on_duty", at=clock.now() - timedelta(days=30), serial="102")
    fake.add_event("start_service", at=clock.now() - timedelta(days=30), serial="102",
                   order_no="OLD-1")
    fake.add_event("on_duty", at=clock.now(), serial="103")

    report = connector.poll()
    assert report.fetched["events"] == 3
    assert [e.type for e in stored(rt)] == ["driver.upserted", "driver.duty_changed"]
    assert delivery(rt, "OLD-1") is None and not fake.requests_to("get_orders")
    assert driver(rt, "103").on_duty is True
