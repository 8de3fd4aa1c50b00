"""doorstep's writes to OptimoRoute against the fake over real HTTP: each one made once however
often it is run, and read back; a redelivery's order comes back as the same delivery; a write
the platform refuses is left for a person; and `connectors check`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from pydantic import SecretStr

from doorstep.clock import VirtualClock
from doorstep.config import PlatformConfig
from doorstep.connectors import writes
from doorstep.connectors.base import NotReadBack, Write
from doorstep.connectors.optimoroute.connector import OptimoRouteConnector
from doorstep.domain import EventType
from doorstep.events.format import make_event
from doorstep.runtime import Runtime
from doorstep.sim.fakes.optimoroute import FakeOptimoRoute
from doorstep.store import platform_links, platform_writes
from doorstep.store.platform_writes import WriteKind, WriteStatus
from doorstep.store.tables import attempts
from doorstep.store.tables import platform_writes as write_rows
from tests.integration.connectors.optimoroute_support import (
    DAY,
    MAPPING,
    delivery,
    order,
    route,
)

pytest_plugins = ["tests.integration.connectors.optimoroute_fixtures"]
TOMORROW = DAY + timedelta(days=1)


def write(kind: WriteKind, subject: str, **payload: Any) -> Write:
    return Write(id=1, kind=kind, subject_id=subject, payload=payload)


def data(fake: FakeOptimoRoute, number: str) -> dict[str, Any]:
    with fake.state.lock:
        return dict(fake.state.find({"orderNo": number}).data)


def changes(fake: FakeOptimoRoute) -> list[str]:
    """The calls that change something on OptimoRoute, in order, but for the sync's switching
    off of the customers' notifications."""
    return [r.method for r in fake.requests if r.method in (
        "create_order", "create_or_update_orders", "update_driver_parameters",
        "start_planning") and not _silencing(r.body)]


def _silencing(body: Any) -> bool:
    items = body.get("orders") if isinstance(body, dict) else None
    return bool(items) and all(set(i) == {"operation", "orderNo", "notificationPreference"}
                               for i in items)


@pytest.fixture
def failed_a1(fake: FakeOptimoRoute, rt: Runtime, connector: OptimoRouteConnector,
              clock: VirtualClock) -> None:
    """A-1 tried today and failed: doorstep heard of it through the feed."""
    order(fake, "A-1", notes="Ring twice", assignedTo={"serial": "102"}, latitude=40.66,
          longitude=-73.95)
    fake.plan(DAY)
    connector.sync([DAY])
    clock.advance(timedelta(hours=3))
    fake.start_route("102", DAY)
    fake.fail("A-1", "Nobody home")
    connector.poll()
    assert delivery(rt, "A-1").status.value == "failed"


def test_instructions_become_the_orders_notes_once(
        fake: FakeOptimoRoute, connector: OptimoRouteConnector) -> None:
    order(fake, "A-1", notes="Ring twice")
    connector.sync([DAY])
    said = write(WriteKind.INSTRUCTIONS, "A-1", delivery_id="A-1",
                 instructions="Ring twice\nThe code is 1234")

    shown = connector.write(said)
    again = connector.write(said)
    assert shown == again == {"orderNo": "A-1", "notes": "Ring twice\nThe code is 1234"}
    assert data(fake, "A-1")["notes"] == "Ring twice\nThe code is 1234"
    assert changes(fake) == ["create_order"]  # the second run found it done
    assert fake.requests_to("create_order")[0].body == {
        "operation": "UPDATE", "orderNo": "A-1", "notes": "Ring twice\nThe code is 1234"}


def test_a_redelivery_is_a_new_order_that_comes_back_as_the_same_delivery(
        fake: FakeOptimoRoute, rt: Runtime, connector: OptimoRouteConnector,
        clock: VirtualClock, failed_a1: None) -> None:
    decided = write(WriteKind.DISPOSITION, "A-1", delivery_id="A-1", disposition="redeliver",
                    redelivery_date=TOMORROW.isoformat(), notes="asked by the recipient: tmrw")
    redeliver = write(WriteKind.REDELIVERY, "A-1", delivery_id="A-1",
                      date=TOMORROW.isoformat(), instructions="Leave it with the doorman")
    line = "[doorstep] disposition: redeliver on 2026-11-25 (asked by the recipient: tmrw)"

    assert connector.write(decided)["notes"] == f"Ring twice\n{line}"
    made = connector.write(redeliver)
    assert made["orderNo"] == "A-1-R1" and made["date"] == "2026-11-25"
    assert connector.write(redeliver)["orderNo"] == "A-1-R1"  # found again by its marker
    assert connector.write(decided)["orderNo"] == "A-1"  # the failed order, not the new one
    assert changes(fake) == ["create_order", "create_order"]
    new = data(fake, "A-1-R1")
    assert (new["customField5"], new["notes"], new["customField1"]) == (
        "A-1", "Leave it with the doorman", "FC")
    assert (new["location"]["latitude"], new["notificationPreference"]) == (40.66, "dont_notify")
    assert data(fake, "A-1")["notes"] == f"Ring twice\n{line}"  # not twice

    fake.plan(TOMORROW)
    connector.sync([TOMORROW])
    a1 = delivery(rt, "A-1")
    assert (a1.service_date, a1.status.value, a1.instructions) == (
        TOMORROW, "scheduled", "Leave it with the doorman")
    clock.advance(timedelta(days=1))
    [serial] = [s for (day, s) in fake.state.routes if day == TOMORROW]
    fake.start_route(serial, TOMORROW)
    fake.complete("A-1-R1")
    connector.poll()
    assert delivery(rt, "A-1").status.value == "delivered"
    with rt.db.reading() as s:
        outcomes = [r.outcome.value for r in s.execute(
            attempts.select().where(attempts.c.delivery_id == "A-1").order_by(attempts.c.number))]
    assert outcomes == ["failed", "delivered"]


