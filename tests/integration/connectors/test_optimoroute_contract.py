"""The OptimoRoute connector fed the contract's own example payloads (contracts/optimoroute.md
§2, §6.1, §9.1, §11.1, copied verbatim below), served over real HTTP by a stand-in that
answers each method with its documented example."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from doorstep.clock import VirtualClock
from doorstep.config import PlatformConfig
from doorstep.connectors.http import PlatformError
from doorstep.connectors.optimoroute.connector import OptimoRouteConnector
from doorstep.runtime import Runtime
from doorstep.sim.fakes.serving import Served
from doorstep.store.tables import attempts, drivers
from tests.integration.connectors.optimoroute_support import delivery, one, route, route_stops

KEY = "doc-example-key"

# §11.1, verbatim
EVENTS = """{
  "success": true,
  "events": [
    {"event": "on_duty", "unixTimestamp": 1772544600, "utcTime": "2026-03-03T13:30:00", "localTime": "2026-03-03T07:30:00",
     "driverSerial": "102", "driverName": "Sam Lee"},
    {"event": "failed", "unixTimestamp": 1772552400, "utcTime": "2026-03-03T15:40:00", "localTime": "2026-03-03T09:40:00",
     "orderNo": "A-1", "orderId": "9f2c…e1", "driverSerial": "102", "driverName": "Sam Lee"}
  ],
  "tag": "c2VxOjE4NDQ2",
  "remainingEvents": 0
}"""

# §9.1, verbatim
COMPLETION = """{
  "success": true,
  "orders": [{
    "success": true, "orderNo": "A-1", "id": "9f2c…e1",
    "data": {
      "status": "failed",
      "startTime": {"unixTimestamp": 1772552100, "utcTime": "2026-03-03T15:35:00", "localTime": "2026-03-03T09:35:00"},
      "endTime":   {"unixTimestamp": 1772552400, "utcTime": "2026-03-03T15:40:00", "localTime": "2026-03-03T09:40:00"},
      "form": {
        "note": "Nobody home, gate locked",
        "signature": {"type": "signature", "url": "https://…/sig.png"},
        "images": [{"type": "image", "url": "https://…/p1.jpg"}],
        "barcode": [{"barcode": "PKG001", "scanInfo": {"status": "scanned"}}]
      },
      "tracking_url": "https://…/track/…"
    }
  }]
}"""

# §6.1, verbatim
ROUTES = """{
  "success": true,
  "routes": [{
    "driverSerial": "102", "driverExternalId": "D-44", "driverName": "Sam Lee",
    "vehicleRegistration": "AB-123", "vehicleLabel": "Van 3",
    "duration": 412, "distance": 87.4, "load1": 36, "load2": 0, "load3": 0, "load4": 0,
    "routePolyline": "…only if requested…",
    "stops": [{
      "stopNumber": 1, "orderNo": "A-1", "id": "9f2c…e1",
      "locationNo": "L-9", "locationName": "Ana Ruiz", "address": "12 Elm St, Springfield",
      "latitude": 39.78, "longitude": -89.65,
      "scheduledAt": "09:40", "scheduledAtDt": "2026-03-03 09:40:00",
      "arrivalTimeDt": "2026-03-03 09:35:00",
      "travelTime": 900, "distance": 7200
    }, { "stopNumber": 2, "type": "break", "scheduledAt": "12:00", "…": "…" }]
  }]
}"""

# §2, verbatim
ERROR = """{ "success": false, "code": "ERR_MISSING_MAND_FIELD", "message": "Field 'date' is missing" }"""

# §5.3's answer around the §5.1 fields, as the contract's samples spell them
ORDER = {"success": True, "orders": [{"success": True, "id": "9f2c…e1", "data": {
    "orderNo": "A-1", "type": "D", "date": "2026-03-03",
    "location": {"address": "12 Elm St, Springfield", "locationName": "Ana Ruiz",
                 "locationNo": "L-9", "latitude": 39.78, "longitude": -89.65, "valid": True},
    "duration": 10, "timeWindows": [{"twFrom": "09:00", "twTo": "12:00"}], "priority": "M",
    "notes": "Ring twice", "email": "ana@example.com", "phone": "+15558675310",
    "notificationPreference": "dont_notify", "load1": 2}}]}

DAY = date(2026, 3, 3)
MAPPING = PlatformConfig(default_depot="chi-w", default_shipper="threadline")
pytest_plugins = ["tests.integration.connectors.optimoroute_fixtures"]


class Documented:
    """Answers each method with the contract's example; records what it was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, dict[str, str], Any]] = []
        self.answers: dict[str, str | dict[str, Any]] = {
            "get_events": EVENTS, "get_completion_details": COMPLETION,
            "get_orders": ORDER, "search_orders": {"success": True, "orders": []}}

    def app(self) -> Starlette:
        async def method(request: Request) -> JSONResponse:
            name = request.path_params["name"]
            query = dict(request.query_params)
            raw = await request.body()
            self.asked.append((name, query, json.loads(raw) if raw else None))
            if query.pop("key", None) != KEY:
                return JSONResponse({"success": False, "code": "AUTH_KEY_UNKNOWN"})
            if name == "get_routes":
                answer: Any = ROUTES if query.get("date") == "2026-03-03" else {
                    "success": True, "routes": []}
            else:
                answer = self.answers.get(name, ERROR)
            return JSONResponse(json.loads(answer) if isinstance(answer, str) else answer)

        return Starlette(routes=[Route("/v1/{name}", method, methods=["GET", "POST"])])


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(datetime(2026, 3, 3, 13, 0, tzinfo=UTC))  # 07:00 in Cicero


