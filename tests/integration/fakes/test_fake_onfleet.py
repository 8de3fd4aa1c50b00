"""The fake Onfleet server, spoken to over real HTTP as the contract shows
(shared/contracts/onfleet.md). Webhooks go to a small real HTTP receiver, and every delivery's
`X-Onfleet-Signature` is recomputed here from the raw body and the hex-decoded secret."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from doorstep.clock import VirtualClock
from doorstep.sim.fakes.onfleet import FakeOnfleet, OnfleetError

T0 = datetime(2026, 7, 14, 8, 0, tzinfo=UTC)
T0_MS = int(T0.timestamp() * 1000)
ID = re.compile(r"^[A-Za-z0-9~*]{24}$")  # §3
SHORT_ID = re.compile(r"^[a-z0-9]{8}$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
ADDRESS = {"number": "10", "street": "Example Street", "apartment": "Flat 2", "city": "London",
           "state": "England", "postalCode": "SW1A 1AA", "country": "United Kingdom"}
RECIPIENT_PHONE = "+447400123123"
DRIVER_PHONE = "+447400123001"


# ---- a webhook receiver: a real HTTP server in a thread ------------------------------------


class Receiver:
    """Answers the §4.1 check as `check_mode` says (echo, wrong, 204) and records every POST with
    its raw body, answering `post_status`."""

    def __init__(self, check_mode: str = "echo", post_status: int = 200) -> None:
        self.check_mode, self.post_status = check_mode, post_status
        self.checks: list[str] = []
        self.posts: list[tuple[dict[str, str], bytes]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                check = parse_qs(urlsplit(self.path).query).get("check", [""])[0]
                with receiver.lock:
                    receiver.checks.append(check)
                if receiver.check_mode == "204":
                    self._answer(204, b"")
                else:
                    text = check if receiver.check_mode == "echo" else "ok"
                    self._answer(200, text.encode())

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.posts.append(({k.lower(): v for k, v in self.headers.items()}, raw))
                self._answer(receiver.post_status, b"")

            def _answer(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                if status != 204:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/onfleet"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                       daemon=True)
        self.thread.start()

    def payloads(self, secret: str) -> list[dict[str, Any]]:
        """Every POST body, after checking its signature as the contract's §4.2 snippet does."""
        out = []
        with self.lock:
            posts = list(self.posts)
        for headers, raw in posts:
            expected = hmac.new(bytes.fromhex(secret), raw, hashlib.sha512).hexdigest()
            assert hmac.compare_digest(expected, headers["x-onfleet-signature"].lower())
            assert headers["content-type"] == "application/json"
            out.append(json.loads(raw))
        return out

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(T0)


@pytest.fixture
def fake(clock: VirtualClock) -> Iterator[FakeOnfleet]:
    with FakeOnfleet(clock=clock, seed=7) as f:
        yield f


@pytest.fixture
def api(fake: FakeOnfleet, clock: VirtualClock) -> Iterator[httpx.Client]:
    """A client as a connector would hold it (`curl -u "<key>:"`), paced at 20 requests/s on
    the virtual clock so that only the rate-limit test meets the limit."""
    def pace(request: httpx.Request) -> None:
        clock.advance(timedelta(milliseconds=50))

    with httpx.Client(base_url=fake.base_url, auth=(fake.api_key, ""), timeout=5,
                      trust_env=False, event_hooks={"request": [pace]}) as client:
        yield client


