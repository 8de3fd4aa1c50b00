"""Syncing OptimoRoute's days (contracts/optimoroute.md §5.4, §6.1, §9.1) from the fake over
real HTTP: orders page by page, routes per day, drivers from the routes, the mapping's depots
and shippers, a 429 honoured, a repeated sync all repeats, a changed order a new fact, a
cancelled order, pickups left out, and one object fetched on its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from doorstep.clock import VirtualClock
from doorstep.connectors.optimoroute.connector import OptimoRouteConnector
from doorstep.runtime import Runtime
from doorstep.sim.fakes.optimoroute import FakeOptimoRoute
from doorstep.store.tables import platform_links, platform_writes
from tests.integration.connectors.optimoroute_support import (
    DAY,
    MAPPING,
    delivery,
    driver,
    order,
    route,
    route_stops,
    stored,
)

pytest_plugins = ["tests.integration.connectors.optimoroute_fixtures"]
TOMORROW = DAY + timedelta(days=1)


def test_orders_are_read_page_by_page_and_routes_day_by_day(
        fake: FakeOptimoRoute, rt: Runtime, connector: OptimoRouteConnector) -> None:
    fake.state.page_size = 2
    for i in range(5):
        order(fake, f"A-{i}", assignedTo={"serial": "102"})
    order(fake, "B-1", TOMORROW, assignedTo={"serial": "103"})
    fake.plan(DAY)
    fake.plan(TOMORROW)

    report = connector.sync([DAY, TOMORROW])
    assert report.fetched == {"orders": 6, "routes": 2, "drivers": 2}
    searches = fake.requests_to("search_orders")
    assert len(searches) == 3 and searches[0].body["dateRange"] == {"from": "2026-11-24",
                                                                      "to": "2026-11-25"}
    assert "after_tag" not in searches[0].body and searches[1].body["after_tag"]
    assert route_stops(rt, "102:2026-11-24") == [f"A-{i}" for i in range(5)]
    assert route_stops(rt, "103:2026-11-25") == ["B-1"]
    assert driver(rt, "D-44").name == "Sam Lee"  # the external id, where the driver has one
    assert driver(rt, "103").name == "Kim Ode"  # else the serial
    assert route(rt, "103:2026-11-25").driver_id == "103"
    with rt.db.reading() as s:
        links = {(r.kind, r.doorstep_id): r.platform_id
                 for r in s.execute(sa.select(platform_links))}
    assert links[("driver", "D-44")] == "102" and links[("delivery", "A-0")] == "A-0"
    assert links[("route", "102:2026-11-24")] == "102:2026-11-24"


def test_the_mapping_gives_each_order_its_depot_and_shipper(
        fake: FakeOptimoRoute, rt: Runtime, connector: OptimoRouteConnector) -> None:
    order(fake, "Q-1", customField2="Queens", customField1="FC")
    order(fake, "C-1", customField2="Cicero", customField1="medirx",
          timeWindows=[{"twFrom": "13:00", "twTo": "15:00"}, {"twFrom": "09:00", "twTo": "11:00"}])
    order(fake, "X-1", customField1="somebody else", priority="C",
          address="9 Main St, Apt 4, Hoboken, NJ 07030, USA")
    connector.sync([DAY])

    q1, c1, x1 = delivery(rt, "Q-1"), delivery(rt, "C-1"), delivery(rt, "X-1")
    assert (q1.depot_id, q1.shipper_id, q1.market_id) == ("nyc-qn", "freshcart", "nyc")
    assert (c1.depot_id, c1.shipper_id, c1.market_id) == ("chi-w", "medirx", "chi")
    # the earliest window, read in the depot's own time zone (Central)
    assert (c1.window_start, c1.window_end) == (datetime(2026, 11, 24, 15, 0, tzinfo=UTC),
                                                datetime(2026, 11, 24, 17, 0, tzinfo=UTC))
    assert (x1.depot_id, x1.shipper_id, x1.time_sensitive) == ("nyc-bk", "threadline", True)
    assert (x1.address_line1, x1.address_line2, x1.address_city, x1.address_region,
            x1.address_postal_code) == ("9 Main St", "Apt 4", "Hoboken", "NJ", "07030")
    assert q1.service_date == DAY


def test_a_429_is_waited_out_as_told(fake: FakeOptimoRoute, rt: Runtime, clock: VirtualClock,
                                     sleeps: list[float]) -> None:
    order(fake, "A-1")
    fake.exhaust_rate_limit(timedelta(seconds=30))

    def wait(seconds: float) -> None:  # the recorder moves the virtual clock the fake reads
        sleeps.append(seconds)
        clock.advance(timedelta(seconds=seconds))

    c = OptimoRouteConnector(rt, MAPPING, sleep=wait)
    try:
        report = c.sync([DAY])
    finally:
        c.close()
    assert sleeps == [30.0]
    assert report.fetched["orders"] == 1 and delivery(rt, "A-1") is not None


def test_a_repeated_sync_is_all_repeats_and_a_change_is_one_new_fact(
        fake: FakeOptimoRoute, rt: Runtime, connector: OptimoRouteConnector,
        clock: VirtualClock) -> None:
    for n in ("A-1", "A-2"):
        order(fake, n, notes="Ring twice", assignedTo={"serial": "102"})
    fake.plan(DAY)
    first = connector.sync([DAY])
    again = connector.sync([DAY])
    # 2 orders, the route and its driver; a driver doorstep knows is not told again
    assert (first.stored, again.stored, again.duplicates) == (4, 0, 3)

    clock.advance(timedelta(minutes=15))
    fake.state.upsert({"operation": "MERGE", "orderNo": "A-2",
                       "notes": "Ring twice\nLeave at the back door"}, geocoding=False)
    changed = connector.sync([DAY])
    assert changed.stored == 1
    assert delivery(rt, "A-2").instructions == "Ring twice\nLeave at the back door"


def test_a_cancelled_order_cancels_the_delivery_and_a_pickup_is_no_delivery(
        fake: FakeOptimoRoute, rt: Runtime, connector: OptimoRouteConnector) -> None:
    order(fake, "A-1")
    order(fake, "P-1", type="P")
    connector.sync([DAY])
    fake.cancel("A-1")

    connector.sync([DAY])
    assert delivery(rt, "A-1").status.value == "cancelled"
    assert delivery(rt, "P-1") is None
    assert [e.type for e in stored(rt)] == ["delivery.created", "delivery.cancelled"]


def test_orders_that_would_message_their_customer_get_it_switched_off(
        fake: FakeOptimoRoute, rt: Runtime, connector: OptimoRouteConnector) -> None:
    order(fake, "A-1")
    order(fake, "A-2", notificationPreference="dont_notify")
    order(fake, "A-3", phone=None)
    connector.sync([DAY])
    connector.sync([DAY])

    [bulk] = fake.requests_to("create_or_update_orders")  # once, however many syncs
    assert bulk.body == {"orders": [{"operation": "MERGE", "orderNo": "A-1",
                                     "notificationPreference": "dont_notify"}]}
    assert fake.state.find({"orderNo": "A-1"}).data["notificationPreference"] == "dont_notify"
    assert "notificationPreference" not in fake.state.find({"orderNo": "A-3"}).data
    with rt.db.reading() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(platform_writes)) == 0


def test_a_refused_bulk_switch_leaves_each_order_a_write_of_its_own(
        fake: FakeOptimoRoute, rt: Runtime, connector: OptimoRouteConnector) -> None:
    order(fake, "A-1")
    fake.fail_next(200, code="ERR_INVALID_PARAM_FORMAT", method="create_or_update_orders")
    assert connector.sync([DAY]).stored == 1  # the sync itself goes on
    connector.sync([DAY])  # a refused write is not queued twice the same day

    with rt.db.reading() as s:
        queued = list(s.execute(sa.select(platform_writes.c.kind, platform_writes.c.subject_id)))
    assert queued == [("silence_recipient", "A-1")]


def test_one_order_route_or_driver_is_fetched_on_its_own(
        fake: FakeOptimoRoute, rt: Runtime, connector: OptimoRouteConnector) -> None:
    order(fake, "A-1", assignedTo={"serial": "103"})
    order(fake, "A-2", assignedTo={"serial": "102"})
    fake.plan(DAY)

    assert connector.sync_one("order", "A-2").fetched == {"orders": 1}
    assert delivery(rt, "A-2") is not None and delivery(rt, "A-1") is None
    connector.sync_one("route", "103:2026-11-24")
    assert route_stops(rt, "103:2026-11-24") == ["A-1"]  # its order was read with it
    assert connector.sync_one("driver", "102").fetched == {"routes": 1}
    assert driver(rt, "D-44") is not None
    with pytest.raises(ValueError, match="order, route or driver"):
        connector.sync_one("vehicle", "AB-123")
