"""The fake Circuit for Teams / Spoke Dispatch server over real HTTP (contracts/circuit.md §12).

Requests are made with httpx as the contract shows them (Basic `key:` or Bearer, JSON bodies);
webhooks go to a small real HTTP receiver and every `spoke-signature` is recomputed here over
the raw bytes received.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from doorstep.clock import VirtualClock
from doorstep.sim.fakes.circuit import FakeCircuit

T0 = datetime(2026, 7, 14, 5, 0, tzinfo=UTC)
DAY = {"day": 14, "month": 7, "year": 2026}
ID = re.compile(r"^[A-Za-z0-9_-]{1,50}$")
WAIT = 5.0


class Receiver:
    """Records every POST (path, headers, raw body); answers `status` (200 by default)."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict[str, str], bytes]] = []
        self.status = 200
        self.changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.changed:
                    receiver.posts.append((self.path, {k.lower(): v for k, v in
                                                       self.headers.items()}, raw))
                    receiver.changed.notify_all()
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/circuit"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                       daemon=True)

    def events(self) -> list[dict[str, Any]]:
        with self.changed:
            return [json.loads(raw) for _, _, raw in self.posts]

    def types(self) -> list[str]:
        return [e["type"] for e in self.events()]


@pytest.fixture(scope="module")
def shared_receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.thread.start()
    try:
        yield r
    finally:
        r.server.shutdown()
        r.server.server_close()


@pytest.fixture
def receiver(shared_receiver: Receiver) -> Receiver:
    with shared_receiver.changed:
        shared_receiver.posts.clear()
        shared_receiver.status = 200
    return shared_receiver


@pytest.fixture(scope="module")
def server() -> Iterator[FakeCircuit]:
    """One server for the module (starting and stopping one costs ~0.2 s); `reset()` gives
    each test a new team."""
    with FakeCircuit() as f:
        yield f


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(T0)


@pytest.fixture
def fake(server: FakeCircuit, clock: VirtualClock, receiver: Receiver) -> FakeCircuit:
    server.reset(seed=3, clock=clock, rate_limits=False, webhook_url=receiver.url)
    return server


def api(fake: FakeCircuit) -> httpx.Client:
    """§2: Basic auth with the key as user name and an empty password."""
    return httpx.Client(base_url=fake.api_url, auth=(fake.api_key, ""), timeout=WAIT,
                        trust_env=False)


@pytest.fixture
def client(fake: FakeCircuit) -> Iterator[httpx.Client]:
    with api(fake) as c:
        yield c


def bare(full_id: str) -> str:
    return full_id.rsplit("/", 1)[1]


def new_plan(client: httpx.Client, drivers: list[str], title: str = "Tue routes") -> str:
    r = client.post("/plans", json={"title": title, "starts": DAY, "drivers": drivers})
    assert r.status_code == 200, r.text
    return bare(r.json()["id"])


def import_stops(client: httpx.Client, plan: str, n: int, prefix: str = "DLV") -> list[str]:
    r = client.post(f"/plans/{plan}/stops:import", json=[
        {"address": {"addressLineOne": f"{i} Elm St", "city": "Springfield", "state": "IL",
                     "zip": "62701", "country": "US"},
         "recipient": {"name": f"R{i}", "phone": "+12175550100", "externalId": f"{prefix}-{i}"}}
        for i in range(n)])
    assert r.status_code == 200, r.text
    assert r.json()["failed"] == []
    return list(r.json()["success"])


def optimized(fake: FakeCircuit, client: httpx.Client, stops: int = 3,
              drivers: int = 1) -> tuple[str, list[str]]:
    ids = [fake.add_driver(f"Driver {i}", phone=f"+1217555020{i}") for i in range(drivers)]
    plan = new_plan(client, ids)
    import_stops(client, plan, stops)
    assert client.post(f"/plans/{plan}:optimize").status_code == 200
    fake.finish_operations()
    return plan, ids


def signed_ok(secret: str, headers: dict[str, str], raw: bytes) -> bool:
    expected = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers.get("spoke-signature", ""))


# ---- auth, content type, ids (§1-§4) ----------------------------------------------------------


def test_both_documented_auth_schemes_are_accepted(fake: FakeCircuit) -> None:
    basic = httpx.get(f"{fake.api_url}/plans", auth=(fake.api_key, ""), trust_env=False)
    bearer = httpx.get(f"{fake.api_url}/plans", trust_env=False,
                       headers={"Authorization": f"Bearer {fake.api_key}"})
    assert (basic.status_code, bearer.status_code) == (200, 200)
    assert basic.json() == {"plans": [], "nextPageToken": None}


