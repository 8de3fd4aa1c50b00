"""The Onfleet webhook endpoint against the documentation's own examples
(shared/contracts/onfleet.md §4): the check handshake, the signature, payloads routed on their
triggerName into v1 events stored once, and what does not hold up kept flagged with a 200."""

# ruff: noqa: F811 (the fixtures are imported from onfleet_support)
from __future__ import annotations

import copy
import json
import logging
from typing import Any

import httpx
import pytest

from doorstep.connectors import health
from doorstep.connectors.onfleet.connector import OnfleetConnector
from doorstep.connectors.onfleet.payloads import OPT_OUT
from doorstep.connectors.onfleet.tasks import failure_reason
from doorstep.domain import FailureReason
from doorstep.runtime import Runtime
from doorstep.sim.fakes.onfleet import FakeOnfleet
from tests.integration.connectors.onfleet_support import (  # noqa: F401 - fixtures
    Org,
    add_task,
    connector,
    delivery,
    doorstep,
    event_rows,
    fake,
    hooked,
    org,
    post,
    rt,
    sleeps,
    types,
)

# §4.4, copied as the contract shows it.
TASK_COMPLETED = """
{
  "triggerId": 3, "triggerName": "taskCompleted", "time": 1767264000512,
  "taskId": "b3Xk2mQ9pLr8vT1wZ~c4nY7a", "workerId": "W7qLzR2mP9xK4vB1nC8d*T3e", "adminId": null,
  "actionContext": { "type": "WORKER", "id": "W7qLzR2mP9xK4vB1nC8d*T3e" },
  "data": { "task": {
    "id": "b3Xk2mQ9pLr8vT1wZ~c4nY7a", "shortId": "7c1e9a42", "trackingURL": "https://onf.lt/7c1e9a42",
    "organization": "Org0rg0rg0rg0rg0rg0rg0rg", "worker": "W7qLzR2mP9xK4vB1nC8d*T3e",
    "state": 3, "pickupTask": false, "completeAfter": 1767258000000, "completeBefore": 1767265200000,
    "timeCreated": 1767250000000, "timeLastModified": 1767264000480,
    "completionDetails": {
      "success": true, "failureReason": "NONE", "failureNotes": "", "successNotes": "",
      "notes": "Left with concierge", "time": 1767264000455,
      "events": [ { "name": "start", "time": 1767262100000 },
                  { "name": "arrival", "time": 1767263800000, "location": [-0.1276, 51.5072] } ],
      "photoUploadId": "5f0c1d2e3a4b5c6d7e8f9a0b", "photoUploadIds": ["5f0c1d2e3a4b5c6d7e8f9a0b"],
      "signatureUploadId": null, "actions": [], "firstLocation": [], "lastLocation": [], "unavailableAttachments": []
    },
    "recipients": [ { "id": "Rcp~1234567890abcdefghij", "name": "Ana Lima", "phone": "+447700900123",
                      "notes": "", "skipSMSNotifications": true, "metadata": [] } ],
    "destination": { "id": "Dst*1234567890abcdefghij", "location": [-0.1276, 51.5072],
                     "address": { "number": "10", "street": "Example Street", "apartment": "Flat 2",
                                  "city": "London", "state": "England", "postalCode": "SW1A 1AA",
                                  "country": "United Kingdom" }, "notes": "" },
    "metadata": [ { "name": "orderRef", "type": "string", "value": "SO-10042", "visibility": ["api"] } ]
  } }
}
"""
# §4.4: "taskFailed: identical envelope with "triggerId": 4, "triggerName": "taskFailed" and"
FAILED_DETAILS = {"success": False, "failureReason": "NOBODY_HOME",
                  "failureNotes": "Nobody home, card left", "notes": "",
                  "time": 1767264000455, "events": []}
DID = "onfleet-b3Xk2mQ9pLr8vT1wZ~c4nY7a"


