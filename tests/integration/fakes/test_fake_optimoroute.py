"""The fake OptimoRoute server over real HTTP, called as contracts/optimoroute.md shows: the key
in the query string, GET for reads, POST with a JSON body for the rest (§1)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from doorstep.clock import VirtualClock
from doorstep.sim.fakes.optimoroute import FakeOptimoRoute

T0 = datetime(2026, 3, 3, 13, 0, tzinfo=UTC)  # 07:00 in Springfield, IL (the §11.1 sample day)
DAY = date(2026, 3, 3)
ORDER_A1 = {  # §5.1, as the contract's samples spell it
    "operation": "CREATE", "orderNo": "A-1", "type": "D", "date": "2026-03-03",
    "location": {"address": "12 Elm St, Springfield", "locationName": "Ana Ruiz",
                 "locationNo": "L-9"},
    "duration": 10, "timeWindows": [{"twFrom": "09:00", "twTo": "12:00"}], "priority": "M",
    "notes": "Ring twice", "email": "ana@example.com", "phone": "+15558675310",
    "notificationPreference": "dont_notify", "load1": 2,
}


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(T0)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeOptimoRoute]:
    """One server for the module; each test gets a new, empty account on it (`reset`)."""
    with FakeOptimoRoute(seed=3) as f:
        yield f


@pytest.fixture
def fake(server: FakeOptimoRoute, clock: VirtualClock) -> FakeOptimoRoute:
    f = server.reset(clock=clock, timezone="America/Chicago")
    f.add_driver("102", "Sam Lee", external_id="D-44", vehicle_registration="AB-123",
                 vehicle_label="Van 3", start=(39.80, -89.64))
    f.add_driver("103", "Kim Ode", external_id="D-45", vehicle_registration="AB-124")
    return f


@pytest.fixture
def api(fake: FakeOptimoRoute) -> Iterator[Api]:
    with httpx.Client(base_url=fake.base_url, timeout=5, trust_env=False) as http:
        yield Api(http, fake.api_key)


class Api:
    """The calls exactly as §1 describes them."""

    def __init__(self, http: httpx.Client, key: str) -> None:
        self.http, self.key = http, key

    def get(self, method: str, **params: Any) -> dict[str, Any]:
        r = self.http.get(f"/{method}", params={"key": self.key, **params})
        assert r.status_code == 200, r.text
        return dict(r.json())

    def post(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        r = self.http.post(f"/{method}", params={"key": self.key}, json=body)
        assert r.status_code == 200, r.text
        return dict(r.json())


def failure(answer: dict[str, Any], code: str) -> None:
    assert answer["success"] is False and answer["code"] == code, answer
    assert isinstance(answer["message"], str) and answer["message"]


def add_orders(api: Api, n: int, day: str = "2026-03-03", prefix: str = "B") -> list[str]:
    orders = [{"operation": "CREATE", "orderNo": f"{prefix}-{i:02d}", "type": "D", "date": day,
               "location": {"latitude": 39.70 + i / 100, "longitude": -89.60,
                            "locationName": f"Stop {i}"}} for i in range(n)]
    answer = api.post("create_or_update_orders", {"orders": orders})
    assert [o["success"] for o in answer["orders"]] == [True] * n
    return [o["orderNo"] for o in answer["orders"]]


# ---- §1, §2: auth, verbs, envelope ---------------------------------------------------------


def test_auth_refusals(fake: FakeOptimoRoute) -> None:
    url = f"{fake.base_url}/get_events"
    failure(httpx.get(url).json(), "AUTH_KEY_MISSING")
    failure(httpx.get(url, headers={"Authorization": f"Bearer {fake.api_key}"}).json(),
            "AUTH_KEY_MISSING")  # no client uses a header: only ?key= counts
    r = httpx.post(f"{fake.base_url}/create_order", params={"key": "wrong"}, json=ORDER_A1)
    assert r.status_code == 200  # §2: application errors are 200 + success:false
    failure(r.json(), "AUTH_KEY_UNKNOWN")
    assert fake.state.orders == {}
    assert httpx.get(url, params={"key": fake.api_key}).json()["success"] is True


def test_error_status_can_be_set_for_undocumented_http_statuses(clock: VirtualClock) -> None:
    with FakeOptimoRoute(clock=clock, seed=1, error_status=401) as f:
        r = httpx.get(f"{f.base_url}/get_events", params={"key": "nope"})
        assert r.status_code == 401 and r.json()["code"] == "AUTH_KEY_UNKNOWN"


def test_wrong_verb_unknown_method_and_bad_json(fake: FakeOptimoRoute, api: Api) -> None:
    key = {"key": fake.api_key}
    failure(api.get("create_order", orderNo="A-1"), "MALFORMED_REQUEST")
    failure(api.post("get_events", {}), "MALFORMED_REQUEST")
    r = httpx.post(f"{fake.base_url}/create_order", params=key, content=b"{not json")
    failure(r.json(), "MALFORMED_REQUEST")
    r = httpx.post(f"{fake.base_url}/create_order", params=key, json=[ORDER_A1])
    failure(r.json(), "MALFORMED_REQUEST")
    r = httpx.get(f"{fake.base_url}/get_drivers", params=key)
    assert r.status_code == 404
    failure(r.json(), "MALFORMED_REQUEST")


def test_every_request_is_recorded_without_the_key(fake: FakeOptimoRoute, api: Api) -> None:
    api.post("create_order", ORDER_A1)
    api.get("get_events", after_tag="c2VxOjA=")
    create, events = fake.requests
    assert (create.http_method, create.method, create.body) == ("POST", "create_order",
                                                                ORDER_A1)
    assert (events.http_method, events.query) == ("GET", {"after_tag": "c2VxOjA="})
    assert fake.api_key not in repr(fake.requests)
    assert fake.requests_to("get_events") == [events]


# ---- §5 orders -------------------------------------------------------------------------------


def test_create_order_and_read_it_back(api: Api) -> None:
    answer = api.post("create_order", ORDER_A1)
    assert answer["success"] is True
    loc = answer["location"]
    assert loc["valid"] is True and isinstance(loc["latitude"], float)
    got = api.post("get_orders", {"orders": [{"orderNo": "A-1"}, {"orderNo": "nope"}]})
    found, missing = got["orders"]
    assert found["success"] is True and len(found["id"]) == 32
    int(found["id"], 16)
    assert found["data"]["orderNo"] == "A-1" and found["data"]["timeWindows"] == [
        {"twFrom": "09:00", "twTo": "12:00"}]
    assert "operation" not in found["data"]
    assert missing == {"success": False, "code": "ERR_ORD_NOT_FOUND", "orderNo": "nope",
                       "message": "Order nope not found"}
    by_id = api.post("get_orders", {"orders": [{"id": found["id"]}]})["orders"][0]
    assert by_id["data"] == found["data"]


@pytest.mark.parametrize(("change", "code"), [
    ({"date": None}, "ERR_MISSING_MAND_FIELD"),
    ({"type": None}, "ERR_MISSING_MAND_FIELD"),
    ({"location": None}, "ERR_MISSING_MAND_FIELD"),
    ({"orderNo": None}, "ERR_MISSING_MAND_FIELD"),
    ({"date": "03/03/2026"}, "ERR_INVALID_PARAM_FORMAT"),
    ({"date": "2026-02-30"}, "ERR_INVALID_PARAM_FORMAT"),
    ({"type": "X"}, "ERR_INVALID_PARAM_FORMAT"),
    ({"priority": "Z"}, "ERR_INVALID_PARAM_FORMAT"),
    ({"timeWindows": [{"twFrom": "9am", "twTo": "12:00"}]}, "ERR_INVALID_PARAM_FORMAT"),
    ({"timeWindows": [{"twFrom": "13:00", "twTo": "12:00"}]}, "ERR_INVALID_PARAM_FORMAT"),
    ({"duration": "ten"}, "ERR_INVALID_PARAM_FORMAT"),
    ({"location": {"latitude": 95, "longitude": 0}}, "ERR_INVALID_PARAM_FORMAT"),
    ({"location": {"locationNo": "L-unknown"}}, "ERR_INVALID_PARAM_FORMAT"),
    ({"operation": "UPSERT"}, "ERR_INVALID_PARAM_FORMAT"),
])
def test_create_order_refusals(fake: FakeOptimoRoute, api: Api, change: dict[str, Any],
                               code: str) -> None:
    body = {k: v for k, v in {**ORDER_A1, **change}.items() if v is not None}
    failure(api.post("create_order", body), code)
    assert fake.state.orders == {}


def test_operations_create_update_merge_sync(api: Api) -> None:
    api.post("create_order", ORDER_A1)
    failure(api.post("create_order", ORDER_A1), "ERR_ORD_EXISTS")
    failure(api.post("create_order", {**ORDER_A1, "orderNo": "A-2", "operation": "UPDATE"}),
            "ERR_ORD_NOT_FOUND")
    api.post("create_order", {"operation": "MERGE", "orderNo": "A-1", "notes": "Gate 4"})
    data = api.post("get_orders", {"orders": [{"orderNo": "A-1"}]})["orders"][0]["data"]
    assert (data["notes"], data["email"], data["duration"]) == ("Gate 4", "ana@example.com", 10)
    failure(api.post("create_order", {"operation": "SYNC", "orderNo": "A-1", "notes": "x"}),
            "ERR_MISSING_MAND_FIELD")  # SYNC replaces: the whole order must be sent
    api.post("create_order", {"operation": "SYNC", "orderNo": "A-1", "date": "2026-03-04",
                              "type": "P", "location": {"locationNo": "L-9"}})
    data = api.post("get_orders", {"orders": [{"orderNo": "A-1"}]})["orders"][0]["data"]
    assert "email" not in data and "notes" not in data
    assert (data["type"], data["location"]["locationName"]) == ("P", "Ana Ruiz")
    api.post("create_order", {**ORDER_A1, "acceptDuplicateOrderNo": True})
    assert len(api.post("search_orders", {"dateRange": {"from": "2026-03-03",
                                                        "to": "2026-03-04"}})["orders"]) == 2


def test_bulk_per_item_results_and_the_500_cap(fake: FakeOptimoRoute, api: Api) -> None:
    good = {**ORDER_A1, "location": {"latitude": 39.7, "longitude": -89.6,
                                     "locationName": "Ana"}}
    answer = api.post("create_or_update_orders", {"orders": [
        good, {**good, "orderNo": "A-2", "type": "Q"}, {**good, "orderNo": "A-3"}, good]})
    assert answer["success"] is True
    assert [(o["success"], o.get("code")) for o in answer["orders"]] == [
        (True, None), (False, "ERR_INVALID_PARAM_FORMAT"), (True, None),
        (False, "ERR_ORD_EXISTS")]
    assert answer["orders"][1]["orderNo"] == "A-2"
    # §5.2 ❓ bulk does not geocode: an address alone is stored without coordinates
    addressed = api.post("create_or_update_orders", {"orders": [
        {**ORDER_A1, "orderNo": "A-4"}]})["orders"][0]
    data = api.post("get_orders", {"orders": [{"id": addressed["id"]}]})["orders"][0]["data"]
    assert data["location"]["valid"] is False and "latitude" not in data["location"]
    too_many = [{**good, "orderNo": f"C-{i}"} for i in range(501)]
    failure(api.post("create_or_update_orders", {"orders": too_many}),
            "ERR_INVALID_PARAM_FORMAT")
    failure(api.post("get_orders", {"orders": [{"orderNo": "A-1"}] * 501}),
            "ERR_INVALID_PARAM_FORMAT")
    assert len(fake.state.orders) == 3


def test_search_orders_pages_with_after_tag(server: FakeOptimoRoute, clock: VirtualClock,
                                            api: Api) -> None:
    server.reset(clock=clock, page_size=3)
    made = add_orders(api, 8) + add_orders(api, 2, "2026-03-09", "C")
    api.post("create_order", {**ORDER_A1, "date": "2026-04-30"})  # outside the range
    seen: list[str] = []
    body: dict[str, Any] = {"dateRange": {"from": "2026-03-02", "to": "2026-03-10"},
                            "includeOrderData": True, "includeScheduleInformation": True}
    pages = 0
    while True:
        answer = api.post("search_orders", body)
        pages += 1
        seen += [o["data"]["orderNo"] for o in answer["orders"]]
        assert all(o["scheduleInformation"] is None for o in answer["orders"])
        if "after_tag" not in answer:
            break
        body["after_tag"] = answer["after_tag"]
    assert seen == made and pages == 4
    bare = api.post("search_orders", {"dateRange": {"from": "2026-03-09",
                                                    "to": "2026-03-09"}})
    assert [set(o) for o in bare["orders"]] == [{"id"}, {"id"}]
    failure(api.post("search_orders", {"dateRange": {"from": "2026-03-01",
                                                     "to": "2026-04-30"}}),
            "ERR_INVALID_PARAM_FORMAT")
    failure(api.post("search_orders", {}), "ERR_MISSING_MAND_FIELD")
    failure(api.post("search_orders", {**body, "after_tag": "garbage"}),
            "ERR_INVALID_PARAM_FORMAT")


def test_deleting(fake: FakeOptimoRoute, api: Api) -> None:
    add_orders(api, 4)
    add_orders(api, 1, "2026-03-04", "C")
    assert api.post("delete_order", {"orderNo": "B-00"}) == {"success": True}
    failure(api.post("delete_order", {"orderNo": "B-00"}), "ERR_ORD_NOT_FOUND")
    answer = api.post("delete_orders", {"orders": [{"orderNo": "B-01"}, {"orderNo": "zz"}]})
    assert [o["success"] for o in answer["orders"]] == [True, False]
    api.post("delete_all_orders", {"date": "2026-03-03"})
    assert [o.order_no for o in fake.state.orders.values()] == ["C-00"]  # the 4 March one


# ---- §6, §7 planning and routes --------------------------------------------------------------


def test_planning_runs_n_r_f_then_routes_are_readable(fake: FakeOptimoRoute, api: Api) -> None:
    api.post("create_order", ORDER_A1)
    add_orders(api, 3)
    assert api.get("get_routes", date="2026-03-03") == {"success": True, "routes": []}
    started = api.post("start_planning", {"date": "2026-03-03", "balancing": "ON",
                                          "balanceBy": "NUM", "useDrivers": [
                                              {"driverSerial": "102"}, {"driverSerial": "9"}]})
    assert started["missingDrivers"] == [{"driverSerial": "9"}] and started["missingOrders"] == []
    pid = started["planningId"]
    status = [api.get("get_planning_status", planningId=pid)["status"]]
    for _ in range(3):
        fake.advance()
        status.append(api.get("get_planning_status", planningId=pid)["status"])
    assert status == ["N", "R", "F", "F"]
    assert api.get("get_planning_status", planningId=pid)["percentageComplete"] == 100
    route, = api.get("get_routes", date="2026-03-03", includeRoutePolyline="true")["routes"]
    assert (route["driverSerial"], route["driverName"], route["vehicleRegistration"],
            route["vehicleLabel"]) == ("102", "Sam Lee", "AB-123", "Van 3")
    assert [s["stopNumber"] for s in route["stops"]] == [1, 2, 3, 4]
    stop = next(s for s in route["stops"] if s["orderNo"] == "A-1")
    assert stop["scheduledAt"] >= "09:00"  # waits for its time window, local time
    assert stop["scheduledAtDt"].startswith("2026-03-03 ") and len(stop["id"]) == 32
    assert all(isinstance(s["travelTime"], int) and isinstance(s["distance"], int)
               for s in route["stops"])
    assert route["distance"] == round(sum(s["distance"] for s in route["stops"]) / 1000, 1)
    assert route["load1"] == 2 and isinstance(route["routePolyline"], str)
    assert api.get("get_routes", date="2026-03-03", driverSerial="103")["routes"] == []
    info = api.get("get_scheduling_info", orderNo="A-1")
    assert info["orderScheduled"] is True and info["scheduleInformation"]["stopNumber"] == \
        stop["stopNumber"]
    api.post("create_order", {**ORDER_A1, "orderNo": "A-9"})
    assert api.get("get_scheduling_info", orderNo="A-9") == {"success": True,
                                                              "orderScheduled": False}
    failure(api.get("get_scheduling_info", orderNo="nope"), "ERR_ORD_NOT_FOUND")
    failure(api.get("get_routes"), "ERR_MISSING_MAND_FIELD")


def test_planning_balances_and_keeps_forced_drivers(fake: FakeOptimoRoute, api: Api) -> None:
    add_orders(api, 6)
    api.post("create_order", {**ORDER_A1, "assignedTo": {"externalId": "D-45"}})
    fake.plan(DAY)
    routes = {r["driverSerial"]: [s["orderNo"] for s in r["stops"]]
              for r in api.get("get_routes", date="2026-03-03")["routes"]}
    assert "A-1" in routes["103"] and abs(len(routes["102"]) - len(routes["103"])) <= 1
    assert sorted(routes["102"] + routes["103"]) == sorted([f"B-{i:02d}" for i in range(6)]
                                                          + ["A-1"])


def test_stop_planning_and_bad_planning_calls(fake: FakeOptimoRoute, api: Api) -> None:
    add_orders(api, 2)
    pid = api.post("start_planning", {"date": "2026-03-03"})["planningId"]
    assert api.post("stop_planning", {"planningId": pid}) == {"success": True}
    fake.advance()
    assert api.get("get_planning_status", planningId=pid)["status"] == "C"
    assert api.get("get_routes", date="2026-03-03")["routes"] == []
    failure(api.get("get_planning_status", planningId=1), "ERR_PLAN_NOT_FOUND")
    failure(api.get("get_planning_status", planningId="x"), "ERR_INVALID_PARAM_FORMAT")
    failure(api.get("get_planning_status"), "ERR_MISSING_MAND_FIELD")
    failure(api.post("start_planning", {}), "ERR_MISSING_MAND_FIELD")
    failure(api.post("start_planning", {"date": "2026-03-03", "balancing": "MAX"}),
            "ERR_INVALID_PARAM_FORMAT")
    missing = api.post("start_planning", {"date": "2026-03-03", "useOrders": ["B-00", "Q"]})
    assert missing["missingOrders"] == ["Q"]


# ---- §8 drivers ------------------------------------------------------------------------------


def test_driver_parameters_unschedule_the_drivers_route(fake: FakeOptimoRoute,
                                                        api: Api) -> None:
    add_orders(api, 4)
    fake.plan(DAY)
    assert len(api.get("get_routes", date="2026-03-03")["routes"]) == 2
    ok = api.post("update_driver_parameters", {"externalId": "D-44", "date": "2026-03-03",
                                                "enabled": False})
    assert ok == {"success": True}
    route, = api.get("get_routes", date="2026-03-03")["routes"]
    assert route["driverSerial"] == "103"
    assert sorted(fake.status_of(f"B-{i:02d}") for i in range(4)) == [
        "scheduled", "scheduled", "unscheduled", "unscheduled"]
    fake.plan(DAY)  # re-planning puts them on the only enabled driver
    assert len(api.get("get_routes", date="2026-03-03")["routes"][0]["stops"]) == 4
    failure(api.post("update_driver_parameters", {"externalId": "D-99", "date": "2026-03-03"}),
            "ERR_DRV_NOT_FOUND")
    failure(api.post("update_driver_parameters", {"externalId": "D-44"}),
            "ERR_MISSING_MAND_FIELD")
    failure(api.post("update_driver_parameters", {"externalId": "D-44", "date": "2026-03-03",
                                                  "workTimeFrom": "7"}),
            "ERR_INVALID_PARAM_FORMAT")
    bulk = api.post("update_drivers_parameters", {"updates": [
        {"externalId": "D-45", "date": "2026-03-04", "workTimeFrom": "10:00"},
        {"externalId": "D-99", "date": "2026-03-04"}]})
    assert [u["success"] for u in bulk["updates"]] == [True, False]


# ---- §9 completion ---------------------------------------------------------------------------


def test_completion_details_follow_the_status_machine(fake: FakeOptimoRoute, api: Api,
                                                      clock: VirtualClock) -> None:
    api.post("create_order", ORDER_A1)
    add_orders(api, 1)

    def status() -> str:
        got = api.post("get_completion_details", {"orders": [{"orderNo": "A-1"}]})
        return str(got["orders"][0]["data"]["status"])

    seen = [status()]
    fake.plan(DAY, useDrivers=[{"driverSerial": "102"}])
    seen.append(status())
    fake.start_route("102", DAY)
    assert [fake.status_of("B-00"), fake.status_of("A-1")] == ["on_route", "scheduled"]
    fake.complete("B-00")  # B-00 has no time window: it comes first; then A-1 is next
    seen.append(status())
    clock.advance(timedelta(minutes=30))
    fake.start_service("A-1")
    seen.append(status())
    clock.advance(timedelta(minutes=5))
    fake.fail("A-1", "Nobody home, gate locked", photos=1)
    seen.append(status())
    assert seen == ["unscheduled", "scheduled", "on_route", "servicing", "failed"]
    data = api.post("get_completion_details", {"orders": [{"orderNo": "A-1"}]})[
        "orders"][0]["data"]
    end = clock.now()
    assert data["endTime"] == {"unixTimestamp": int(end.timestamp()),
                               "utcTime": end.strftime("%Y-%m-%dT%H:%M:%S"),
                               "localTime": (end - timedelta(hours=6)).strftime(
                                   "%Y-%m-%dT%H:%M:%S")}  # CST, UTC-6 in March
    assert data["endTime"]["unixTimestamp"] - data["startTime"]["unixTimestamp"] == 300
    assert data["form"]["note"] == "Nobody home, gate locked"
    assert data["form"]["images"][0]["type"] == "image"
    assert data["tracking_url"].startswith("http")
    with pytest.raises(ValueError):
        fake.complete("A-1")  # a later status never goes back


def test_update_completion_details(fake: FakeOptimoRoute, api: Api) -> None:
    add_orders(api, 2)
    api.post("create_order", {**ORDER_A1, "date": "2026-03-05"})
    fake.plan(DAY)
    answer = api.post("update_completion_details", {"updates": [
        {"orderNo": "B-00", "data": {"status": "success",
                                     "startTime": {"utcTime": "2026-03-03T15:35:00"},
                                     "endTime": {"localTime": "2026-03-03T09:40:00"}}},
        {"orderNo": "B-01", "data": {"status": "success",
                                     "endTime": {"unixTimestamp": 1772552400,
                                                 "utcTime": "2026-03-03T15:40:00"}}},
        {"orderNo": "A-1", "data": {"status": "success"}},
        {"orderNo": "B-01", "data": {"status": "done"}},
    ]})
    assert [(u["success"], u.get("code")) for u in answer["orders"]] == [
        (True, None), (False, "ERR_INVALID_PARAM_FORMAT"), (False, "ERR_ORD_NOT_DISPATCHED"),
        (False, "ERR_INVALID_PARAM_FORMAT")]
    data = api.post("get_completion_details", {"orders": [{"orderNo": "B-00"}]})[
        "orders"][0]["data"]
    assert data["status"] == "success"
    assert data["startTime"]["unixTimestamp"] == 1772552100
    assert data["endTime"]["utcTime"] == "2026-03-03T15:40:00"


# ---- §11 get_events --------------------------------------------------------------------------


class Poller:
    """§11.2 as a connector does it: the tag saved with the events it read; events stored
    once on (event, orderId or orderNo, driverSerial, unixTimestamp)."""

    def __init__(self, api: Api, store: dict[tuple[Any, ...], dict[str, Any]],
                 tag: str | None = None) -> None:
        self.api, self.store, self.tag = api, store, tag
        self.calls = 0

    def poll(self) -> None:
        while True:
            params = {"after_tag": self.tag} if self.tag else {}
            answer = self.api.get("get_events", **params)
            self.calls += 1
            for e in answer["events"]:
                key = (e["event"], e.get("orderId") or e.get("orderNo"), e.get("driverSerial"),
                       e["unixTimestamp"])
                assert key not in self.store, f"repeated: {e}"
                self.store[key] = e
            self.tag = answer.get("tag", self.tag)
            if answer["remainingEvents"] == 0:
                return


def test_get_events_polling_neither_skips_nor_repeats(server: FakeOptimoRoute,
                                                      clock: VirtualClock, api: Api) -> None:
    fake = server.reset(clock=clock, timezone="America/Chicago", events_page=2)
    fake.add_driver("102", "Sam Lee", external_id="D-44")
    add_orders(api, 3)
    fake.plan(DAY)
    store: dict[tuple[Any, ...], dict[str, Any]] = {}
    poller = Poller(api, store)
    poller.poll()
    assert store == {} and poller.tag == "c2VxOjA="  # nothing yet: the cursor is kept
    fake.start_route("102", DAY)
    clock.advance(timedelta(minutes=20))
    fake.complete("B-00", note="Left at door", barcodes=("PKG001",))
    clock.advance(timedelta(minutes=20))
    poller.poll()
    assert [e["event"] for e in store.values()] == [
        "on_duty", "start_route", "start_service", "success"]
    assert poller.calls == 3  # two pages of two, then an empty one
    saved = poller.tag
    # the poller restarts from its saved tag: only what came after
    clock.advance(timedelta(minutes=20))
    fake.fail("B-01", "No access")
    late = T0 + timedelta(minutes=25)  # a phone that was offline reports late (§11.2.4)
    fake.add_event("start_service", at=late, serial="102", order_no="B-02")
    fake.state.finish("B-02", "rejected", None, at=late + timedelta(minutes=1))
    fake.end_route("102", DAY)
    restarted = Poller(api, store, saved)
    restarted.poll()
    kinds = [e["event"] for e in store.values()]
    assert kinds[4:] == ["start_service", "failed", "start_service", "rejected",
                         "end_route"]
    assert [e.kind for e in fake.state.log] == kinds
    stamps = [e["unixTimestamp"] for e in store.values()]
    assert stamps != sorted(stamps)  # out of order, as delivered
    failed = next(e for e in store.values() if e["event"] == "failed")
    assert failed["orderNo"] == "B-01" and len(failed["orderId"]) == 32
    assert failed["driverSerial"] == "102" and failed["driverName"] == "Sam Lee"
    assert isinstance(failed["unixTimestamp"], int)
    assert failed["localTime"] == (clock.now() - timedelta(hours=6)).strftime(
        "%Y-%m-%dT%H:%M:%S")
    assert "dateTime" not in failed and "id" not in failed  # §11.1: no event id
    again = api.get("get_events", after_tag=restarted.tag)
    assert again["events"] == [] and again["tag"] == restarted.tag
    first = api.get("get_events")  # no tag: from the oldest event
    assert first["events"][0]["event"] == "on_duty" and first["remainingEvents"] == 7
    failure(api.get("get_events", after_tag="bm90YXRhZw=="), "ERR_INVALID_PARAM_FORMAT")
    failure(api.get("get_events", after_tag="c2VxOjk5OQ=="), "ERR_INVALID_PARAM_FORMAT")


def test_replanning_raises_start_time_changed(fake: FakeOptimoRoute, api: Api) -> None:
    add_orders(api, 2)
    fake.plan(DAY, useDrivers=[{"driverSerial": "102"}])
    api.post("update_driver_parameters", {"serial": "102", "date": "2026-03-03",
                                          "workTimeFrom": "10:00"})
    fake.plan(DAY, useDrivers=[{"driverSerial": "102"}])
    changed = [e for e in api.get("get_events")["events"] if e["event"] == "start_time_changed"]
    assert {e["orderNo"] for e in changed} == {"B-00", "B-01"}
    assert all(e["plannedStartTime"]["localTime"] >= "2026-03-03T10:00:00" for e in changed)


# ---- limits and faults -------------------------------------------------------------------------


def test_the_sixth_concurrent_request_is_refused(fake: FakeOptimoRoute) -> None:
    fake.stall_next(times=5)
    answers: list[dict[str, Any]] = []

    def call() -> None:
        r = httpx.get(f"{fake.base_url}/get_events", params={"key": fake.api_key}, timeout=10)
        answers.append(r.json())

    held = [threading.Thread(target=call) for _ in range(5)]
    for t in held:
        t.start()
    try:
        assert fake.wait_stalled(5)
        sixth = httpx.get(f"{fake.base_url}/get_events", params={"key": fake.api_key})
        assert sixth.status_code == 200
        failure(sixth.json(), "ERR_TOO_MANY_CONNECTIONS")
    finally:
        fake.release()
        for t in held:
            t.join(10)
    assert [a["success"] for a in answers] == [True] * 5
    assert httpx.get(f"{fake.base_url}/get_events",
                     params={"key": fake.api_key}).json()["success"] is True


def test_rate_limit_answers_429_until_the_window_passes(server: FakeOptimoRoute,
                                                        clock: VirtualClock) -> None:
    f = server.reset(clock=clock, rate_limit=(3, timedelta(seconds=60)))
    url, key = f"{f.base_url}/get_events", {"key": f.api_key}
    assert [httpx.get(url, params=key).status_code for _ in range(3)] == [200] * 3
    clock.advance(timedelta(seconds=15))
    r = httpx.get(url, params=key)
    assert r.status_code == 429 and r.headers["Retry-After"] == "45"
    assert r.json()["success"] is False
    clock.advance(timedelta(seconds=45))
    assert httpx.get(url, params=key).json()["success"] is True


def test_exhausted_rate_limit(fake: FakeOptimoRoute, api: Api, clock: VirtualClock) -> None:
    fake.exhaust_rate_limit(timedelta(seconds=30))
    r = api.http.get("/get_events", params={"key": api.key})
    assert r.status_code == 429 and r.headers["Retry-After"] == "30"
    fake.advance(timedelta(seconds=30))
    assert api.get("get_events")["success"] is True


def test_fail_next_with_and_without_the_call_carried_out(fake: FakeOptimoRoute,
                                                         api: Api) -> None:
    fake.fail_next(500)
    r = api.http.post("/create_order", params={"key": api.key}, json=ORDER_A1)
    assert r.status_code == 500 and r.json()["code"] == "ERR_INTERNAL"
    assert fake.state.orders == {}
    fake.fail_next(503, applied=True, method="create_order")
    r = api.http.post("/create_order", params={"key": api.key}, json=ORDER_A1)
    assert r.status_code == 503
    assert api.post("get_orders", {"orders": [{"orderNo": "A-1"}]})["orders"][0]["success"]
    fake.fail_next(200, code="ERR_TOO_MANY_CONNECTIONS", method="get_events", times=2)
    api.post("get_orders", {"orders": [{"orderNo": "A-1"}]})  # another method: untouched
    for _ in range(2):
        failure(api.get("get_events"), "ERR_TOO_MANY_CONNECTIONS")
    assert api.get("get_events")["success"] is True


def test_a_stalled_request_outlasts_a_client_timeout(fake: FakeOptimoRoute, api: Api) -> None:
    fake.stall_next(method="get_routes")
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(f"{fake.base_url}/get_routes", params={"key": fake.api_key,
                                                         "date": "2026-03-03"}, timeout=0.3)
    gate = fake.gate
    with gate.lock:
        assert gate.stalled == 1  # held by the fake, not merely slow
    fake.release()
    with gate.lock:
        assert gate.lock.wait_for(lambda: gate.stalled == 0, 5)
    assert api.get("get_routes", date="2026-03-03")["success"] is True