def assert_error(r: httpx.Response, status: int, code: str, error: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["code"] == code and body["message"]["error"] == error, body
    assert UUID.match(body["message"]["request"]) and body["message"]["message"]
    return dict(body)


def team_and_driver(api: httpx.Client) -> tuple[str, str]:
    team = api.post("/teams", json={"name": "North", "workers": [], "managers": []}).json()
    worker = api.post("/workers", json={"name": "Ana Driver", "phone": DRIVER_PHONE,
                                        "teams": [team["id"]],
                                        "vehicle": {"type": "CAR", "licensePlate": "AB12 CDE"}})
    assert worker.status_code == 200, worker.text
    return team["id"], worker.json()["id"]


def task_body(**extra: Any) -> dict[str, Any]:
    return {"destination": {"address": ADDRESS, "location": [-0.1276, 51.5072]},
            "recipients": [{"name": "Ana Lima", "phone": RECIPIENT_PHONE,
                            "skipSMSNotifications": True}],
            "recipientSkipSMSNotifications": True,
            "completeAfter": T0_MS + 3_600_000, "completeBefore": T0_MS + 7_200_000,
            "notes": "Ring twice",
            "metadata": [{"name": "orderRef", "type": "string", "value": "SO-10042"}], **extra}


# ---- auth, organization ----------------------------------------------------------------------


def test_auth_refusals_use_the_documented_envelope(fake: FakeOnfleet) -> None:
    url = fake.base_url + "/auth/test"
    with httpx.Client(trust_env=False, timeout=5) as http:
        wrong = http.get(url, auth=("not-the-key", ""))
        body = assert_error(wrong, 401, "InvalidCredentials", 1102)
        assert body["message"]["message"] == "The API key provided is invalid."
        assert_error(http.get(url), 401, "InvalidCredentials", 1100)
        assert_error(http.get(url, headers={"Authorization": "Bearer " + fake.api_key}), 401,
                     "InvalidCredentials", 1100)
        # §1: node-onfleet sends base64("<key>") without the colon, and it works
        bare = base64.b64encode(fake.api_key.encode()).decode()
        ok = http.get(url, headers={"Authorization": f"Basic {bare}"})
        assert ok.status_code == 200
        assert ok.json()["message"].startswith(f"Hello organization '{fake.org.org['id']}'")
    assert [(r.path, r.status) for r in fake.requests] == [
        ("/auth/test", 401), ("/auth/test", 401), ("/auth/test", 401), ("/auth/test", 200)]


def test_organization(api: httpx.Client) -> None:
    org = api.get("/organization").json()
    assert ID.match(org["id"]) and org["country"] == "GB" and org["delegatees"] == []
    assert org["timeCreated"] == T0_MS and org["image"] is None
    assert_error(api.get("/organizations/" + "x" * 24), 404, "ResourceNotFound", 1003)


# ---- teams, workers, hubs, recipients ---------------------------------------------------------


def test_teams_workers_and_duty(fake: FakeOnfleet, api: httpx.Client, receiver: Receiver) -> None:
    team_id, worker_id = team_and_driver(api)
    assert_error(api.post("/teams", json={"name": "North", "workers": [], "managers": []}),
                 400, "InvalidArgument", 1901)
    worker = api.get(f"/workers/{worker_id}").json()
    assert ID.match(worker_id) and worker["phone"] == DRIVER_PHONE and worker["onDuty"] is False
    assert worker["teams"] == [team_id] and worker["vehicle"]["type"] == "CAR"
    assert worker["activeTask"] is None and worker["displayName"] is None
    assert api.get(f"/teams/{team_id}").json()["workers"] == [worker_id]
    assert api.get(f"/workers/{worker_id}", params={"filter": "id,onDuty"}).json() == {
        "id": worker_id, "onDuty": False}
    assert_error(api.post("/workers", json={"name": "B", "phone": "+447400123002",
                                            "teams": []}), 400, "InvalidContent", 1000)
    assert_error(api.post("/workers", json={"name": "B", "phone": "12",
                                            "teams": [team_id]}), 400, "InvalidContent", 1010)
    updated = api.put(f"/workers/{worker_id}", json={"displayName": "Ana",
                                                     "vehicle": {"type": "BICYCLE"}})
    assert updated.json()["displayName"] == "Ana" and updated.json()["vehicle"]["type"] == \
        "BICYCLE"
    assert_error(api.put(f"/workers/{worker_id}", json={"onDuty": True}), 400,
                 "InvalidContent", 1000)

    hook = api.post("/webhooks", json={"url": receiver.url, "name": "duty", "trigger": 5})
    assert hook.status_code == 200, hook.text
    assert api.get("/workers", params={"states": "1"}).json() == []
    fake.set_duty(worker_id, True)
    assert [w["id"] for w in api.get("/workers", params={"states": "1"}).json()] == [worker_id]
    assert [w["id"] for w in api.get("/workers", params={"phones": "07400 123001"}).json()] == [
        worker_id]
    fake.set_duty(worker_id, False)
    assert [d.trigger_name for d in fake.deliver()] == ["workerDuty", "workerDuty"]
    duty = receiver.payloads(fake.webhook_secret)
    assert [(p["triggerId"], p["status"], p["workerId"]) for p in duty] == [
        (5, 1, worker_id), (5, 0, worker_id)]
    assert duty[0]["data"]["worker"]["onDuty"] is True and duty[0]["taskId"] is None
    assert duty[0]["actionContext"] == {"type": "WORKER", "id": worker_id}


def test_hubs(api: httpx.Client) -> None:
    team_id, _ = team_and_driver(api)
    hub = api.post("/hubs", json={"name": "Depot", "address": ADDRESS, "teams": [team_id]})
    assert hub.status_code == 200 and hub.json()["teams"] == [team_id]
    assert len(hub.json()["location"]) == 2
    assert api.get("/hubs").json() == [hub.json()]
    renamed = api.put(f"/hubs/{hub.json()['id']}", json={"name": "Depot 2"}).json()
    assert renamed["name"] == "Depot 2"


def test_recipients_are_keyed_by_phone(api: httpx.Client) -> None:
    created = api.post("/recipients", json={"name": "Jony Chives", "phone": "07400 123123",
                                            "skipSMSNotifications": True})
    recipient = created.json()
    assert created.status_code == 200 and recipient["phone"] == RECIPIENT_PHONE
    assert recipient["skipSMSNotifications"] is True and recipient["notes"] == ""
    again = api.post("/recipients", json={"name": "Jony C", "phone": RECIPIENT_PHONE,
                                          "notes": "Side door"}).json()
    assert again["id"] == recipient["id"] and again["name"] == "Jony C"  # §7.3 overwrite
    assert api.get("/recipients/name/jony%20c").json()["id"] == recipient["id"]
    assert api.get(f"/recipients/phone/{RECIPIENT_PHONE}").json()["notes"] == "Side door"
    assert_error(api.get("/recipients/name/nobody"), 404, "ResourceNotFound", 1003)
    put = api.put(f"/recipients/{recipient['id']}", json={"skipSMSNotifications": False})
    assert put.json()["skipSMSNotifications"] is False
    assert_error(api.put(f"/recipients/{recipient['id']}", json={"phone": "+447400123999"}),
                 400, "InvalidContent", 1000)
    assert_error(api.post("/recipients", json={"name": "X", "phone": "0123"}), 400,
                 "InvalidContent", 1010)
    assert_error(api.post("/recipients", json={"name": "X", "phone": "447700900555",
                                               "skipPhoneNumberValidation": True}),
                 400, "InvalidContent", 1010)


# ---- tasks -----------------------------------------------------------------------------------


def test_task_create_read_update_delete(fake: FakeOnfleet, api: httpx.Client) -> None:
    created = api.post("/tasks", json=task_body())
    assert created.status_code == 200, created.text
    task = created.json()
    assert ID.match(task["id"]) and SHORT_ID.match(task["shortId"])
    assert task["trackingURL"] == f"https://onf.lt/{task['shortId']}"
    assert task["state"] == 0 and task["worker"] is None and task["delayTime"] is None
    assert task["container"] == {"type": "ORGANIZATION", "organization": fake.org.org["id"]}
    assert task["timeCreated"] == int(fake.clock.now().timestamp() * 1000)
    assert task["recipients"][0]["phone"] == RECIPIENT_PHONE
    assert task["recipients"][0]["skipSMSNotifications"] is True
    assert task["overrides"] == {"recipientSkipSMSNotifications": True}
    assert task["destination"]["location"] == [-0.1276, 51.5072]
    assert task["metadata"][0]["visibility"] == ["api"]
    assert api.get(f"/tasks/{task['id']}").json() == task
    assert api.get(f"/tasks/shortId/{task['shortId']}").json()["id"] == task["id"]

    assert_error(api.put(f"/tasks/{task['id']}", json={"notes": "Gate", "completeAfter": "9"}),
                 400, "InvalidContent", 1005)
    assert api.get(f"/tasks/{task['id']}").json()["notes"] == "Ring twice"
    put = api.put(f"/tasks/{task['id']}", json={"notes": "Gate code 1234"})
    assert put.json()["notes"] == "Gate code 1234"
    assert put.json()["timeLastModified"] > task["timeLastModified"]
    assert_error(api.put(f"/tasks/{task['id']}", json={"destination": {"address": ADDRESS}}),
                 400, "InvalidContent", 1000)
    deleted = api.delete(f"/tasks/{task['id']}")
    assert deleted.status_code == 200 and deleted.content == b""
    assert_error(api.get(f"/tasks/{task['id']}"), 404, "ResourceNotFound", 1003)


REFUSALS: list[tuple[dict[str, Any], int, str, int]] = [
    ({"completeAfter": T0_MS + 5, "completeBefore": T0_MS}, 400, "InvalidContent", 1009),
    ({"completeAfter": "soon"}, 400, "InvalidContent", 1005),
    ({"notes": "x" * 10_001}, 400, "InvalidContent", 1000),
    ({"destination": None}, 400, "InvalidContent", 1000),
    ({"destination": {"address": {"unparsed": "nowhere"}}}, 400, "InvalidContent", 1011),
    ({"recipients": [{"name": "A", "phone": "+447400123300"},
                     {"name": "B", "phone": "+447400123301"}]}, 400, "InvalidContent", 1000),
    ({"metadata": [{"name": "n", "type": "number", "value": "3827.4"}]}, 400,
     "InvalidContent", 1005),
    ({"container": {"type": "WORKER", "worker": "y" * 24}}, 404, "ResourceNotFound", 1003),
    ({"container": {"type": "TEAM", "team": "y" * 24}, "autoAssign": {"mode": "load"}}, 400,
     "InvalidContent", 1001),
]


def test_task_create_refusals(fake: FakeOnfleet, api: httpx.Client) -> None:
    for body, status, code, error in REFUSALS:
        assert_error(api.post("/tasks", json=task_body(**body)), status, code, error)
    assert api.get("/tasks/all", params={"from": 0}).json() == {"tasks": []}
    # nothing half-written: the embedded recipient and destination went with the task
    assert_error(api.get(f"/recipients/phone/{RECIPIENT_PHONE}"), 404, "ResourceNotFound", 1003)
    assert fake.org.destinations == {}


def test_bad_json_is_refused(api: httpx.Client) -> None:
    r = api.post("/tasks", content=b"{not json", headers={"Content-Type": "application/json"})
    assert_error(r, 400, "InvalidContent", 1000)
    assert_error(api.post("/tasks", json=[1]), 400, "InvalidContent", 1000)


def test_task_state_rules_and_force_complete(fake: FakeOnfleet, api: httpx.Client) -> None:
    _, worker_id = team_and_driver(api)
    task = api.post("/tasks", json=task_body(
        container={"type": "WORKER", "worker": worker_id})).json()
    assert task["state"] == 1 and task["worker"] == worker_id
    assert api.get(f"/workers/{worker_id}").json()["tasks"] == [task["id"]]
    # §5.4: force-complete only an active task
    assert_error(api.post(f"/tasks/{task['id']}/complete",
                          json={"completionDetails": {"success": True}}),
                 400, "InvalidContent", 1000)
    with pytest.raises(OnfleetError, match="off duty"):
        fake.start_task(task["id"])
    fake.start_route(worker_id)
    active = api.get(f"/tasks/{task['id']}").json()
    assert active["state"] == 2
    assert api.get(f"/workers/{worker_id}").json()["activeTask"] == task["id"]
    assert_error(api.put(f"/tasks/{task['id']}", json={"completeBefore": T0_MS + 9_000_000}),
                 400, "InvalidContent", 1000)
    assert api.put(f"/tasks/{task['id']}", json={"notes": "ok"}).status_code == 200
    assert_error(api.delete(f"/tasks/{task['id']}"), 400, "InvalidContent", 1000)
    done = api.post(f"/tasks/{task['id']}/complete",
                    json={"completionDetails": {"success": False, "notes": "closed"}})
    assert done.status_code == 200 and done.content == b""
    completed = api.get(f"/tasks/{task['id']}").json()
    assert completed["state"] == 3 and completed["completionDetails"]["success"] is False
    assert completed["completionDetails"]["notes"] == "closed"
    assert_error(api.put(f"/tasks/{task['id']}", json={"notes": "late"}), 400,
                 "InvalidContent", 1000)
    meta = [{"name": "audited", "type": "boolean", "value": True}]
    assert api.put(f"/tasks/{task['id']}", json={"metadata": meta}).json()["metadata"][0][
        "value"] is True


def test_list_tasks_pages_of_64_until_lastid_is_absent(fake: FakeOnfleet, api: httpx.Client,
                                                       clock: VirtualClock) -> None:
    created = []
    for i in range(130):
        created.append(fake.add_task(notes=f"stop {i}"))
        clock.advance(timedelta(seconds=1))
    assert_error(api.get("/tasks/all"), 400, "InvalidContent", 1000)
    seen: list[str] = []
    pages = []
    params: dict[str, Any] = {"from": T0_MS}
    while True:
        page = api.get("/tasks/all", params=params).json()
        pages.append(len(page["tasks"]))
        seen.extend(t["id"] for t in page["tasks"])
        if "lastId" not in page:
            break
        assert page["lastId"] == page["tasks"][-1]["id"]
        params = {"from": T0_MS, "lastId": page["lastId"]}
    assert pages == [64, 64, 2] and seen == created
    window = api.get("/tasks/all", params={"from": T0_MS + 10_000, "to": T0_MS + 12_000})
    assert [t["notes"] for t in window.json()["tasks"]] == ["stop 10", "stop 11", "stop 12"]
    assert api.get("/tasks/all", params={"from": T0_MS, "state": "1,2,3"}).json() == {
        "tasks": []}


# ---- rate limit, faults, request log ----------------------------------------------------------


def test_rate_limit_429_then_success_after_the_window(fake: FakeOnfleet,
                                                      clock: VirtualClock) -> None:
    other_key = fake.add_api_key()
    with httpx.Client(base_url=fake.base_url, trust_env=False, timeout=5) as http:
        remaining = []
        for i in range(20):  # §1: both keys share the organization's 20/s
            r = http.get("/auth/test", auth=(fake.api_key if i % 2 else other_key, ""))
            assert r.status_code == 200 and r.headers["X-RateLimit-Limit"] == "20"
            remaining.append(int(r.headers["X-RateLimit-Remaining"]))
        assert remaining == list(range(19, -1, -1))
        refused = http.get("/organization", auth=(fake.api_key, ""))
        assert_error(refused, 429, "TooManyRequests", 2300)
        assert refused.headers["X-RateLimit-Limit"] == "20"
        assert refused.headers["X-RateLimit-Remaining"] == "0"
        clock.advance(timedelta(milliseconds=500))  # half the window: 10 tokens back
        ok = http.get("/organization", auth=(fake.api_key, ""))
        assert ok.status_code == 200 and ok.headers["X-RateLimit-Remaining"] == "9"
        fake.exhaust_rate_limit()
        assert http.get("/organization", auth=(fake.api_key, "")).status_code == 429
        clock.advance(timedelta(seconds=1))
        assert http.get("/organization", auth=(fake.api_key, "")).status_code == 200


def test_fault_injection(fake: FakeOnfleet, api: httpx.Client) -> None:
    fake.fail_next(412, route="POST /tasks")
    assert_error(api.post("/tasks", json=task_body()), 412, "PreconditionFailed", 2218)
    assert api.get("/tasks/all", params={"from": 0}).json() == {"tasks": []}  # not created
    task = api.post("/tasks", json=task_body()).json()
    fake.fail_next(502, route="PUT /tasks", applied=True)
    assert_error(api.put(f"/tasks/{task['id']}", json={"notes": "changed"}), 502,
                 "InternalServerError", 2500)
    assert api.get(f"/tasks/{task['id']}").json()["notes"] == "changed"  # it happened anyway
    fake.fail_next(500, times=2)
    assert [api.get("/organization").status_code for _ in range(3)] == [500, 500, 200]


def test_every_request_is_recorded_as_sent(fake: FakeOnfleet, api: httpx.Client) -> None:
    body = task_body()
    api.post("/tasks", json=body)
    api.get("/tasks/all", params={"from": "0", "state": "0"})
    first, second = fake.requests
    assert (first.method, first.path, first.body, first.status) == ("POST", "/tasks", body, 200)
    assert first.headers["authorization"] == "Basic " + base64.b64encode(
        f"{fake.api_key}:".encode()).decode()
    assert (second.method, second.path, second.query) == (
        "GET", "/tasks/all", {"from": "0", "state": "0"})


# ---- webhooks --------------------------------------------------------------------------------


def test_webhook_registration_needs_the_check_echoed(fake: FakeOnfleet, api: httpx.Client,
                                                     receiver: Receiver) -> None:
    created = api.post("/webhooks", json={"url": receiver.url, "name": "created",
                                          "trigger": 6})
    assert created.status_code == 200, created.text
    hook = created.json()
    assert ID.match(hook["id"]) and hook["count"] == 0 and hook["trigger"] == 6
    assert hook["url"] == receiver.url
    api.post("/webhooks", json={"url": receiver.url, "name": "again", "trigger": 6})
    assert len(receiver.checks) == 2 and receiver.checks[0] != receiver.checks[1]
    listed = api.get("/webhooks").json()
    assert [(h["name"], h["isEnabled"]) for h in listed] == [("created", True), ("again", True)]

    for mode in ("wrong", "204"):
        liar = Receiver(check_mode=mode)
        try:
            refused = api.post("/webhooks", json={"url": liar.url, "name": "x", "trigger": 3})
            body = assert_error(refused, 400, "InvalidContent", 1008)
            assert body["message"]["message"] == ("The webhook URL provided did not pass our "
                                                  "validation test.")
            assert len(liar.checks) == 1
        finally:
            liar.close()
    gone = "http://127.0.0.1:9/webhooks/onfleet"
    assert_error(api.post("/webhooks", json={"url": gone, "name": "x", "trigger": 3}), 400,
                 "InvalidContent", 1008)
    assert_error(api.post("/webhooks", json={"url": receiver.url, "name": "x", "trigger": 11}),
                 400, "InvalidContent", 1000)
    assert len(api.get("/webhooks").json()) == 2
    deleted = api.delete(f"/webhooks/{hook['id']}")
    assert deleted.status_code == 200 and deleted.content == b""
    assert [h["name"] for h in api.get("/webhooks").json()] == ["again"]


def test_signed_deliveries_for_a_day_of_tasks(fake: FakeOnfleet, api: httpx.Client,
                                              receiver: Receiver) -> None:
    for trigger in (6, 9, 0, 3, 4, 7, 8):
        assert api.post("/webhooks", json={"url": receiver.url, "name": f"t{trigger}",
                                           "trigger": trigger}).status_code == 200
    _, driver = team_and_driver(api)
    delivered = api.post("/tasks", json=task_body()).json()["id"]
    failed = fake.add_task(recipient=("Bo Chen", "+447400123124"), worker=driver)
    dropped = api.post("/tasks", json=task_body(notes="cancelled")).json()["id"]
    fake.assign(delivered, driver)
    fake.set_duty(driver, True, location=[-0.1276, 51.5072])
    fake.start_task(failed)
    fake.fail_task(failed, reason="NOBODY_HOME", notes="Nobody home, card left")
    fake.start_task(delivered)
    fake.complete_task(delivered, notes="Left with concierge", signature="A. Lima")
    assert api.delete(f"/tasks/{dropped}").status_code == 200
    deliveries = fake.deliver()
    assert all(d.ok for d in deliveries) and fake.deliver() == []

    payloads = receiver.payloads(fake.webhook_secret)
    assert [(p["triggerName"], p["taskId"]) for p in payloads] == [
        ("taskCreated", delivered), ("taskCreated", failed), ("taskCreated", dropped),
        ("taskAssigned", delivered), ("taskStarted", failed), ("taskFailed", failed),
        ("taskUpdated", failed), ("taskStarted", delivered), ("taskCompleted", delivered),
        ("taskUpdated", delivered), ("taskDeleted", dropped)]
    ids = {"taskStarted": 0, "taskCompleted": 3, "taskFailed": 4, "taskCreated": 6,
           "taskUpdated": 7, "taskDeleted": 8, "taskAssigned": 9}
    for p in payloads:
        assert p["triggerId"] == ids[p["triggerName"]] and p["data"]["task"]["id"] == p["taskId"]
        assert set(p) >= {"time", "workerId", "adminId", "actionContext", "data"}
    assert payloads[1]["workerId"] == driver  # created already assigned: no taskAssigned
    assert payloads[3]["data"]["task"]["state"] == 1 and payloads[3]["workerId"] == driver
    fail = payloads[5]
    assert fail["actionContext"] == {"type": "WORKER", "id": driver} and fail["adminId"] is None
    details = fail["data"]["task"]["completionDetails"]
    assert details["success"] is False and details["failureReason"] == "NOBODY_HOME"
    assert details["failureNotes"] == "Nobody home, card left" and details["photoUploadIds"]
    done = payloads[8]["data"]["task"]
    assert done["state"] == 3 and done["completionDetails"]["success"] is True
    assert done["completionDetails"]["failureReason"] == "NONE"
    assert done["completionDetails"]["signatureText"] == "A. Lima"
    assert [e["name"] for e in done["completionDetails"]["events"]] == ["start", "arrival"]
    assert done["recipients"][0]["skipSMSNotifications"] is True
    assert payloads[0]["actionContext"]["type"] == "ADMIN" and payloads[0]["adminId"]
    assert [h["count"] for h in api.get("/webhooks").json()] == [3, 1, 2, 1, 1, 2, 1]


def test_failed_deliveries_are_retried_then_the_webhook_is_disabled(
        clock: VirtualClock, receiver: Receiver) -> None:
    receiver.post_status = 204  # §4.2: anything but 200 is a failure
    with FakeOnfleet(clock=clock, seed=3, disable_after=3) as fake:
        hook = fake.register_webhook({"url": receiver.url, "name": "c", "trigger": 6})
        fake.add_task()
        assert [d.status_code for d in fake.deliver()] == [204]
        assert fake.deliver() == []  # the retry waits its 30 minutes
        assert [d.status_code for d in fake.advance(timedelta(minutes=30))] == [204]
        receiver.post_status = 200
        fake.add_task()
        assert [d.ok for d in fake.deliver()] == [True]
        assert [d.ok for d in fake.advance(timedelta(minutes=30))] == [True]  # the retry
        receiver.post_status = 500
        for _ in range(3):
            fake.add_task()
        assert len(fake.deliver()) == 3
        assert fake.webhook(hook["id"])["isEnabled"] is False
        fake.add_task()
        assert fake.advance(timedelta(hours=1)) == []
    assert len(receiver.posts) == 7


def test_threshold_triggers_fire_once_within_their_threshold(
        fake: FakeOnfleet, api: httpx.Client, receiver: Receiver) -> None:
    api.post("/webhooks", json={"url": receiver.url, "name": "eta", "trigger": 1,
                                "threshold": 300})
    api.post("/webhooks", json={"url": receiver.url, "name": "near", "trigger": 2,
                                "threshold": 150})
    task = fake.add_task()
    assert fake.report(task, eta_seconds=600, distance=400) == 0
    assert fake.report(task, eta_seconds=240) == 1
    assert fake.report(task, eta_seconds=60, distance=100) == 1  # taskEta already fired
    fake.deliver()
    payloads = receiver.payloads(fake.webhook_secret)
    assert [(p["triggerName"], p.get("etaSeconds"), p.get("distance")) for p in payloads] == [
        ("taskEta", 240, None), ("taskArrival", None, 100)]


def test_step_drives_routes_deterministically(fake: FakeOnfleet) -> None:
    team = fake.add_team("South")
    driver = fake.add_worker("Cy", "+447400123009", [team], on_duty=True)
    tasks = [fake.add_task(worker=driver) for _ in range(3)]
    for _ in range(6):
        fake.step(success_rate=1.0)
    assert [fake.task(t)["state"] for t in tasks] == [3, 3, 3]
    assert all(fake.task(t)["completionDetails"]["success"] for t in tasks)
    assert fake.worker(driver)["activeTask"] is None