def documented(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(TASK_COMPLETED)
    payload.update(changes)
    return payload


def failed_payload() -> dict[str, Any]:
    payload = documented(triggerId=4, triggerName="taskFailed")
    payload["data"]["task"]["completionDetails"] = copy.deepcopy(FAILED_DETAILS)
    return payload


def test_the_check_handshake_echoes_the_string(doorstep: str) -> None:
    r = httpx.get(f"{doorstep}/webhooks/onfleet", params={"check": "a1b2~c3 d4"},
                  trust_env=False)
    assert r.status_code == 200 and r.text == "a1b2~c3 d4"  # §4.1: exactly, untouched
    assert r.headers["content-type"].startswith("text/plain")
    assert httpx.get(f"{doorstep}/webhooks/onfleet", trust_env=False).status_code == 400


def test_the_documented_task_completed_payload(doorstep: str, rt: Runtime,
                                               fake: FakeOnfleet) -> None:
    r = post(doorstep, documented(), fake.webhook_secret)
    assert r.status_code == 200, r.text
    assert types(rt) == ["delivery.arrived", "delivery.created", "delivery.delivered"]
    assert {e.status for e in event_rows(rt)} == {"processed"}
    created = next(e.payload for e in event_rows(rt, type="delivery.created"))
    assert created["delivery_id"] == DID and created["depot"] == "nyc-bk"  # no team: default
    assert created["service_date"] == "2026-01-01" and created["shipper"] == "threadline"
    assert created["address"] == {
        "line1": "10 Example Street", "line2": "Flat 2", "city": "London",
        "region": "England", "postal_code": "SW1A 1AA", "country": "GB",
        "lat": 51.5072, "lon": -0.1276}
    assert created["recipient"] == {"name": "Ana Lima", "phone": "+447700900123"}
    assert created["window_start"] == "2026-01-01T09:00:00+00:00"
    done = next(e for e in event_rows(rt, type="delivery.delivered"))
    assert done.occurred_at.isoformat().startswith("2026-01-01T10:40:00.455")
    assert done.payload["pod"]["photo_url"].endswith("/5f0c1d2e3a4b5c6d7e8f9a0b/800x.png")
    assert done.payload["notes"] == ("Left with concierge; Onfleet photo uploads: "
                                     "5f0c1d2e3a4b5c6d7e8f9a0b")
    arrival = next(e for e in event_rows(rt, type="delivery.arrived"))
    assert arrival.occurred_at.isoformat().startswith("2026-01-01T10:36:40")
    row = delivery(rt, DID)
    assert row.status == "delivered" and row.arrived_at is not None
    # the worker it names was looked up to place the task; the fake has no such worker
    assert ("GET", "/workers/W7qLzR2mP9xK4vB1nC8d*T3e") in {(q.method, q.path)
                                                          for q in fake.requests}
    again = post(doorstep, documented(), fake.webhook_secret)
    assert again.status_code == 200 and len(event_rows(rt)) == 3  # stored once


def test_the_documented_task_failed_payload(doorstep: str, rt: Runtime,
                                            fake: FakeOnfleet) -> None:
    assert post(doorstep, failed_payload(), fake.webhook_secret).status_code == 200
    failed = next(e.payload for e in event_rows(rt, type="delivery.failed"))
    assert failed == {"delivery_id": DID, "reason": "not_home",
                      "notes": "Nobody home, card left; Onfleet reason: NOBODY_HOME"}
    assert delivery(rt, DID).status == "failed"


@pytest.mark.parametrize(("code", "reason"), [
    ("NOBODY_HOME", FailureReason.NOT_HOME), ("Recipient not home", FailureReason.NOT_HOME),
    ("WRONG_ADDRESS", FailureReason.WRONG_ADDRESS), ("ADDRESS_NOT_FOUND",
                                                     FailureReason.WRONG_ADDRESS),
    ("NO_ACCESS", FailureReason.ACCESS), ("Gate locked", FailureReason.ACCESS),
    ("REFUSED", FailureReason.REFUSED), ("package damaged", FailureReason.DAMAGED),
    ("NONE", FailureReason.OTHER), ("OUT_OF_TIME", FailureReason.OTHER), ("", FailureReason.OTHER)])
def test_failure_reasons_are_read_by_their_words(code: str, reason: FailureReason) -> None:
    assert failure_reason(code) is reason


def test_routed_on_the_trigger_name_not_its_number(doorstep: str, rt: Runtime,
                                                   fake: FakeOnfleet) -> None:
    payload = failed_payload()
    payload["triggerId"] = 3  # the number says completed; the name says failed
    assert post(doorstep, payload, fake.webhook_secret).status_code == 200
    assert delivery(rt, DID).status == "failed"


def test_signatures(doorstep: str, rt: Runtime, fake: FakeOnfleet,
                    caplog: pytest.LogCaptureFixture) -> None:
    body = json.dumps(documented()).encode()
    caplog.set_level(logging.INFO)
    assert post(doorstep, body, None).status_code == 401  # missing
    assert post(doorstep, body, "00" * 32).status_code == 401  # another secret
    assert post(doorstep, body, None, signature="zz").status_code == 401
    assert event_rows(rt) == []
    assert "Ana Lima" not in caplog.text and "Example Street" not in caplog.text
    from doorstep.sim.fakes.onfleet import onfleet_signature
    upper = onfleet_signature(fake.webhook_secret, body).upper()  # compared case-insensitively
    assert post(doorstep, body, None, signature=upper).status_code == 200
    assert len(event_rows(rt)) == 3


def test_no_secret_configured_refuses_everything(doorstep: str, rt: Runtime,
                                                 fake: FakeOnfleet) -> None:
    rt.settings.onfleet_webhook_secret = None
    assert post(doorstep, documented(), fake.webhook_secret).status_code == 401
    assert event_rows(rt) == []


@pytest.mark.parametrize(("body", "reason"), [
    (b"{not json", "not JSON"),
    (json.dumps([1, 2]).encode(), "not a JSON object"),
    (json.dumps({"triggerName": "taskCompleted", "time": "yesterday"}).encode(), "time"),
    (json.dumps({"triggerName": "taskCompleted", "time": 1767264000512, "taskId": None,
                 "data": {}}).encode(), "data.task is missing"),
    (json.dumps({"triggerName": "taskEta", "time": 1767264000512,
                 "data": json.loads(TASK_COMPLETED)["data"]}).encode(), "etaSeconds"),
    (json.dumps({"triggerName": "taskTeleported", "time": 1767264000512}).encode(),
     "not one doorstep knows"),
])
def test_what_does_not_hold_up_is_kept_flagged(doorstep: str, rt: Runtime, fake: FakeOnfleet,
                                               body: bytes, reason: str) -> None:
    r = post(doorstep, body, fake.webhook_secret)
    assert r.status_code == 200  # Onfleet would retry anything else for a day
    kept = event_rows(rt)
    assert [e.status for e in kept] == ["flagged"] and reason in kept[0].note
    assert post(doorstep, body, fake.webhook_secret).status_code == 200
    assert len(event_rows(rt)) == 1


def test_harmless_triggers_are_answered_and_ignored(doorstep: str, rt: Runtime,
                                                    fake: FakeOnfleet) -> None:
    for name in ("routePlanCreated", "autoDispatchJobCompleted", "smsRecipientResponseMissed"):
        r = post(doorstep, {"triggerId": 21, "triggerName": name, "time": 1767264000512,
                            "data": {}}, fake.webhook_secret)
        assert r.status_code == 200
    assert event_rows(rt) == []


def test_an_sms_opt_out_is_kept_for_a_person(doorstep: str, rt: Runtime,
                                             fake: FakeOnfleet) -> None:
    payload = {"triggerId": 17, "triggerName": "SMSRecipientOptOut", "time": 1767264000512,
               "recipient": {"id": "Rcp~1234567890abcdefghij", "name": "Ana Lima",
                             "phone": "+447700900123"}, "SMS": "STOP"}
    assert post(doorstep, payload, fake.webhook_secret).status_code == 200
    kept = event_rows(rt)
    assert [(e.type, e.status, e.note) for e in kept] == [
        ("onfleet.SMSRecipientOptOut", "flagged", OPT_OUT)]


def test_a_payload_without_its_task_has_the_task_fetched(
        doorstep: str, rt: Runtime, fake: FakeOnfleet, org: Org) -> None:
    task = add_task(fake, org.queens, 1)
    payload = {"triggerId": 2, "triggerName": "taskArrival", "time": 1764000000000,
               "taskId": task, "workerId": None, "distance": 40, "data": {}}
    assert post(doorstep, payload, fake.webhook_secret).status_code == 200
    assert ("GET", f"/tasks/{task}") in {(q.method, q.path) for q in fake.requests}
    assert [(e.type, e.status) for e in event_rows(rt)] == [
        ("onfleet.taskArrival", "flagged"), ("delivery.created", "processed")]
    assert delivery(rt, f"onfleet-{task}").depot_id == "nyc-qn"


def test_onfleet_away_while_placing_a_payload_asks_for_it_again(
        doorstep: str, rt: Runtime, fake: FakeOnfleet, connector: OnfleetConnector) -> None:
    fake.fail_next(503, times=4)  # every try of the first call the connector makes
    assert post(doorstep, documented(), fake.webhook_secret).status_code == 503
    assert event_rows(rt) == []
    assert health.state(rt, "onfleet")["ok"] is False
    assert post(doorstep, documented(), fake.webhook_secret).status_code == 200
    assert len(event_rows(rt)) == 3
