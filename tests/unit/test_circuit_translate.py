"""Spoke's words in doorstep's, with no network: addresses from Spoke's one geocoded line,
outcome states and reasons, ids, the webhook envelope, v0.2b stops, rate classes, notes."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from doorstep.config import OperatorConfig, PlatformConfig, load_operator
from doorstep.connectors.circuit import codes, places
from doorstep.connectors.circuit.client import RATES, classify
from doorstep.connectors.circuit.notes import instructions_of, notes_with, ours_of
from doorstep.connectors.circuit.places import Places
from doorstep.connectors.circuit.stops import Plan, earliest, normalize
from doorstep.connectors.circuit.translate import (
    delivery_id,
    details,
    envelope,
    facts,
    route_planned,
)
from doorstep.connectors.received import Unmappable
from doorstep.domain import EventType, FailureReason
from tests.conftest import OPERATOR_FILE

AT = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def operator() -> OperatorConfig:
    return load_operator(OPERATOR_FILE)


@pytest.fixture
def where(operator: OperatorConfig) -> Places:
    return Places(PlatformConfig(default_depot="nyc-bk", default_shipper="threadline",
                                 shipper_field="customProperties.Cp1",
                                 shippers={"FC": "freshcart"},
                                 depots={"depots/Dp9": "phx-t", "Cicero": "chi-w"}), operator)


@pytest.mark.parametrize(("given", "expected"), [
    ({"address": "12 Elm St, Springfield, IL 62701, USA", "addressLineOne": "12 Elm St",
      "addressLineTwo": "Springfield, IL 62701, USA"},
     {"line1": "12 Elm St", "city": "Springfield", "region": "IL", "postal_code": "62701",
      "country": "US"}),
    ({"address": "10 Elm St, Brooklyn, NY, 11231, US", "addressLineOne": "10 Elm St",
      "addressLineTwo": "Brooklyn, NY, 11231, US", "latitude": 40.7, "longitude": -73.9},
     {"line1": "10 Elm St", "city": "Brooklyn", "region": "NY", "postal_code": "11231",
      "country": "US", "lat": 40.7, "lon": -73.9}),
    ({"address": "100 King St W, Toronto, ON M5X 1A9, Canada"},
     {"line1": "100 King St W", "city": "Toronto", "region": "ON", "postal_code": "M5X 1A9",
      "country": "CA"}),
    ({"address": "Calle Mayor 5, 28013 Madrid, Spain", "addressLineOne": "Calle Mayor 5",
      "addressLineTwo": "Madrid, 28013, Spain"},
     {"line1": "Calle Mayor 5", "city": "Madrid", "postal_code": "28013", "country": "ES"}),
    ({"address": "39.78000, -89.65000", "latitude": 39.78, "longitude": -89.65},
     {"line1": "39.78000, -89.65000", "city": "?", "postal_code": "?", "country": "US",
      "lat": 39.78,
      "lon": -89.65}),
])
def test_an_address_from_spokes_geocoded_line(given: dict, expected: dict) -> None:
    assert places.address(given) == expected


@pytest.mark.parametrize(("state", "notes", "reason"), [
    ("failed_not_home", None, FailureReason.NOT_HOME),
    ("failed_cant_find_address", "gate locked", FailureReason.WRONG_ADDRESS),
    ("failed_no_parking", None, FailureReason.ACCESS),
    ("failed_package_not_available", None, FailureReason.DAMAGED),
    ("failed_payment_not_received", None, FailureReason.REFUSED),
    ("failed_other", "Recipient refused the parcel", FailureReason.REFUSED),
    ("failed_other", "box was crushed", FailureReason.DAMAGED),
    ("failed_other", "buzzer broken, no entry", FailureReason.ACCESS),
    ("failed_no_time", "nobody home", FailureReason.NOT_HOME),
    ("failed_other", None, FailureReason.OTHER),
    ("failed_something_new", None, FailureReason.OTHER),
])
def test_a_failure_state_is_one_of_doorsteps_reasons(state: str, notes: str | None,
                                                     reason: FailureReason) -> None:
    assert codes.outcome(state, False) == "failed"
    assert codes.failure_reason(state, notes) is reason


@pytest.mark.parametrize(("state", "succeeded", "outcome"), [
    ("delivered_to_safe_place", True, "delivered"), ("picked_up_unmanned", True, "delivered"),
    ("unattempted", False, None), (None, None, None), ("handed_to_neighbour", True, "delivered"),
])
def test_outcomes(state: str | None, succeeded: bool | None, outcome: str | None) -> None:
    assert codes.outcome(state, succeeded) == outcome


def stop(**over: object) -> dict:
    base = {"id": "plans/P1/stops/S1", "plan": "plans/P1", "type": "stop",
            "activity": "delivery", "recipient": {"name": "Ana", "phone": "(212) 555-0100",
                                                  "email": None, "externalId": None},
            "address": {"address": "1 Main St, Tempe, AZ 85281, USA"},
            "timing": {"earliestAttemptTime": {"hour": 9, "minute": 30},
                       "latestAttemptTime": {"hour": 11, "minute": 0}},
            "customProperties": {"Cp1": "FC"}, "notes": "side door\n[doorstep] disposition: x",
            "eta": {"status": "available", "value": {"estimatedArrivalAt": 1795967000}},
            "route": None, "deliveryInfo": None, "stopPosition": 2}
    return {**base, **over}


def test_details_in_the_depots_market_time(where: Places) -> None:
    made = details(stop(), Plan("plans/P1", date(2026, 11, 24), "depots/Dp9"), where, AT)
    assert made is not None
    kind, data = made.items[0]
    assert kind is EventType.DELIVERY_CREATED
    assert data["delivery_id"] == "circuit:plans:P1:stops:S1"  # no externalId: Spoke's id
    assert (data["depot"], data["shipper"]) == ("phx-t", "freshcart")
    assert data["recipient"] == {"name": "Ana", "phone": "+12125550100"}
    assert data["window_start"] == "2026-11-24T09:30:00-07:00"  # Phoenix
    assert data["instructions"] == "side door"  # not doorstep's own line
    again = details(stop(eta={"status": "pending"}), Plan("plans/P1", date(2026, 11, 24),
                                                          "depots/Dp9"), where, AT)
    assert again is not None and again.key == made.key  # what changes often is not a detail


def test_a_start_end_or_pickup_is_not_a_delivery(where: Places) -> None:
    plan = Plan("plans/P1", date(2026, 11, 24), None)
    assert details(stop(type="start"), plan, where, AT) is None
    assert details(stop(activity="pickup"), plan, where, AT) is None
    assert facts(stop(type="end"), AT) == []


def test_the_external_id_is_the_delivery() -> None:
    assert delivery_id(stop(recipient={"externalId": " DLV-7 "})) == "DLV-7"
    long_id = delivery_id(stop(recipient={"externalId": "x" * 300}))
    assert long_id.startswith("circuit:x:") and len(long_id) <= 128


def test_facts_before_details_never_look_older() -> None:
    t = int(AT.timestamp())
    s = stop(route={"id": "routes/R1", "state": {"distributedAt": t - 9000,
                                                  "started": True, "startedAt": t - 5000}},
             deliveryInfo={"attempted": True, "attemptedAt": t - 600,
                           "state": "delivered_to_recipient", "succeeded": True})
    assert earliest(s, AT) == datetime.fromtimestamp(t - 9000, UTC)  # a sync hours later
    kinds = [t.items[0][0] for t in facts(s, AT)]
    assert kinds == [EventType.ROUTE_STARTED, EventType.DELIVERY_DELIVERED]  # no ETA once done


def test_a_route_keeps_one_stop_per_delivery_in_route_order(where: Places) -> None:
    route = {"id": "routes/R1", "driver": "drivers/D1", "state": None}
    stops = [stop(id=f"plans/P1/stops/S{i}", stopPosition=p, route=route,
                  recipient={"externalId": ext})
             for i, (p, ext) in enumerate([(3, "A"), (1, "B"), (2, "A"), (4, None)])]
    stops.append(stop(id="plans/P1/stops/End", type="end", route=route, stopPosition=9))
    made = route_planned(route, stops, Plan("plans/P1", date(2026, 11, 24), None), where, AT)
    data = made.items[0][1]
    assert [s["delivery_id"] for s in data["stops"]] == ["B", "A", "circuit:plans:P1:stops:S3"]
    assert [s["sequence"] for s in data["stops"]] == [1, 2, 3]
    assert data["driver_id"] == "circuit:drivers:D1" and data["depot"] == "nyc-bk"


@pytest.mark.parametrize(("payload", "problem"), [
    ([], "JSON object"), ({"type": "stop", "version": "v1", "created": 1767791000123}, "type"),
    ({"type": "stop.allocated", "version": "v2", "created": 1767791000123}, "version"),
    ({"type": "stop.allocated", "version": "v1", "created": 1767791000}, "milliseconds"),
])
def test_an_envelope_not_as_documented_is_refused(payload: object, problem: str) -> None:
    with pytest.raises(Unmappable, match=problem):
        envelope(payload)


def test_a_v02b_stop_reads_as_v1() -> None:
    old = stop(eta={"estimatedArrivalAt": 1795967000}, allowedDriversIdentifiers=["drivers/D"],
               circuitClientId="c1",
               deliveryInfo={"timeAtStopInfo": {"arrivedAt": 1, "departedAt": 2}})
    del old["timing"]
    new = normalize(old)
    assert new["eta"] == {"status": "available", "value": {"estimatedArrivalAt": 1795967000}}
    assert new["deliveryInfo"]["timeAtStopInfo"]["status"] == "available"
    assert (new["allowedDrivers"], new["clientId"]) == (["drivers/D"], "c1")
    assert normalize(stop(eta=None))["eta"] == {"status": "pending"}
    with pytest.raises(Unmappable):
        normalize({"id": "stops/S1"})


def test_each_request_counts_against_its_documented_class() -> None:
    assert classify("GET", "/plans/P/stops") == "read"
    assert classify("PATCH", "/plans/P/stops/S") == "write"
    assert classify("POST", "/plans/P/stops:import") == "import_stops"
    assert classify("POST", "/unassignedStops:import") == "import_stops"
    assert classify("POST", "/drivers") == "create_driver"
    assert classify("POST", "/drivers:import") == "import_drivers"
    assert classify("POST", "/plans/P:optimize") == "optimize"
    assert RATES["read"] == 10 and RATES["write"] == 5 and RATES["optimize"] == 3 / 60


def test_notes_keep_the_instructions_apart_from_doorsteps_lines() -> None:
    notes = "Gate 12\n[doorstep] disposition: redeliver\nback door"
    assert instructions_of(notes) == "Gate 12\nback door"
    assert ours_of(notes) == ["[doorstep] disposition: redeliver"]
    long = notes_with("x" * 2500, ["[doorstep] y"])
    assert len(long) == 2000 and long.endswith("\n[doorstep] y")