def test_the_customers_notifications_are_switched_off_through_the_outbox(
        fake: FakeOptimoRoute, rt: Runtime, connector: OptimoRouteConnector) -> None:
    order(fake, "A-1", email="ana@example.com")
    fake.fail_next(200, code="ERR_INVALID_PARAM_FORMAT", method="create_or_update_orders")
    connector.sync([DAY])  # the bulk switch was refused: a write of its own for the order

    assert writes.drain(rt, {"optimoroute": connector}) == {"optimoroute": 1}
    assert data(fake, "A-1")["notificationPreference"] == "dont_notify"
    with rt.db.reading() as s:
        row = s.execute(sa.select(write_rows)).one()
    assert (row.status, row.read_back) == (WriteStatus.DONE, {
        "orderNo": "A-1", "notificationPreference": "dont_notify"})
    connector.write(write(WriteKind.SILENCE_RECIPIENT, "A-1", delivery_id="A-1"))
    assert changes(fake) == ["create_order"]
    connector.sync([DAY])
    assert writes.drain(rt, {"optimoroute": connector}) == {"optimoroute": 0}


def test_a_write_optimoroute_refuses_is_left_for_a_person(
        rt: Runtime, connector: OptimoRouteConnector) -> None:
    now = rt.clock.now()
    with rt.db.transaction() as s:
        platform_links.put(s, "optimoroute", "delivery", "GONE-1", "GONE-1", now)
        platform_writes.queue(s, WriteKind.REDELIVERY, "GONE-1",
                              {"delivery_id": "GONE-1", "date": "2026-11-26",
                               "instructions": None}, "1", now)

    writes.drain(rt, {"optimoroute": connector})
    with rt.db.reading() as s:
        row = s.execute(sa.select(write_rows)).one()
    assert row.status == WriteStatus.FAILED
    assert "order GONE-1 not found" in row.last_error


def test_a_route_moves_to_another_driver_and_vehicle_once_planning_is_done(
        fake: FakeOptimoRoute, rt: Runtime, connector: OptimoRouteConnector,
        clock: VirtualClock) -> None:
    for n in ("A-1", "A-2"):
        order(fake, n, assignedTo={"serial": "102"})
    fake.plan(DAY)
    connector.sync([DAY])
    rt.intake.accept("test", [make_event("veh-9", EventType.VEHICLE_UPSERTED, clock.now(), {
        "vehicle_id": "veh-9", "depot": "nyc-bk", "vehicle_class": "cargo_van",
        "plate": "VAN-9"})])
    assign = write(WriteKind.ASSIGN_ROUTE, "102:2026-11-24", route_id="102:2026-11-24",
                   driver_id="103", vehicle_id="veh-9")

    with pytest.raises(NotReadBack, match="may still be planning"):
        connector.write(assign)
    fake.advance()
    fake.advance()  # OptimoRoute's planning: N → R → F
    shown = connector.write(assign)
    assert shown == {"route": "103:2026-11-24", "orders": 2, "vehicleRegistration": "VAN-9"}
    assert changes(fake) == ["update_driver_parameters", "create_or_update_orders",
                             "update_driver_parameters", "start_planning"]
    assert fake.state.drivers["102"].params[DAY]["enabled"] is False
    assert [o["assignedTo"] for o in (data(fake, "A-1"), data(fake, "A-2"))] == [
        {"serial": "103"}] * 2

    clock.advance(timedelta(minutes=5))
    connector.sync([DAY])
    moved = route(rt, "102:2026-11-24")  # doorstep's route, now the new driver's day
    assert (moved.driver_id, moved.vehicle_id, moved.stop_count) == ("103", "veh-9", 2)


def test_check_says_whether_the_key_works_and_what_to_switch_off(
        rt: Runtime, connector: OptimoRouteConnector, clock: VirtualClock) -> None:
    ready = connector.check("https://doorstep.example")
    assert (ready.ok, ready.webhooks, ready.missing) == (True, [], [])
    assert any("Order Tracking" in w for w in ready.warnings)
    assert any("has not been read yet" in w for w in ready.warnings)
    assert connector.register_webhooks("https://doorstep.example") == []
    assert connector.register_webhooks("https://doorstep.example") == []
    connector.poll()
    assert not any("event feed" in w for w in connector.check(None).warnings)
    clock.advance(timedelta(hours=2))  # no poller since
    assert any("last read 120 minutes ago" in w for w in connector.check(None).warnings)

    loud = OptimoRouteConnector(rt, PlatformConfig(**{**MAPPING.model_dump(),
                                                      "silence_platform_messages": False}))
    rt.settings.optimoroute_api_key = SecretStr("not-the-key")
    wrong = OptimoRouteConnector(rt, MAPPING)
    try:
        assert any("both message" in w for w in loud.check(None).warnings)
        refused = wrong.check(None)
    finally:
        loud.close()
        wrong.close()
    assert (refused.ok, refused.detail) == (False, "AUTH_KEY_UNKNOWN: API key is unknown")
