"""`POST /webhooks/circuit` over real HTTP: the contract's own example payload (v1 and its
v0.2b shape), the `spoke-signature`, repeats, bad input, and a day driven on the fake Spoke
whose webhooks reach doorstep and make it fetch what they do not carry."""

from __future__ import annotations

import copy
import json
import logging
from datetime import UTC, datetime
from typing import Any

import pytest

from doorstep.connectors.circuit import keeping
from doorstep.connectors.circuit.stops import Plan
from doorstep.domain import EventStatus
from doorstep.runtime import Runtime
from doorstep.sim.fakes.circuit import FakeCircuit
from tests.integration.connectors.circuit_support import (
    DAY,
    delivery,
    distributed,
    event_rows,
    post,
    route,
    signed,
)

pytest_plugins = ["tests.integration.connectors.circuit_fixtures"]  # its fixtures

# contracts/circuit.md §10, verbatim.
EXAMPLE = json.loads("""
{
  "type": "stop.attempted_delivery", "version": "v1", "created": 1767791000123,
  "data": {
    "id": "plans/Pq3xY7/stops/Sa91Lk", "plan": "plans/Pq3xY7", "type": "stop", "activity": "delivery",
    "recipient": {"name": "Ana Ruiz", "email": null, "phone": "+12175550100", "externalId": "DLV-1001"},
    "address": {"address": "12 Elm St, Springfield, IL 62701, USA", "addressLineOne": "12 Elm St",
                "addressLineTwo": "Springfield, IL 62701, USA", "latitude": 39.78, "longitude": -89.65,
                "placeId": "ChIJ-example", "placeTypes": ["street_address"]},
    "eta": {"status": "available", "value": {"estimatedArrivalAt": 1767790800,
            "estimatedEarliestArrivalAt": 1767789000, "estimatedLatestArrivalAt": 1767792600}},
    "deliveryInfo": {"attempted": true, "attemptedAt": 1767791000, "succeeded": false,
                     "state": "failed_not_home", "photoUrls": [], "signatureUrl": null, "signeeName": null,
                     "attemptedLocation": {"latitude": 39.78, "longitude": -89.65},
                     "driverProvidedInternalNotes": "No answer", "driverProvidedRecipientNotes": null,
                     "recipientProvidedNotes": null,
                     "timeAtStopInfo": {"status": "available",
                                        "value": {"arrivedAt": 1767790950, "departedAt": 1767791060, "isEstimated": false}}},
    "route": {"id": "routes/Rt2", "title": "Tue Route 3", "stopCount": 28, "driver": "drivers/Dr5",
              "plan": "plans/Pq3xY7", "state": {"started": true, "startedAt": 1767780000, "completed": false,
              "completedAt": null, "distributed": true, "distributedAt": 1767700000,
              "notifiedRecipients": true, "notifiedRecipientsAt": 1767780005}},
    "stopPosition": 7, "trackingLink": "https://track.example/abc", "notes": "Side door"
  }
}
""")


def v02b(payload: dict[str, Any]) -> dict[str, Any]:
    """The example as a team on webhook version v0.2b gets it (§13)."""
    out = copy.deepcopy(payload)
    out["version"] = "v0.2b"
    stop = out["data"]
    stop["eta"], stop["etaNullReason"] = stop["eta"]["value"], None
    info = stop["deliveryInfo"]
    info["timeAtStopInfo"] = info["timeAtStopInfo"]["value"]
    info["arrivedAt"] = info["timeAtStopInfo"]["arrivedAt"]
    stop["driverIdentifier"], stop["circuitClientId"] = "drivers/Dr5", None
    return out


@pytest.fixture
def plan_known(rt: Runtime) -> None:
    """As an earlier sync leaves it: the example's plan is a day in Springfield's depot."""
    keeping.put_plan_facts(rt, Plan("plans/Pq3xY7", datetime(2026, 1, 7).date(), "depots/Dp1",
                                    "Cicero"))