@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Bearer wrong-key"}, {"Authorization": "Basic d3Jvbmc6"},
    {"Authorization": "Basic not-base64!"}, {"Authorization": "Token abc"},
])
def test_a_missing_or_wrong_key_is_401_with_the_envelope(fake: FakeCircuit,
                                                        headers: dict[str, str]) -> None:
    r = httpx.get(f"{fake.api_url}/plans", headers=headers, trust_env=False)
    assert r.status_code == 401
    assert isinstance(r.json()["message"], str) and r.json()["message"]
    assert set(r.json()) <= {"message", "code", "param", "url"}


def test_a_body_must_be_json_and_well_formed(client: httpx.Client) -> None:
    r = client.post("/plans", content=b'{"title": "x"}', headers={"Content-Type": "text/plain"})
    assert r.status_code == 400 and "Content-Type" in r.json()["message"]
    r = client.post("/plans", content=b'{"title": ', headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["message"]


def test_a_malformed_path_id_is_400_and_an_unknown_one_404(client: httpx.Client) -> None:
    assert client.get("/plans/bad.id!").status_code == 400
    assert client.get(f"/plans/{'x' * 51}").status_code == 400
    r = client.get("/plans/NoSuchPlan")
    assert (r.status_code, r.json()["message"]) == (404, "Plan not found")
    assert client.get("/operations/Nope").json()["code"] == "operation_not_found"


# ---- plans (§7.1, §8.2) ------------------------------------------------------------------------


def test_plan_create_get_update_delete(fake: FakeCircuit, client: httpx.Client) -> None:
    dana, eli = fake.add_driver("Dana"), fake.add_driver("Eli")
    r = client.post("/plans", json={"title": "Tue routes", "starts": DAY, "drivers": [dana]})
    plan = r.json()
    assert plan["id"].startswith("plans/") and ID.match(bare(plan["id"]))
    assert (plan["writable"], plan["distributed"], plan["routes"]) == (True, False, [])
    assert plan["depot"] == fake.main_depot and plan["drivers"] == [dana]
    pid = bare(plan["id"])
    assert client.get(f"/plans/{pid}").json() == plan
    r = client.patch(f"/plans/{pid}", json={"drivers": [eli]})  # §6: the array is replaced
    assert r.json()["drivers"] == [eli] and r.json()["title"] == "Tue routes"
    assert client.delete(f"/plans/{pid}").status_code == 204
    assert client.get(f"/plans/{pid}").status_code == 404


@pytest.mark.parametrize(("body", "param"), [
    ({"starts": DAY}, "title"),
    ({"title": "x"}, "starts"),
    ({"title": "", "starts": DAY}, "title"),
    ({"title": "x", "starts": {"day": 31, "month": 2, "year": 2026}}, "starts"),
    ({"title": "x", "starts": DAY, "drivers": ["D1"]}, "drivers"),
    ({"title": "x", "starts": DAY, "colour": "red"}, "colour"),
])
def test_plan_create_refusals(client: httpx.Client, body: dict[str, Any], param: str) -> None:
    r = client.post("/plans", json=body)
    assert (r.status_code, r.json().get("param")) == (400, param)


def test_a_driver_of_another_depot_cannot_join_a_plan(fake: FakeCircuit,
                                                      client: httpx.Client) -> None:
    north = fake.add_depot("North")
    outsider = fake.add_driver("Olga", depots=[north])
    r = client.post("/plans", json={"title": "x", "starts": DAY, "drivers": [outsider]})
    assert (r.status_code, r.json()["message"]) == (412, "Driver does not share depot with plan")
    r = client.post("/plans", json={"title": "x", "starts": DAY, "drivers": ["drivers/Ghost"]})
    assert r.status_code == 404


def test_plan_list_filters(client: httpx.Client) -> None:
    for title, day in (("A", 13), ("B", 14), ("C", 15)):
        client.post("/plans", json={"title": title, "starts": {**DAY, "day": day}})
    def titles(query: dict[str, str]) -> list[str]:
        return [p["title"] for p in client.get("/plans", params=query).json()["plans"]]

    assert titles({"filter.startsGte": "2026-07-14"}) == ["B", "C"]
    assert titles({"filter[startsLte]": "2026-07-14"}) == ["A", "B"]  # §6: both spellings
    assert titles({"filter.title": "C"}) == ["C"]
    assert client.get("/plans", params={"filter.startsGte": "14/07/2026"}).status_code == 400


# ---- stops of a plan (§7.2, §8.3) ---------------------------------------------------------------


def test_stop_create_get_update_delete(fake: FakeCircuit, client: httpx.Client) -> None:
    dana = fake.add_driver("Dana")
    plan = new_plan(client, [dana])
    r = client.post(f"/plans/{plan}/stops", json={
        "address": {"addressLineOne": "12 Elm St", "city": "Springfield", "zip": "62701"},
        "recipient": {"name": "Ana Ruiz", "phone": "+12175550100", "externalId": "DLV-1001"},
        "timing": {"earliestAttemptTime": {"hour": 9, "minute": 0},
                   "latestAttemptTime": {"hour": 12, "minute": 0}},
        "allowedDrivers": [dana], "notes": "Side door", "packageCount": 2})
    assert r.status_code == 200, r.text
    stop = r.json()
    assert re.match(rf"^plans/{plan}/stops/[A-Za-z0-9]+$", stop["id"])
    assert stop["plan"] == f"plans/{plan}" and stop["activity"] == "delivery"
    assert stop["address"]["addressLineOne"] == "12 Elm St"
    assert isinstance(stop["address"]["latitude"], float)
    assert stop["eta"] == {"status": "pending", "pendingReason": "not_optimized"}
    assert (stop["route"], stop["deliveryInfo"], stop["stopPosition"]) == (None, None, None)
    path = f"/plans/{plan}/stops/{bare(stop['id'])}"
    assert client.get(path).json() == stop
    r = client.patch(path, json={"notes": "Back door"})
    assert r.json()["notes"] == "Back door" and r.json()["packageCount"] == 2
    assert client.patch(path, json={"address": {"addressLineOne": "1 Oak"}}).status_code == 400
    assert client.delete(path).status_code == 204
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("body", [
    {}, {"address": {}}, {"address": {"latitude": 39.7}},
    {"address": {"addressLineOne": "x"}, "notes": "n" * 2001},
    {"address": {"addressLineOne": "x"}, "packageCount": 0},
    {"address": {"addressLineOne": "x"}, "activity": "dropoff"},
    {"address": {"addressLineOne": "x"}, "driver": "drivers/D1"},  # v0.2b field
])
def test_stop_create_refusals(fake: FakeCircuit, client: httpx.Client,
                              body: dict[str, Any]) -> None:
    plan = new_plan(client, [])
    r = client.post(f"/plans/{plan}/stops", json=body)
    assert r.status_code == 400 and r.json()["message"]


def test_allowed_drivers_must_be_on_the_plan(fake: FakeCircuit, client: httpx.Client) -> None:
    plan = new_plan(client, [])
    r = client.post(f"/plans/{plan}/stops", json={
        "address": {"addressLineOne": "x"}, "allowedDrivers": [fake.add_driver("Eli")]})
    assert (r.status_code, r.json()["message"]) == (412, "Driver is not linked to plan")


def test_import_is_partial_never_all_or_nothing(client: httpx.Client) -> None:
    plan = new_plan(client, [])
    r = client.post(f"/plans/{plan}/stops:import", json=[
        {"address": {"addressLineOne": "1 Elm St"}, "recipient": {"externalId": "A"}},
        {"recipient": {"externalId": "B"}},
        {"address": {"addressLineOne": "3 Elm St"}}])
    body = r.json()
    assert r.status_code == 200 and len(body["success"]) == 2
    assert body["failed"] == [{"error": {"message": "address is required"},
                               "stop": {"address": None, "recipient": {"externalId": "B"}}}]
    assert client.post(f"/plans/{plan}/stops:import", json=[]).status_code == 400
    too_many = [{"address": {"addressLineOne": "x"}}] * 101
    assert client.post(f"/plans/{plan}/stops:import", json=too_many).status_code == 400


def test_stop_list_filters_on_external_id(client: httpx.Client) -> None:
    plan = new_plan(client, [])
    import_stops(client, plan, 3)
    r = client.get(f"/plans/{plan}/stops", params={"filter.externalId": "DLV-1"})
    assert [s["recipient"]["externalId"] for s in r.json()["stops"]] == ["DLV-1"]


# ---- pagination (§6) ----------------------------------------------------------------------------


def test_pages_end_to_end_with_the_same_query(client: httpx.Client) -> None:
    plan = new_plan(client, [])
    created = import_stops(client, plan, 23)
    seen: list[str] = []
    pages: list[int] = []
    token: str | None = None
    while True:
        r = client.get(f"/plans/{plan}/stops", params={"pageToken": token} if token else {})
        assert r.status_code == 200, r.text
        pages.append(len(r.json()["stops"]))
        seen += [s["id"] for s in r.json()["stops"]]
        token = r.json()["nextPageToken"]
        if token is None:
            break
    assert pages == [10, 10, 3] and seen == created


def test_a_page_token_is_bound_to_its_query_and_page_sizes_to_their_bounds(
        client: httpx.Client) -> None:
    for i in range(4):
        client.post("/plans", json={"title": f"P{i}", "starts": DAY})
    first = client.get("/plans", params={"maxPageSize": 3}).json()
    assert len(first["plans"]) == 3 and first["nextPageToken"]
    second = client.get("/plans", params={"maxPageSize": 3, "pageToken": first["nextPageToken"]})
    assert [p["title"] for p in second.json()["plans"]] == ["P3"]
    other = client.get("/plans", params={"maxPageSize": 2, "pageToken": first["nextPageToken"]})
    assert other.status_code == 400 and other.json()["param"] == "pageToken"
    assert client.get("/plans", params={"maxPageSize": 21}).status_code == 400
    assert client.get("/plans", params={"pageToken": "garbage"}).status_code == 400


# ---- drivers, depots (§7.4, §7.7) ---------------------------------------------------------------


def test_drivers_and_depots(fake: FakeCircuit, client: httpx.Client) -> None:
    dana = fake.add_driver("Dana", phone="+12175550101")
    paused = fake.add_driver("Paul", active=False)
    body = client.get("/drivers").json()
    assert [d["id"] for d in body["drivers"]] == [dana, paused]
    assert set(body["drivers"][0]) == {"id", "name", "email", "phone", "displayName", "active",
                                       "depots", "routeOverrides"}
    active = client.get("/drivers", params={"filter.active": "false"}).json()["drivers"]
    assert [d["id"] for d in active] == [paused]
    assert client.get(f"/drivers/{bare(dana)}").json()["phone"] == "+12175550101"
    assert client.get("/drivers/Nobody").status_code == 404
    created = client.post("/drivers", json={"name": "Eve", "phone": "+12175550102"})
    assert created.status_code == 200 and created.json()["id"].startswith("drivers/")
    depots = client.get("/depots").json()
    assert [d["id"] for d in depots["depots"]] == [fake.main_depot]
    assert client.get(f"/depots/{bare(fake.main_depot)}").json()["name"] == "Main depot"
    assert client.get("/depots/Nope").json()["message"] == "Depot not found"


# ---- optimize, operations, routes, distribute (§7.5, §7.6, §9) ----------------------------------


def test_optimize_is_an_operation_that_finishes_on_the_clock(
        fake: FakeCircuit, client: httpx.Client, clock: VirtualClock) -> None:
    drivers = [fake.add_driver("Dana"), fake.add_driver("Eli")]
    plan = new_plan(client, drivers)
    import_stops(client, plan, 5)
    r = client.post(f"/plans/{plan}/stops", json={"address": {"addressLineOne": "late"}, "timing": {
        "earliestAttemptTime": {"hour": 15, "minute": 0},
        "latestAttemptTime": {"hour": 9, "minute": 0}}})
    impossible = r.json()["id"]
    op = client.post(f"/plans/{plan}:optimize").json()
    assert op["id"].startswith("operations/") and op["type"] == "plan_optimization"
    assert (op["done"], op["result"], op["metadata"]["targetPlanId"]) == (
        False, None, f"plans/{plan}")
    assert op["metadata"]["startedAt"] == int(T0.timestamp())  # seconds (§7)
    again = client.post(f"/plans/{plan}:optimize").json()
    assert again["code"] == "plan_optimization_in_progress"
    assert client.post(f"/plans/{plan}/stops", json={
        "address": {"addressLineOne": "x"}}).json()["code"] == "plan_optimization_in_progress"
    assert client.get(f"/operations/{bare(op['id'])}").json()["done"] is False
    clock.advance(timedelta(seconds=5))
    done = client.get(f"/operations/{bare(op['id'])}").json()
    assert done["done"] is True
    assert done["result"] == {"numOptimizedStops": 5, "skippedStops": [
        {"id": impossible, "reason": "impossible_time_window"}]}
    got = client.get(f"/plans/{plan}").json()
    assert (got["optimization"], got["writable"], len(got["routes"])) == ("optimized", False, 2)
    routes = [client.get(f"/routes/{bare(r)}").json() for r in got["routes"]]
    assert sorted(r["driver"] for r in routes) == sorted(drivers)
    assert sum(r["stopCount"] for r in routes) == 5
    in_route = client.get(f"/routes/{bare(got['routes'][0])}/stops").json()["stops"]
    assert [s["stopPosition"] for s in in_route] == list(range(1, len(in_route) + 1))
    assert all(s["eta"]["status"] == "available" and s["route"]["id"] == got["routes"][0]
               for s in in_route)
    arrivals = [s["eta"]["value"]["estimatedArrivalAt"] for s in in_route]
    assert arrivals == sorted(arrivals)
    assert client.get("/routes").json()["routes"] == routes
    assert client.post(f"/plans/{plan}:optimize").json()["code"] == "plan_already_optimized"
    assert client.get("/operations", params={"filter.done": "true"}).json()["operations"][0][
        "id"] == op["id"]
    assert client.get("/operations", params={"filter.done": "false"}).json()["operations"] == []


def test_a_plan_that_is_not_writable_refuses_stop_changes(fake: FakeCircuit,
                                                          client: httpx.Client) -> None:
    plan, _ = optimized(fake, client)
    stop = client.get(f"/plans/{plan}/stops").json()["stops"][0]
    path = f"/plans/{plan}/stops/{bare(stop['id'])}"
    for r in (client.post(f"/plans/{plan}/stops", json={"address": {"addressLineOne": "x"}}),
              client.patch(path, json={"notes": "x"}), client.delete(path),
              client.patch(f"/plans/{plan}", json={"title": "y"})):
        assert (r.status_code, r.json()["code"]) == (409, "plan_not_writable")


def test_optimize_and_distribute_conflicts(fake: FakeCircuit, client: httpx.Client) -> None:
    empty = new_plan(client, [])
    assert client.post(f"/plans/{empty}:optimize").json()["code"] == "no_drivers_available"
    assert client.post(f"/plans/{empty}:distribute").json()["code"] == "plan_not_optimized"
    plan, _ = optimized(fake, client)
    assert client.post(f"/plans/{plan}:distribute").json()["distributed"] is True
    r = client.post(f"/plans/{plan}:distribute")
    assert (r.status_code, r.json()["code"]) == (409, "plan_already_distributed")


def test_cancel_an_operation(fake: FakeCircuit, client: httpx.Client) -> None:
    plan = new_plan(client, [fake.add_driver("Dana")])
    import_stops(client, plan, 1)
    op = bare(client.post(f"/plans/{plan}:optimize").json()["id"])
    canceled = client.post(f"/operations/{op}:cancel").json()
    assert canceled["done"] is True and canceled["metadata"]["canceled"] is True
    assert client.get(f"/plans/{plan}").json()["optimization"] == "editing"
    r = client.post(f"/operations/{op}:cancel")
    assert (r.status_code, r.json()["code"]) == (409, "operation_already_done")


# ---- unassigned stops (§7.3) --------------------------------------------------------------------


def test_unassigned_stops(fake: FakeCircuit, client: httpx.Client) -> None:
    r = client.post("/unassignedStops", json={"address": {"addressLineOne": "9 Oak Ave"},
                                              "recipient": {"externalId": "RD-1"}})
    one = r.json()
    assert one["id"].startswith("unassignedStops/") and one["depot"] == fake.main_depot
    assert "route" not in one and "deliveryInfo" not in one and "eta" not in one
    r = client.post("/unassignedStops:import", json={"depot": fake.main_depot, "unassignedStops": [
        {"address": {"addressLineOne": "1 Pine"}, "recipient": {"externalId": "RD-2"}}, {}]})
    assert len(r.json()["success"]) == 1 and r.json()["failed"][0]["unassignedStop"] == {}
    found = client.get("/unassignedStops", params={"filter.externalId": "RD-2"}).json()
    assert [s["id"] for s in found["unassignedStops"]] == r.json()["success"]
    assert client.get(f"/unassignedStops/{bare(one['id'])}").json() == one


# ---- rate limits (§5), faults, recording ------------------------------------------------------


def test_reads_over_the_limit_get_429_until_the_window_passes(fake: FakeCircuit,
                                                              clock: VirtualClock) -> None:
    fake.reset(seed=1, clock=clock)
    with api(fake) as client:
        codes = [client.get("/plans").status_code for _ in range(11)]
        assert codes == [200] * 10 + [429]
        r = client.get("/plans")
        assert r.status_code == 429 and r.json()["message"]
        assert "retry-after" not in r.headers  # §5: none documented; clients must not need it
        clock.advance(timedelta(seconds=1))
        assert client.get("/plans").status_code == 200


def test_write_and_optimize_classes_have_their_own_limits(fake: FakeCircuit,
                                                          clock: VirtualClock) -> None:
    fake.reset(seed=1, clock=clock, retry_after=True)
    with api(fake) as client:
        writes = [client.post("/plans", json={"title": f"P{i}", "starts": DAY}).status_code
                  for i in range(6)]
        assert writes == [200] * 5 + [429]
        assert client.get("/plans").status_code == 200  # reads are another bucket
        optimizes = [client.post("/plans/Nope:optimize").status_code for _ in range(4)]
        assert optimizes == [404, 404, 404, 429]
        r = client.post("/plans/Nope:optimize")
        assert r.headers["retry-after"] == "20"  # 3 per minute: one every 20 s
        clock.advance(timedelta(seconds=20))
        assert client.post("/plans/Nope:optimize").status_code == 404


def test_exhausting_a_bucket_from_the_test(fake: FakeCircuit, clock: VirtualClock) -> None:
    fake.reset(seed=1, clock=clock)
    with api(fake) as client:
        fake.exhaust_rate_limit("import_stops")
        plan = new_plan(client, [])
        r = client.post(f"/plans/{plan}/stops:import", json=[{"address": {"addressLineOne": "x"}}])
        assert r.status_code == 429
        clock.advance(timedelta(seconds=6))  # 10 per minute
        r = client.post(f"/plans/{plan}/stops:import", json=[{"address": {"addressLineOne": "x"}}])
        assert r.status_code == 200


def test_injected_faults(fake: FakeCircuit, client: httpx.Client) -> None:
    fake.fail_next(503, message="Service unavailable", method="GET", path=r"^/plans$")
    assert client.get("/drivers").status_code == 200  # another path: untouched
    r = client.get("/plans")
    assert (r.status_code, r.json()) == (503, {"message": "Service unavailable"})
    assert client.get("/plans").status_code == 200
    fake.fail_next(409, code="plan_concurrent_modification", message="Retry")
    r = client.post("/plans", json={"title": "lost", "starts": DAY})
    assert r.json()["code"] == "plan_concurrent_modification"
    fake.fail_next(500, applied=True, method="POST")
    assert client.post("/plans", json={"title": "kept", "starts": DAY}).status_code == 500
    assert [p["title"] for p in client.get("/plans").json()["plans"]] == ["kept"]


def test_every_request_is_recorded(fake: FakeCircuit, client: httpx.Client) -> None:
    client.post("/plans", json={"title": "T", "starts": DAY})
    httpx.get(f"{fake.api_url}/drivers", trust_env=False)
    first, second = fake.requests
    assert (first.method, first.path, first.json()) == (
        "POST", "/public/v1/plans", {"title": "T", "starts": DAY})
    assert first.headers["authorization"].startswith("Basic ")
    assert (second.method, second.path, second.body) == ("GET", "/public/v1/drivers", b"")


def test_the_same_seed_gives_the_same_ids(fake: FakeCircuit, clock: VirtualClock) -> None:
    def run() -> list[str]:
        fake.reset(seed=9, clock=clock, rate_limits=False)
        with api(fake) as c:
            plan = new_plan(c, [fake.add_driver("Dana")])
            return [fake.api_key, fake.webhook_secret, plan, *import_stops(c, plan, 2)]
    assert run() == run()


# ---- webhooks (§10, §13) ------------------------------------------------------------------------


def test_a_day_of_signed_v1_stop_events(fake: FakeCircuit, client: httpx.Client,
                                        receiver: Receiver, clock: VirtualClock) -> None:
    plan, (driver,) = optimized(fake, client, stops=2)
    client.post(f"/plans/{plan}:distribute")
    assert receiver.posts == []  # nothing moves until delivered
    fake.deliver()
    assert receiver.types() == ["stop.allocated", "stop.tracking_link_added"] * 2
    route = fake.routes_of(plan)[0]
    clock.advance(timedelta(hours=3))
    fake.start_route(route)
    first, second = [s["id"] for s in
                     client.get(f"/routes/{bare(route)}/stops").json()["stops"]]
    clock.advance(timedelta(minutes=20))
    fake.complete_stop(first, "delivered_to_safe_place", photo_urls=["https://pod/1.jpg"],
                       signee_name="A. Ruiz")
    fake.fail_stop(second, "failed_not_home", notes="No answer")
    assert receiver.types()[4:] == [
        "stop.out_for_delivery", "stop.out_for_delivery", "stop.next_in_route",
        "stop.attempted_delivery", "stop.departed", "stop.next_in_route",
        "stop.attempted_delivery", "stop.departed"]
    for _, headers, raw in receiver.posts:
        assert signed_ok(fake.webhook_secret, headers, raw)
        assert "circuit-signature" not in headers and headers["content-type"] == (
            "application/json")
    events = receiver.events()
    ok, failed = [e for e in events if e["type"] == "stop.attempted_delivery"]
    assert ok["version"] == "v1" and ok["created"] == int(clock.now().timestamp() * 1000)
    assert ok["data"]["id"] == first and ok["data"]["route"]["driver"] == driver
    assert ok["data"]["deliveryInfo"]["succeeded"] is True
    assert ok["data"]["deliveryInfo"]["photoUrls"] == ["https://pod/1.jpg"]
    assert ok["data"]["deliveryInfo"]["signeeName"] == "A. Ruiz"
    info = failed["data"]["deliveryInfo"]
    assert (info["state"], info["succeeded"], info["driverProvidedInternalNotes"]) == (
        "failed_not_home", False, "No answer")
    assert info["attemptedAt"] == int(clock.now().timestamp())  # seconds, not ms
    assert failed["data"]["route"]["state"]["completed"] is True
    assert events[4]["data"]["route"]["state"]["started"] is True


def test_the_attempt_payload_has_the_documented_shape(fake: FakeCircuit, client: httpx.Client,
                                                      receiver: Receiver) -> None:
    plan, _ = optimized(fake, client, stops=1)
    fake.distribute(f"plans/{plan}")
    fake.start_route(fake.routes_of(plan)[0])
    stop = client.get(f"/plans/{plan}/stops").json()["stops"][0]["id"]
    fake.fail_stop(stop)
    data = next(e for e in receiver.events() if e["type"] == "stop.attempted_delivery")["data"]
    # every field of the §10 example, at every level shown there
    assert {"id", "plan", "type", "activity", "recipient", "address", "eta", "deliveryInfo",
            "route", "stopPosition", "trackingLink", "notes"} <= set(data)
    assert set(data["eta"]["value"]) == {"estimatedArrivalAt", "estimatedEarliestArrivalAt",
                                         "estimatedLatestArrivalAt"}
    assert {"attempted", "attemptedAt", "succeeded", "state", "photoUrls", "signatureUrl",
            "signeeName", "attemptedLocation", "driverProvidedInternalNotes",
            "driverProvidedRecipientNotes", "recipientProvidedNotes",
            "timeAtStopInfo"} <= set(data["deliveryInfo"])
    assert set(data["deliveryInfo"]["timeAtStopInfo"]["value"]) == {"arrivedAt", "departedAt",
                                                                    "isEstimated"}
    assert set(data["route"]["state"]) == {
        "started", "startedAt", "completed", "completedAt", "distributed", "distributedAt",
        "notifiedRecipients", "notifiedRecipientsAt"}
    assert data["trackingLink"].startswith("https://")


def test_v02b_deliveries_carry_both_headers_and_the_old_stop_shape(
        fake: FakeCircuit, client: httpx.Client, receiver: Receiver) -> None:
    fake.set_webhook(receiver.url, version="v0.2b")
    plan, (driver,) = optimized(fake, client, stops=2)
    fake.distribute(f"plans/{plan}")
    fake.start_route(fake.routes_of(plan)[0])
    stop = client.get(f"/plans/{plan}/stops").json()["stops"][0]["id"]
    fake.complete_stop(stop)
    assert "stop.next_in_route" not in receiver.types()  # v1 only
    for _, headers, raw in receiver.posts:
        assert signed_ok(fake.webhook_secret, headers, raw)
        assert headers["circuit-signature"] == headers["spoke-signature"]
    event = next(e for e in receiver.events() if e["type"] == "stop.attempted_delivery")
    data = event["data"]
    assert event["version"] == "v0.2b"
    assert data["driverIdentifier"] == driver and "allowedDrivers" not in data
    assert "clientId" not in data and data["circuitClientId"] is None
    assert set(data["eta"]) == {"estimatedArrivalAt", "estimatedEarliestArrivalAt",
                                "estimatedLatestArrivalAt"}
    at_stop = data["deliveryInfo"]["timeAtStopInfo"]
    assert "status" not in at_stop and data["deliveryInfo"]["arrivedAt"] == at_stop["arrivedAt"]


def test_failed_deliveries_are_retried_with_backoff_then_dropped(
        fake: FakeCircuit, client: httpx.Client, receiver: Receiver) -> None:
    receiver.status = 500
    plan, _ = optimized(fake, client, stops=1)
    fake.set_webhook(receiver.url, version="v1")
    fake.distribute(f"plans/{plan}")
    assert len(receiver.posts) == 2
    assert fake.advance(timedelta(seconds=29)) == []
    assert len(fake.advance(timedelta(seconds=1))) == 2  # 30 s later
    receiver.status = 200
    retried = fake.advance(timedelta(seconds=60))
    assert [d.status_code for d in retried] == [200, 200]
    bodies = [raw for _, _, raw in receiver.posts]
    assert bodies[0] == bodies[2] == bodies[4]  # the same bytes, so the same signature
    assert fake.advance(timedelta(minutes=10)) == []

    receiver.status = 503
    fake.send_test_event()
    tries = 1
    for _ in range(20):
        tries += len(fake.advance(timedelta(minutes=5)))
    # tries at 0, 5, 10, 15, 20, 30 and 50 min; the next (82 min) would pass the hour
    assert fake.dropped == ["test.send_event"] and tries == 7


def test_the_settings_test_button(fake: FakeCircuit, receiver: Receiver,
                                  client: httpx.Client) -> None:
    fake.set_webhook(receiver.url, version="v0.2b")
    fake.send_test_event()
    (event,) = receiver.events()
    assert event["type"] == "test.send_event"
    assert event["data"] == {"email": "dispatch@example.com", "webhookUrl": receiver.url}


def test_duplicate_delivery_can_be_switched_on(fake: FakeCircuit, client: httpx.Client,
                                               receiver: Receiver) -> None:
    fake.set_webhook(receiver.url, duplicate=1.0)
    plan, _ = optimized(fake, client, stops=1)
    fake.distribute(f"plans/{plan}")
    assert sorted(receiver.types()) == ["stop.allocated"] * 2 + ["stop.tracking_link_added"] * 2


def test_the_python_api_drives_a_day_as_a_dispatcher_would(
        fake: FakeCircuit, clock: VirtualClock, receiver: Receiver) -> None:
    fake.reset(seed=5, clock=clock, rate_limits=False, webhook_url=receiver.url,
               recipient_notifications=True, extra_events=False)
    driver = fake.add_driver("Dana", phone="+12175550101")
    plan = fake.add_plan("Wed routes", date(2026, 7, 15), drivers=[driver])
    stop = fake.add_stop(plan, "12 Elm St", external_id="DLV-9", phone="+12175550100",
                         notes="Side door")
    redelivery = fake.add_unassigned_stop("9 Oak Ave", external_id="DLV-8")
    operation = fake.optimize(plan)
    with api(fake) as client:
        op = client.get(f"/operations/{bare(operation)}").json()
        assert (op["done"], op["metadata"]["startedBy"]) == (False, "dispatcher")
        fake.advance(timedelta(seconds=5))
        assert client.get(f"/operations/{bare(operation)}").json()["done"] is True
        listed = client.get("/unassignedStops").json()["unassignedStops"]
        assert [s["id"] for s in listed] == [redelivery]
    # 08:00 at the depot, then one 10-minute drive (the fake's travel time)
    eta = fake.get_stop(stop)["eta"]["value"]["estimatedArrivalAt"]
    assert eta == int(datetime(2026, 7, 15, 8, 10, tzinfo=UTC).timestamp())
    assert [d.status_code for d in fake.distribute(plan)] == [200]
    fake.start_route(fake.routes_of(plan)[0])
    state = fake.get_stop(stop)["route"]["state"]
    assert (state["started"], state["notifiedRecipients"]) == (True, True)  # §11
    assert receiver.types() == ["stop.allocated", "stop.out_for_delivery"]
    with pytest.raises(ValueError):
        fake.fail_stop(stop, "failed_because")