@pytest.fixture
def documented() -> Iterator[tuple[Documented, str]]:
    doc, served = Documented(), Served("documented OptimoRoute")
    url = served.start(doc.app())
    yield doc, f"{url}/v1"
    served.stop()


@pytest.fixture
def account(documented: tuple[Documented, str]) -> tuple[str, str]:
    return documented[1], KEY


@pytest.fixture
def mapping() -> PlatformConfig:
    return MAPPING


def test_the_documented_route_plans_the_documented_order(
        rt: Runtime, connector: OptimoRouteConnector, documented: tuple[Documented, str]) -> None:
    report = connector.sync([DAY])
    assert report.fetched == {"orders": 0, "routes": 1, "drivers": 1}

    planned = route(rt, "102:2026-03-03")
    assert planned.driver_id == "D-44"  # the driver's external id is the operator's id
    assert planned.depot_id == "chi-w"
    assert route_stops(rt, "102:2026-03-03") == ["A-1"]  # the break is not a stop
    # 09:40 local (Central) less the 900 s from the depot; the route lasts 412 minutes
    assert planned.planned_start == datetime(2026, 3, 3, 15, 25, tzinfo=UTC)
    assert planned.planned_end == datetime(2026, 3, 3, 22, 17, tzinfo=UTC)
    a1 = delivery(rt, "A-1")  # the stop's order was read: get_orders
    assert (a1.status.value, a1.planned_arrival) == ("scheduled",
                                                     datetime(2026, 3, 3, 15, 40, tzinfo=UTC))
    assert (a1.address_line1, a1.address_city, a1.window_start) == (
        "12 Elm St", "Springfield", datetime(2026, 3, 3, 15, 0, tzinfo=UTC))
    assert a1.instructions == "Ring twice"
    assert one(rt, drivers, "D-44").name == "Sam Lee"
    asked = [name for name, _, _ in documented[0].asked]
    assert asked == ["search_orders", "get_routes", "get_orders", "get_completion_details"]


def test_the_documented_events_with_their_proof_of_delivery(
        rt: Runtime, connector: OptimoRouteConnector, documented: tuple[Documented, str]) -> None:
    connector.sync([DAY])
    report = connector.poll()

    assert report.fetched["events"] == 2
    sam = one(rt, drivers, "D-44")
    assert sam.on_duty is True  # serial 102 is D-44 since the route said so
    a1 = delivery(rt, "A-1")
    assert (a1.status.value, a1.status_at) == ("failed", datetime(2026, 3, 3, 15, 40,
                                                                   tzinfo=UTC))
    with rt.db.reading() as s:
        [attempt] = s.execute(attempts.select().where(attempts.c.delivery_id == "A-1")).all()
    assert attempt.failure_reason.value == "not_home"  # "Nobody home, gate locked"
    assert attempt.notes == "Nobody home, gate locked"
    doc = documented[0]
    [events_call] = [q for name, q, _ in doc.asked if name == "get_events"]
    assert "after_tag" not in events_call  # the first read starts at the oldest event
    [pod_call] = [b for name, _, b in doc.asked if name == "get_completion_details"][-1:]
    assert pod_call == {"orders": [{"orderNo": "A-1"}]}

    again = connector.poll()  # from the saved tag: the same page is all repeats here
    [_, second] = [q for name, q, _ in doc.asked if name == "get_events"]
    assert second["after_tag"] == "c2VxOjE4NDQ2"
    assert (again.stored, again.duplicates) == (0, 2)


def test_a_documented_error_is_a_refusal_with_its_code(
        connector: OptimoRouteConnector, documented: tuple[Documented, str]) -> None:
    with pytest.raises(PlatformError) as refused:
        connector.account.client.get("get_scheduling_info", orderNo="A-1")
    assert (refused.value.code, refused.value.detail) == ("ERR_MISSING_MAND_FIELD",
                                                          "Field 'date' is missing")
    assert "key" not in str(refused.value) and KEY not in str(refused.value)