@pytest.mark.parametrize("shape", ["v1", "v0.2b"])
def test_the_documented_attempt_becomes_a_failed_delivery(
        rt: Runtime, doorstep: str, plan_known: None, fake: FakeCircuit, shape: str) -> None:
    payload = EXAMPLE if shape == "v1" else v02b(EXAMPLE)
    answer = post(doorstep, payload)

    assert answer.status_code == 200
    stored = {r.type: r for r in event_rows(rt)}
    assert set(stored) == {"delivery.created", "route.started", "delivery.arrived",
                           "delivery.failed"}
    created = stored["delivery.created"].payload
    assert created["delivery_id"] == "DLV-1001"
    assert created["depot"] == "chi-w"  # depots = {"Cicero": ...}, by the depot's name
    assert created["shipper"] == "threadline"  # no sellerName: the default
    assert created["service_date"] == "2026-01-07"
    assert created["recipient"] == {"name": "Ana Ruiz", "phone": "+12175550100"}
    assert created["address"] == {"line1": "12 Elm St", "city": "Springfield", "region": "IL",
                                  "postal_code": "62701", "country": "US", "lat": 39.78,
                                  "lon": -89.65}
    assert created["instructions"] == "Side door"
    assert stored["delivery.failed"].payload == {"delivery_id": "DLV-1001",
                                                 "reason": "not_home", "notes": "No answer"}
    assert stored["delivery.failed"].occurred_at == datetime.fromtimestamp(1767791000, UTC)
    assert stored["delivery.arrived"].occurred_at == datetime.fromtimestamp(1767790950, UTC)
    assert stored["route.started"].payload == {"route_id": "circuit:routes:Rt2"}
    recorded = delivery(rt, "DLV-1001")
    assert recorded.status == "failed" and recorded.address_postal_code == "62701"
    # The route is not known: doorstep asked Spoke for it (the fake has no such route).
    assert any(r.method == "GET" and r.path.endswith("/routes/Rt2") for r in fake.requests)
    assert stored["route.started"].status == EventStatus.DEFERRED


def test_the_same_webhook_again_is_stored_once(rt: Runtime, doorstep: str,
                                               plan_known: None) -> None:
    assert post(doorstep, EXAMPLE).status_code == 200
    before = len(event_rows(rt))
    assert post(doorstep, EXAMPLE).status_code == 200  # Spoke retries; no event id (§10)
    assert post(doorstep, v02b(EXAMPLE)).status_code == 200  # the same facts in v0.2b words
    assert len(event_rows(rt)) == before == 4


@pytest.mark.parametrize("headers", [
    {"spoke-signature": "0" * 64},
    {"spoke-signature": ""},
    {},
    {"spoke-signature": signed(b"{}")["spoke-signature"]},  # another body's signature
])
def test_a_wrong_or_missing_signature_is_401_logged_without_the_body(
        rt: Runtime, doorstep: str, headers: dict[str, str],
        caplog: pytest.LogCaptureFixture) -> None:
    import httpx

    body = json.dumps(EXAMPLE).encode()
    with caplog.at_level(logging.WARNING):
        answer = httpx.post(f"{doorstep}/webhooks/circuit", content=body, trust_env=False,
                            headers={"Content-Type": "application/json", **headers})
    assert answer.status_code == 401
    assert event_rows(rt) == []
    assert "refused" in caplog.text and "Ana Ruiz" not in caplog.text


def test_a_signature_made_with_another_secret_is_refused(rt: Runtime, doorstep: str) -> None:
    assert post(doorstep, EXAMPLE, secret="another-secret-of-32-characters!").status_code == 401
    assert event_rows(rt) == []


def test_without_a_configured_secret_every_webhook_is_refused(rt: Runtime,
                                                              doorstep: str) -> None:
    rt.settings.circuit_webhook_secret = None
    assert post(doorstep, EXAMPLE).status_code == 401
    assert event_rows(rt) == []


