"""doorstep's writes to the fake Spoke over HTTP: each made once however often it is asked for,
and read back; what Spoke's API cannot do refused with what to do instead; `check` and
`register_webhooks`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from doorstep.connectors import writes
from doorstep.connectors.base import Write
from doorstep.connectors.circuit.connector import CircuitConnector
from doorstep.connectors.http import PlatformError
from doorstep.runtime import Runtime
from doorstep.sim.fakes.circuit import FakeCircuit
from doorstep.store import platform_writes
from doorstep.store.platform_writes import WriteKind
from doorstep.store.tables import platform_writes as outbox
from tests.integration.connectors.circuit_support import (
    DAY,
    FAST,
    KEY,
    MAPPING,
    add_stop,
    distributed,
)

pytest_plugins = ["tests.integration.connectors.circuit_fixtures"]  # its fixtures


def write(kind: WriteKind, subject: str, **payload: Any) -> Write:
    return Write(id=1, kind=kind, subject_id=subject, payload=payload)


def changes(fake: FakeCircuit) -> list[tuple[str, str]]:
    """The requests that change something on Spoke."""
    return [(r.method, r.path.removeprefix("/public/v1")) for r in fake.requests
            if r.method != "GET"]


@pytest.fixture
def editing(fake: FakeCircuit, connector: CircuitConnector) -> dict[str, Any]:
    """A plan still being edited (writable), synced: its deliveries are linked to its stops."""
    driver = fake.add_driver("Dana Cruz", phone="+12125550142")
    plan = fake.add_plan("editing", DAY, drivers=[driver])
    stops = [add_stop(fake, plan, i, notes="Ring twice") for i in range(2)]
    connector.sync([DAY])
    return {"plan": plan, "stops": stops, "driver": driver}


def test_instructions_go_to_the_stops_notes_once(fake: FakeCircuit, editing: dict[str, Any],
                                                 connector: CircuitConnector) -> None:
    w = write(WriteKind.INSTRUCTIONS, "DLV-0", delivery_id="DLV-0",
              instructions="Ring twice\nGate code 2291")
    shown = connector.write(w)
    again = connector.write(w)

    assert shown == again == {"stop": editing["stops"][0], "notes": "Ring twice\nGate code 2291"}
    assert fake.get_stop(editing["stops"][0])["notes"] == "Ring twice\nGate code 2291"
    assert [m for m, _ in changes(fake)] == ["PATCH"]  # the second write changed nothing


def test_on_a_distributed_plan_the_live_endpoint_takes_the_notes(
        rt: Runtime, fake: FakeCircuit, connector: CircuitConnector) -> None:
    day = distributed(fake, stops=2)
    connector.sync([DAY])
    shown = connector.write(write(WriteKind.INSTRUCTIONS, "DLV-1", delivery_id="DLV-1",
                                  instructions="Leave it with the concierge"))

    assert shown["notes"] == "Leave it with the concierge"
    paths = [p for _, p in changes(fake)]
    assert paths[-2:] == [f"/{day['stops'][1]}",
                          f"/{day['stops'][1]}:liveUpdate"]  # PATCH refused: 409, then live


def test_a_disposition_is_a_notes_line_kept_apart_from_the_instructions(
        fake: FakeCircuit, editing: dict[str, Any], connector: CircuitConnector) -> None:
    first = write(WriteKind.DISPOSITION, "DLV-0", delivery_id="DLV-0", disposition="redeliver",
                  redelivery_date="2026-11-26", notes="asked by the recipient")
    connector.write(first)
    connector.write(first)
    later = write(WriteKind.DISPOSITION, "DLV-0", delivery_id="DLV-0", disposition="return",
                  redelivery_date=None, notes=None)
    shown = connector.write(later)

    assert shown["notes"] == "Ring twice\n[doorstep] disposition: return"
    assert len(changes(fake)) == 2  # the first once, then the second replacing it
    connector.write(write(WriteKind.INSTRUCTIONS, "DLV-0", delivery_id="DLV-0",
                          instructions="Ring twice\nside door"))
    assert fake.get_stop(editing["stops"][0])["notes"] == (
        "Ring twice\nside door\n[doorstep] disposition: return")


def test_a_team_with_a_disposition_property_gets_it_there(
        fake: FakeCircuit, editing: dict[str, Any], connector: CircuitConnector) -> None:
    prop = fake.add_custom_property("Doorstep disposition")
    shown = connector.write(write(WriteKind.DISPOSITION, "DLV-1", delivery_id="DLV-1",
                                  disposition="pickup", redelivery_date=None, notes=None))
    assert shown == {"stop": editing["stops"][1], "property": prop.split("/")[-1],
                     "value": "[doorstep] disposition: pickup"}
    assert fake.get_stop(editing["stops"][1])["notes"] == "Ring twice"


def test_a_redelivery_is_a_new_stop_in_the_days_open_plan_made_once(
        rt: Runtime, fake: FakeCircuit, editing: dict[str, Any],
        connector: CircuitConnector) -> None:
    tomorrow = fake.add_plan("tomorrow", DAY + timedelta(days=1))
    w = write(WriteKind.REDELIVERY, "DLV-0", delivery_id="DLV-0", date="2026-11-25",
              instructions="Ring twice\nafter 6pm")
    shown = connector.write(w)
    again = connector.write(w)

    assert shown["stop"] == again["stop"] and shown["plan"] == tomorrow
    assert not shown["unassigned"]
    made = fake.get_stop(shown["stop"])
    assert made["recipient"]["externalId"] == "DLV-0"  # its events come back to DLV-0
    assert made["recipient"]["name"] == "Ana 0"
    assert made["notes"] == "Ring twice\nafter 6pm\n[doorstep] redelivery of DLV-0 on 2026-11-25"
    assert made["address"]["latitude"] == fake.get_stop(editing["stops"][0])["address"][
        "latitude"]
    assert [m for m, p in changes(fake) if p.endswith("/stops")] == ["POST"]  # once
    # the next sync knows it as DLV-0's next attempt, on tomorrow's plan
    connector.sync([DAY + timedelta(days=1)])
    with rt.db.reading() as s:
        day = s.scalar(sa.text("select service_date from deliveries where id = 'DLV-0'"))
    assert str(day) == "2026-11-25"


def test_without_an_open_plan_that_day_the_redelivery_waits_unassigned(
        fake: FakeCircuit, connector: CircuitConnector) -> None:
    day = distributed(fake, stops=1)
    connector.sync([DAY])
    fake.start_route(day["route"])
    fake.fail_stop(day["stops"][0], "failed_not_home")
    w = write(WriteKind.REDELIVERY, "DLV-0", delivery_id="DLV-0", date="2026-11-24",
              instructions=None)  # today: today's plan is out on the road
    shown = connector.write(w)

    assert shown["unassigned"] and shown["plan"] is None
    assert connector.write(w)["stop"] == shown["stop"]
    imports = [p for m, p in changes(fake) if p.endswith(":import")]
    assert imports == ["/unassignedStops:import"]
    unassigned = fake.team.unassigned_stop(shown["stop"].split("/")[1])
    assert unassigned["depot"] == fake.main_depot
    assert unassigned["recipient"]["externalId"] == "DLV-0"
    # instructions for the delivery now go to the stop that will be attempted
    connector.write(write(WriteKind.INSTRUCTIONS, "DLV-0", delivery_id="DLV-0",
                          instructions="back door"))
    assert fake.team.unassigned_stop(shown["stop"].split("/")[1])["notes"].startswith(
        "back door\n[doorstep] redelivery")


def test_a_route_on_an_optimized_plan_cannot_change_driver_through_the_api(
        fake: FakeCircuit, connector: CircuitConnector) -> None:
    day = distributed(fake, stops=2)
    other = fake.add_driver("Sam Other", phone="+12125550143")
    connector.sync([DAY])
    route_id = "circuit:" + day["route"].replace("/", ":")

    kept = connector.write(write(WriteKind.ASSIGN_ROUTE, route_id, route_id=route_id,
                                 driver_id="circuit:" + day["driver"].replace("/", ":"),
                                 vehicle_id="VAN-1"))
    assert kept["driver"] == day["driver"] and "vehicle" in kept
    with pytest.raises(PlatformError) as refused:
        connector.write(write(WriteKind.ASSIGN_ROUTE, route_id, route_id=route_id,
                              driver_id="circuit:" + other.replace("/", ":"), vehicle_id=None))
    assert refused.value.code == "plan_not_writable" and "dispatcher" in refused.value.detail
    assert changes(fake) == [(m, p) for m, p in changes(fake) if ":" in p]  # nothing written


def test_a_plan_reopened_for_editing_takes_the_new_driver(
        fake: FakeCircuit, connector: CircuitConnector) -> None:
    day = distributed(fake, stops=2)
    other = fake.add_driver("Sam Other", phone="+12125550143")
    connector.sync([DAY])
    with fake.team.lock:  # a dispatcher opened the plan again (an editing session)
        fake.team.plans[day["plan"]]["writable"] = True
    route_id = "circuit:" + day["route"].replace("/", ":")
    w = write(WriteKind.ASSIGN_ROUTE, route_id, route_id=route_id,
              driver_id="circuit:" + other.replace("/", ":"), vehicle_id=None)
    shown = connector.write(w)
    connector.write(w)

    assert shown["plan_drivers"] == [other]
    assert fake.team.plan(day["plan"].split("/")[1])["drivers"] == [other]
    assert [m for m, p in changes(fake) if p == f"/{day['plan']}"] == ["PATCH"]


def test_spoke_has_no_switch_for_its_recipient_messages(
        fake: FakeCircuit, editing: dict[str, Any], connector: CircuitConnector) -> None:
    shown = connector.write(write(WriteKind.SILENCE_RECIPIENT, "DLV-0", delivery_id="DLV-0"))
    assert shown["supported"] is False and "Recipient notifications" in shown["note"]
    assert changes(fake) == []


def test_the_outbox_drains_through_the_connector(rt: Runtime, fake: FakeCircuit,
                                                 editing: dict[str, Any],
                                                 connector: CircuitConnector) -> None:
    with rt.db.transaction() as s:
        platform_writes.queue(s, WriteKind.INSTRUCTIONS, "DLV-1",
                              {"delivery_id": "DLV-1", "instructions": "call first"}, "v1",
                              rt.clock.now())
        platform_writes.queue(s, WriteKind.INSTRUCTIONS, "NOT-ON-SPOKE",
                              {"delivery_id": "NOT-ON-SPOKE", "instructions": "x"}, "v1",
                              rt.clock.now())
    assert writes.drain(rt, {"circuit": connector}) == {"circuit": 1}
    with rt.db.reading() as s:
        done = s.execute(sa.select(outbox.c.status, outbox.c.read_back)).all()
    assert [(d.status, d.read_back["notes"]) for d in done] == [("done", "call first")]
    assert fake.get_stop(editing["stops"][1])["notes"] == "call first"


def test_check_says_what_is_missing_and_warns_of_spokes_own_messages(
        rt: Runtime, fake: FakeCircuit, doorstep: str, connector: CircuitConnector) -> None:
    before = connector.check(doorstep)
    assert before.key_works and not before.ok
    assert any("webhooks/circuit" in m and "dashboard" in m for m in before.missing)
    assert any("Recipient notifications" in w for w in before.warnings)

    fake.send_test_event()  # the operator pressed Test on Spoke's settings page
    after = connector.check(doorstep)
    assert after.ok and after.webhooks and after.webhooks[0].startswith(doorstep)
    assert connector.check(doorstep) == after  # asking again changes nothing
    assert connector.register_webhooks(doorstep) == connector.register_webhooks(doorstep) == []
    assert changes(fake) == []


def test_check_reports_spoke_messaging_recipients_and_a_refused_key(
        rt: Runtime, server: FakeCircuit, clock: Any, sleeps: list[float]) -> None:
    server.reset(seed=4, clock=clock, api_key=KEY, rate_limits=False,
                 recipient_notifications=True, timezone="America/New_York")
    day = distributed(server, stops=1)
    server.start_route(day["route"])
    c = CircuitConnector(rt, MAPPING, sleep=sleeps.append, rates=FAST)
    try:
        assert any("messaged the recipients of 1" in w for w in c.check(None).warnings)
        quiet = MAPPING.model_copy(update={"silence_platform_messages": False})
        assert CircuitConnector(rt, quiet, sleep=sleeps.append, rates=FAST).check(None).warnings == []
        rt.settings.circuit_api_key = type(rt.settings.circuit_api_key)("wrong")  # type: ignore[misc]
        refused = CircuitConnector(rt, MAPPING, sleep=sleeps.append, rates=FAST).check(None)
        assert not refused.key_works and refused.detail == "the API key was refused"
    finally:
        c.close()


def test_the_redelivery_stops_events_are_the_same_deliverys_next_attempt(
        rt: Runtime, fake: FakeCircuit, doorstep: str, connector: CircuitConnector) -> None:
    day = distributed(fake, stops=1)  # webhooks: doorstep learns DLV-0
    fake.start_route(day["route"])
    fake.fail_stop(day["stops"][0], "failed_not_home")
    tomorrow = fake.add_plan("tomorrow", DAY + timedelta(days=1), drivers=[day["driver"]])
    shown = connector.write(write(WriteKind.REDELIVERY, "DLV-0", delivery_id="DLV-0",
                                  date="2026-11-25", instructions=None))
    assert shown["plan"] == tomorrow

    fake.optimize(tomorrow)
    fake.finish_operations()
    fake.distribute(tomorrow)  # stop.allocated of the new stop
    second = fake.routes_of(tomorrow)[0]
    fake.start_route(second)
    fake.complete_stop(shown["stop"], signee_name="Ana")

    with rt.db.reading() as s:
        row = s.execute(sa.text("select status, service_date, route_id from deliveries "
                                "where id = 'DLV-0'")).one()
        tries = s.scalar(sa.text("select count(*) from attempts where delivery_id = 'DLV-0'"))
    assert (row.status, str(row.service_date)) == ("delivered", "2026-11-25")
    assert row.route_id == "circuit:" + second.replace("/", ":") and tries == 2
