"""Whatever a correctly signed body holds — any JSON, any nesting, fields of the wrong type
where the documented ones should be — Onfleet's and Circuit's webhooks answer 200 (kept, kept
flagged, or knowingly ignored) and never 5xx: the platforms retry anything else for a day and
then switch the webhook off."""

from __future__ import annotations

import hashlib
import hmac
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from doorstep.clock import VirtualClock
from doorstep.config import PlatformConfig, PlatformsConfig
from doorstep.runtime import Runtime
from doorstep.sim.fakes.circuit import FakeCircuit
from doorstep.sim.fakes.onfleet import FakeOnfleet, onfleet_signature
from doorstep.sim.fakes.serving import Served
from doorstep.store.tables import events
from doorstep.web.app import create_app
from tests.conftest import START, make_settings

CIRCUIT_SECRET = "s3cretS3cretS3cretS3cretS3cret12"
MAPPING = PlatformConfig(default_depot="nyc-bk", default_shipper="threadline")

scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**63, 2**63),
                    st.floats(allow_nan=False), st.text(max_size=30))
anything = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=25)
# The fields the translators look at, so the fuzz reaches past the first check.
TASK_KEYS = ["id", "state", "worker", "container", "recipients", "destination", "metadata",
             "completionDetails", "completeAfter", "completeBefore", "timeLastModified",
             "notes", "trackingURL"]
task_like = st.fixed_dictionaries({}, optional={k: anything for k in TASK_KEYS})
onfleet_payloads = st.fixed_dictionaries({}, optional={
    "triggerId": st.one_of(st.integers(0, 30), anything),
    "triggerName": st.one_of(st.sampled_from([
        "taskStarted", "taskEta", "taskArrival", "taskCompleted", "taskFailed", "workerDuty",
        "taskCreated", "taskUpdated", "taskDeleted", "taskAssigned", "taskUnassigned",
        "taskDelayed", "taskCloned", "workerCreated", "workerDeleted", "SMSRecipientOptOut",
        "taskBatchCreateJobCompleted", "predictedTaskDelay"]), anything),
    "time": st.one_of(st.integers(0, 2**42), anything),
    "taskId": st.one_of(st.text(max_size=24), anything),
    "workerId": st.one_of(st.text(max_size=24), anything),
    "etaSeconds": anything, "status": anything, "delay": anything,
    "data": st.one_of(st.fixed_dictionaries({}, optional={"task": st.one_of(task_like, anything),
                                                          "worker": anything}), anything)})
STOP_KEYS = ["id", "address", "recipient", "orderInfo", "deliveryInfo", "route", "plan",
             "eta", "timing", "notes", "stopPosition", "type"]
stop_like = st.fixed_dictionaries({}, optional={k: anything for k in STOP_KEYS})
circuit_payloads = st.fixed_dictionaries({}, optional={
    "type": st.one_of(st.sampled_from([
        "stop.allocated", "stop.out_for_delivery", "stop.attempted_delivery", "stop.departed",
        "stop.next_in_route", "stop.tracking_link_added", "test.send_event"]), anything),
    "version": st.one_of(st.sampled_from(["v1", "v0.2b"]), anything),
    "created": anything,
    "data": st.one_of(stop_like, anything)})


@dataclass
class Door:
    rt: Runtime
    url: str
    onfleet_secret: str


@pytest.fixture(scope="module")
def door(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Door]:
    tmp = tmp_path_factory.mktemp("shapes")
    shutil.copy(sqlite_template, tmp / "d.db")
    clock = VirtualClock(START)
    with FakeOnfleet(clock=clock, seed=3, rate_limit=None) as onfleet, \
            FakeCircuit(seed=3) as circuit:
        circuit.reset(seed=3, clock=clock, webhook_secret=CIRCUIT_SECRET, rate_limits=False)
        settings_ = make_settings(tmp, f"sqlite:///{tmp / 'd.db'}",
                                  onfleet_api_key=onfleet.api_key,
                                  onfleet_base_url=onfleet.base_url,
                                  onfleet_webhook_secret=onfleet.webhook_secret,
                                  circuit_api_key=circuit.api_key,
                                  circuit_base_url=circuit.api_url,
                                  circuit_webhook_secret=CIRCUIT_SECRET)
        settings_.operator.platforms = PlatformsConfig(onfleet=MAPPING, circuit=MAPPING)
        rt = Runtime.build(settings_, clock=clock, immediate=True)
        rt.sync_operator()
        served = Served("doorstep")
        url = served.start(create_app(rt))
        try:
            yield Door(rt, url, onfleet.webhook_secret)
        finally:
            served.stop()
            rt.close_connectors()
            rt.db.dispose()


def post(url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(url, content=body, headers={"Content-Type": "application/json", **headers},
                      timeout=30, trust_env=False)


FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


@FUZZ
@given(payload=st.one_of(onfleet_payloads, anything))
def test_onfleet_answers_200_to_any_signed_json(door: Door, payload: Any) -> None:
    body = json.dumps(payload).encode()
    answer = post(f"{door.url}/webhooks/onfleet", body,
                  {"X-Onfleet-Signature": onfleet_signature(door.onfleet_secret, body)})
    assert answer.status_code == 200, (answer.status_code, answer.text, payload)


@FUZZ
@given(payload=st.one_of(circuit_payloads, anything))
def test_circuit_answers_200_to_any_signed_json(door: Door, payload: Any) -> None:
    body = json.dumps(payload).encode()
    signature = hmac.new(CIRCUIT_SECRET.encode(), body, hashlib.sha256).hexdigest()
    answer = post(f"{door.url}/webhooks/circuit", body, {"spoke-signature": signature})
    assert answer.status_code == 200, (answer.status_code, answer.text, payload)


@pytest.mark.parametrize("platform", ["onfleet", "circuit"])
def test_json_nested_past_the_parsers_limit_is_kept_flagged(door: Door, platform: str) -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    if platform == "onfleet":
        headers = {"X-Onfleet-Signature": onfleet_signature(door.onfleet_secret, body)}
    else:
        headers = {"spoke-signature": hmac.new(CIRCUIT_SECRET.encode(), body,
                                               hashlib.sha256).hexdigest()}
    answer = post(f"{door.url}/webhooks/{platform}", body, headers)

    assert answer.status_code == 200
    with door.rt.db.reading() as s:
        kept = s.scalar(sa.select(sa.func.count()).select_from(events).where(
            events.c.source == platform, events.c.external_id ==
            "raw:" + hashlib.sha256(body).hexdigest()))
    assert kept == 1