@pytest.mark.parametrize(("body", "kept_as"), [
    (b"{not json", "circuit.webhook"),
    (json.dumps({"type": "stop.allocated", "version": "v1", "created": 1767791000123,
                 "data": "not a stop"}).encode(), "circuit.stop.allocated"),
    (json.dumps({"type": "stop.allocated", "version": "v1", "created": "yesterday",
                 "data": {}}).encode(), "circuit.webhook"),
    (json.dumps({**EXAMPLE, "version": "v9"}).encode(), "circuit.webhook"),
    (json.dumps([EXAMPLE]).encode(), "circuit.webhook"),
])
def test_what_does_not_have_the_documented_shape_is_kept_flagged_and_answered_200(
        rt: Runtime, doorstep: str, body: bytes, kept_as: str) -> None:
    answer = post(doorstep, body)

    assert answer.status_code == 200
    kept = event_rows(rt)
    assert [(r.type, r.status) for r in kept] == [(kept_as, EventStatus.FLAGGED)]
    assert kept[0].note
    assert post(doorstep, body).status_code == 200
    assert len(event_rows(rt)) == 1  # kept once


def test_a_phone_doorstep_cannot_use_is_left_out_not_the_delivery(
        rt: Runtime, doorstep: str, plan_known: None) -> None:
    payload = copy.deepcopy(EXAMPLE)
    payload["data"]["recipient"]["phone"] = "call the shop"
    payload["data"]["recipient"]["email"] = "ana@"
    assert post(doorstep, payload).status_code == 200
    created = next(r for r in event_rows(rt) if r.type == "delivery.created")
    assert created.payload["recipient"] == {"name": "Ana Ruiz"}


@pytest.mark.parametrize("kind", ["test.send_event", "unassigned_stop.tracking_link_added",
                                  "plan.optimized"])
def test_events_about_no_delivery_are_answered_and_not_stored(rt: Runtime, doorstep: str,
                                                              kind: str) -> None:
    payload = {"type": kind, "version": "v1", "created": 1767791000123,
               "data": {"email": "dispatch@example.com", "webhookUrl": doorstep}}
    assert post(doorstep, payload).status_code == 200
    assert event_rows(rt) == []
    assert keeping.last_webhook(rt) is not None  # the settings page's Test button was heard


def test_a_day_on_spoke_reaches_doorstep_through_its_webhooks(
        rt: Runtime, doorstep: str, fake: FakeCircuit) -> None:
    day = distributed(fake, stops=3)  # stop.allocated ×3: plan, route, driver all unknown

    first = delivery(rt, "DLV-0")
    assert first is not None and first.status == "scheduled"
    assert first.shipper_id == "freshcart" and first.depot_id == "nyc-bk"
    assert first.service_date == DAY and first.window_start is not None
    planned = route(rt, "circuit:" + day["route"].replace("/", ":"))
    assert planned.status == "planned" and planned.stop_count == 3
    assert planned.driver_id == "circuit:" + day["driver"].replace("/", ":")
    fetched_routes = [r for r in fake.requests if r.path.endswith(day["route"].split("/")[1])]
    assert len(fetched_routes) == 1  # three stop events, one route read

    fake.start_route(day["route"])
    fake.complete_stop(day["stops"][0], photo_urls=["https://pod.example/p1.jpg"],
                       signature_url="https://pod.example/s1.png", signee_name="Ana")
    fake.fail_stop(day["stops"][1], "failed_cant_find_address", notes="no such number")
    fake.fail_stop(day["stops"][2], "failed_other", notes="customer refused the parcel")

    assert route(rt, planned.id).status == "completed"
    assert [delivery(rt, f"DLV-{i}").status for i in range(3)] == ["delivered", "failed",
                                                                   "failed"]
    failed = {r.payload["delivery_id"]: r.payload["reason"]
              for r in event_rows(rt, type="delivery.failed")}
    assert failed == {"DLV-1": "wrong_address", "DLV-2": "refused"}
    pod = event_rows(rt, type="delivery.delivered")[0].payload["pod"]
    assert pod == {"photo_url": "https://pod.example/p1.jpg",
                   "signature_url": "https://pod.example/s1.png", "received_by": "Ana"}
    assert all(r.status in (EventStatus.PROCESSED, EventStatus.IGNORED)
               for r in event_rows(rt)), [(r.type, r.status, r.note) for r in event_rows(rt)]
