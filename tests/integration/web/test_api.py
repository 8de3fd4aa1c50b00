"""The JSON API over real HTTP: shapes, cursor pages, filters, bad input, credentials, OpenAPI.

What a shipper may see through the API is in test_api_scoping.py.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from doorstep.access import api_tokens
from doorstep.domain import EventType
from doorstep.domain.access import Role
from doorstep.events.format import make_event
from doorstep.store.tables import events
from tests import factories as ev
from tests.integration.web.conftest import OTHER_SHIPPER, Site, two_shippers_day

DAY, NEXT_DAY = "2026-11-24", "2026-11-25"
LISTS = ["/api/v1/deliveries", "/api/v1/routes", "/api/v1/drivers", "/api/v1/events"]
OPERATOR_ROLES = [Role.ADMIN, Role.DISPATCHER, Role.SUPERVISOR, Role.LEADERSHIP]


def day_with_extras(site: Site, *, only_new: bool = False) -> None:
    """The two shippers' morning with a van on R-A; an hour later, driver DR3 (on call, in
    Queens), DR1 on duty and freshcart's D-C1 in Chicago tomorrow. `only_new`: two more of
    homenest's deliveries, one sorting before all the others, one after."""
    now = site.clock.now()
    if only_new:
        site.feed([ev.delivery_created("cb0", now, "D-B0", shipper=OTHER_SHIPPER),
                   ev.delivery_created("cb9", now, "D-B9", shipper=OTHER_SHIPPER)])
        return
    morning = two_shippers_day(site.clock)
    for e in morning:
        if e["id"] == "ra":
            e["data"]["vehicle_id"] = "V1"
    van = make_event("v1", EventType.VEHICLE_UPSERTED, now, {
        "vehicle_id": "V1", "depot": "nyc-bk", "vehicle_class": "cargo_van", "capacity": 120,
        "plate": "VAN-1"})
    site.feed([van, *morning])
    site.clock.advance(timedelta(hours=1))
    later = site.clock.now()
    on_call = ev.driver_upserted("dr3", later, "DR3", depot="nyc-qn")
    on_call["data"]["on_call"] = True
    site.feed([on_call,
               make_event("duty1", EventType.DRIVER_DUTY_CHANGED, later,
                          {"driver_id": "DR1", "on_duty": True}),
               ev.delivery_created("cc1", later, "D-C1", depot="chi-w",
                                   service_date=NEXT_DAY)])


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


def walk(c: httpx.Client, path: str, params: dict[str, str] | None = None, *,
         limit: int = 2, cursor: str | None = None) -> list[dict[str, Any]]:
    """Every item of a list, page by page, checking each page's length."""
    items: list[dict[str, Any]] = []
    while True:
        asked: dict[str, Any] = {**(params or {}), "limit": limit}
        if cursor:
            asked["cursor"] = cursor
        answer = c.get(path, params=asked)
        assert answer.status_code == 200, answer.text
        page = answer.json()
        assert len(page["items"]) <= limit
        assert page["next_cursor"] is None or len(page["items"]) == limit
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


ALL_DELIVERIES = ["D-A1", "D-A2", "D-A3", "D-B1", "D-B2", "D-B3", "D-C1"]
DETAILS = ["/api/v1/deliveries/D-A1", "/api/v1/routes/R-A", "/api/v1/drivers/DR1",
           "/api/v1/events/1"]
EVERY_ENDPOINT = [*LISTS, *DETAILS, "/api/v1/me"]


@pytest.fixture
def day(site: Site) -> Site:
    day_with_extras(site)
    return site


@pytest.fixture
def ops(day: Site) -> httpx.Client:
    return day.bearer(Role.DISPATCHER)


def db_event_ids(site: Site, *where: sa.ColumnElement[bool]) -> list[int]:
    with site.rt.db.reading() as s:
        return list(s.scalars(sa.select(events.c.id).where(*where).order_by(events.c.id)))


# --- who is asking ------------------------------------------------------------------------------

def test_me_names_the_token_or_the_person(site: Site) -> None:
    token = site.bearer(Role.SHIPPER, "freshcart").get("/api/v1/me")
    person = site.as_role(Role.SUPERVISOR).get("/api/v1/me")

    assert token.status_code == person.status_code == 200
    assert token.json() == {"kind": "token", "name": "test", "role": "shipper",
                            "shipper": "freshcart"}
    assert person.json()["kind"] == "user" and person.json()["role"] == "supervisor"
    assert person.json()["shipper"] is None
    assert token.headers["content-type"] == "application/json"


@pytest.mark.parametrize("path", EVERY_ENDPOINT)
def test_every_endpoint_wants_a_valid_token_or_session(site: Site, path: str) -> None:
    with site.rt.db.transaction() as s:
        secret, token = api_tokens.create(s, role=Role.ADMIN, shipper_id=None, name="old",
                                          now=site.clock.now())
        api_tokens.revoke(s, token.id, site.clock.now())
    asked = {
        "nothing": site.client().get(path),
        "wrong token": site.client(headers={"Authorization": "Bearer dst_wrong"}).get(path),
        "revoked token": site.client(headers={"Authorization": f"Bearer {secret}"}).get(path),
        "other scheme": site.client(headers={"Authorization": f"Basic {secret}"}).get(path),
        "stale cookie": site.client(cookies={"doorstep_session": "gone"}).get(path),
    }

    for why, answer in asked.items():
        assert answer.status_code == 401, why
        assert answer.headers["www-authenticate"] == "Bearer", why
        assert answer.json() == {"detail": "a bearer token or a session is needed"}, why


def test_a_dashboard_session_reads_the_api_too(day: Site) -> None:
    answer = day.as_role(Role.DISPATCHER).get("/api/v1/deliveries/D-A1")
    assert answer.status_code == 200 and answer.json()["id"] == "D-A1"


# --- shapes -------------------------------------------------------------------------------------

def test_a_delivery_in_the_list_and_on_its_own(ops: httpx.Client) -> None:
    listed = ops.get("/api/v1/deliveries").json()
    one = ops.get("/api/v1/deliveries/D-A1").json()

    assert set(listed) == {"items", "next_cursor"} and listed["next_cursor"] is None
    assert ids(listed["items"]) == ALL_DELIVERIES
    assert listed["items"][0] == one
    assert one["shipper_id"] == "freshcart" and one["market_id"] == "nyc"
    assert one["depot_id"] == "nyc-bk" and one["service_date"] == DAY
    assert one["status"] == "delivered" and one["route_id"] == "R-A"
    assert one["stop_sequence"] == 1 and one["attempt_count"] == 1
    assert one["address"] == {"line1": "1 Main St", "line2": None, "city": "Brooklyn",
                              "region": None, "postal_code": "11201", "country": "US",
                              "lat": None, "lon": None}
    assert one["delivered_at"] == "2026-11-24T11:10:00+00:00"  # 06:10 in New York, in UTC
    assert one["status_at"].endswith("+00:00") and one["planned_arrival"].endswith("+00:00")


def test_an_unknown_delivery_route_driver_or_event_is_a_json_404(ops: httpx.Client) -> None:
    for path, what in [("/api/v1/deliveries/D-NOPE", "delivery"), ("/api/v1/routes/R-NOPE", "route"),
                       ("/api/v1/drivers/DR-NOPE", "driver"), ("/api/v1/events/999999", "event")]:
        answer = ops.get(path)
        assert (answer.status_code, answer.json()) == (404, {"detail": f"no such {what}"})
    nowhere = ops.get("/api/v1/nowhere")
    assert nowhere.status_code == 404 and nowhere.json() == {"detail": "Not Found"}


def test_a_route_with_its_stops_in_order_its_driver_and_vehicle(ops: httpx.Client) -> None:
    listed = ops.get("/api/v1/routes").json()["items"]
    route = ops.get("/api/v1/routes/R-A").json()

    assert ids(listed) == ["R-A", "R-B"]
    assert {k: route[k] for k in listed[0]} == listed[0]
    assert route["status"] == "in_progress" and route["service_date"] == DAY
    assert (route["driver_id"], route["driver_name"]) == ("DR1", "Pat Driver")
    assert route["vehicle_id"] == "V1"
    assert route["vehicle"] == {"id": "V1", "vehicle_class": "cargo_van", "capacity": 120,
                                "plate": "VAN-1", "active": True}
    assert (route["stop_count"], route["stops_done"], route["stops_failed"]) == (4, 1, 2)
    assert route["partial"] is False and route["depot_name"]
    assert [(s["sequence"], s["delivery_id"]) for s in route["stops"]] == [
        (1, "D-A1"), (2, "D-B1"), (3, "D-A2"), (4, "D-A3")]
    first = route["stops"][0]
    assert (first["status"], first["delivery_status"], first["shipper_id"]) == (
        "done", "delivered", "freshcart")
    assert first["completed_at"].endswith("+00:00")


def test_drivers_and_one_driver(ops: httpx.Client) -> None:
    listed = ops.get("/api/v1/drivers").json()["items"]
    one = ops.get("/api/v1/drivers/DR3").json()

    assert ids(listed) == ["DR1", "DR2", "DR3"]
    assert listed[2] == one
    assert one["market_id"] == "nyc" and one["depot_id"] == "nyc-qn"
    assert (one["on_call"], one["on_duty"], one["active"]) == (True, False, True)
    assert one["phone"] == "+12125553000" and one["language"] == "en"


def test_events_as_stored_and_one_event(day: Site, ops: httpx.Client) -> None:
    listed = ops.get("/api/v1/events", params={"limit": 500}).json()["items"]
    failed = next(e for e in listed if e["external_id"] == "fb1")
    one = ops.get(f"/api/v1/events/{failed['id']}").json()

    assert [e["id"] for e in listed] == db_event_ids(day)
    assert one == failed
    assert one["source"] == "test" and one["type"] == "delivery.failed"
    assert one["subject"] == "delivery:D-B1" and one["status"] == "processed"
    assert one["payload"] == {"delivery_id": "D-B1", "reason": "access"}
    assert one["occurred_at"] == "2026-11-24T11:12:00+00:00"
    assert one["received_at"].endswith("+00:00") and one["tries"] >= 1


# --- pages --------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("limit", [1, 2, 3])
def test_small_pages_walk_every_item_exactly_once(ops: httpx.Client, path: str,
                                                  limit: int) -> None:
    everything = ops.get(path, params={"limit": 500}).json()
    walked = walk(ops, path, limit=limit)

    assert everything["next_cursor"] is None and len(everything["items"]) >= 2
    assert walked == everything["items"]  # same items, same order, none twice


def test_a_page_as_long_as_what_is_left_is_the_last(ops: httpx.Client) -> None:
    full = ops.get("/api/v1/deliveries", params={"limit": 7}).json()
    short = ops.get("/api/v1/deliveries", params={"limit": 6}).json()
    rest = ops.get("/api/v1/deliveries", params={"cursor": short["next_cursor"]}).json()

    assert len(full["items"]) == 7 and full["next_cursor"] is None
    assert len(short["items"]) == 6 and short["next_cursor"]
    assert ids(rest["items"]) == ["D-C1"] and rest["next_cursor"] is None


def test_pages_keep_their_filters_and_new_rows_come_at_their_place(day: Site,
                                                                   ops: httpx.Client) -> None:
    first = ops.get("/api/v1/deliveries", params={"shipper": "homenest", "limit": 2}).json()
    assert ids(first["items"]) == ["D-B1", "D-B2"]
    day_with_extras(day, only_new=True)  # D-B0 sorts before the cursor, D-B9 after it

    rest = walk(ops, "/api/v1/deliveries", {"shipper": "homenest"}, limit=2,
                cursor=first["next_cursor"])
    assert ids(rest) == ["D-B3", "D-B9"]


# --- filters ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("params", "expected"), [
    ({"market": "nyc"}, ["D-A1", "D-A2", "D-A3", "D-B1", "D-B2", "D-B3"]),
    ({"market": "chi"}, ["D-C1"]),
    ({"market": "phx"}, []),
    ({"depot": "chi-w"}, ["D-C1"]),
    ({"shipper": "homenest"}, ["D-B1", "D-B2", "D-B3"]),
    ({"status": "failed"}, ["D-A2", "D-B1"]),
    ({"status": "out_for_delivery"}, ["D-A3", "D-B3"]),
    ({"date": NEXT_DAY}, ["D-C1"]),
    ({"date": DAY, "market": "nyc", "status": "delivered"}, ["D-A1", "D-B2"]),
    ({"route": "R-B"}, ["D-B2", "D-B3"]),
    ({"route": "R-A", "shipper": "homenest"}, ["D-B1"]),
])
def test_delivery_filters(ops: httpx.Client, params: dict[str, str],
                          expected: list[str]) -> None:
    assert ids(walk(ops, "/api/v1/deliveries", params)) == expected


@pytest.mark.parametrize(("params", "expected"), [
    ({"market": "nyc"}, ["R-A", "R-B"]),
    ({"market": "chi"}, []),
    ({"depot": "nyc-bk"}, ["R-A", "R-B"]),
    ({"depot": "nyc-qn"}, []),
    ({"status": "in_progress"}, ["R-A", "R-B"]),
    ({"status": "planned"}, []),
    ({"date": DAY}, ["R-A", "R-B"]),
    ({"date": NEXT_DAY}, []),
    ({"driver": "DR2"}, ["R-B"]),
])
def test_route_filters(ops: httpx.Client, params: dict[str, str], expected: list[str]) -> None:
    assert ids(walk(ops, "/api/v1/routes", params)) == expected


@pytest.mark.parametrize(("params", "expected"), [
    ({"market": "nyc"}, ["DR1", "DR2", "DR3"]),
    ({"market": "chi"}, []),
    ({"depot": "nyc-qn"}, ["DR3"]),
    ({"on_duty": "true"}, ["DR1"]),
    ({"on_duty": "false"}, ["DR2", "DR3"]),
    ({"on_call": "1"}, ["DR3"]),
    ({"on_call": "false", "on_duty": "false"}, ["DR2"]),
])
def test_driver_filters(ops: httpx.Client, params: dict[str, str], expected: list[str]) -> None:
    assert ids(walk(ops, "/api/v1/drivers", params)) == expected


def test_event_filters(day: Site, ops: httpx.Client) -> None:
    def listed(**params: str) -> list[int]:
        return [e["id"] for e in walk(ops, "/api/v1/events", params)]

    later = day.clock.now() - timedelta(minutes=30)  # the extras came an hour after the day
    assert listed(source="test") == db_event_ids(day)
    assert listed(source="elsewhere") == []
    assert listed(type="delivery.failed") == db_event_ids(day, events.c.type == "delivery.failed")
    assert len(listed(type="delivery.failed")) == 2
    assert listed(status="processed") == db_event_ids(day, events.c.status == "processed")
    assert listed(status="failed") == []
    assert listed(subject="delivery:D-A1") == db_event_ids(
        day, events.c.subject == "delivery:D-A1")
    assert len(listed(subject="delivery:D-A1")) == 2
    assert listed(received_after=later.isoformat()) == db_event_ids(
        day, events.c.received_at >= later)
    assert listed(received_before=later.isoformat()) == db_event_ids(
        day, events.c.received_at < later)
    assert listed(received_after=later.isoformat()) and listed(received_before=later.isoformat())
    assert listed(received_after=later.isoformat(), received_before=later.isoformat()) == []
    # The same instant in another offset is the same filter.
    elsewhere = later.astimezone(tz=None).isoformat()
    assert listed(received_after=elsewhere) == listed(received_after=later.isoformat())


@pytest.mark.parametrize("role", OPERATOR_ROLES)
def test_every_operator_role_sees_everything(day: Site, role: Role) -> None:
    c = day.bearer(role)
    assert ids(walk(c, "/api/v1/deliveries")) == ALL_DELIVERIES
    assert ids(walk(c, "/api/v1/routes")) == ["R-A", "R-B"]
    assert ids(walk(c, "/api/v1/drivers")) == ["DR1", "DR2", "DR3"]
    assert [e["id"] for e in walk(c, "/api/v1/events")] == db_event_ids(day)


# --- bad input ----------------------------------------------------------------------------------

def other_list_cursor(c: httpx.Client) -> str:
    cursor = c.get("/api/v1/routes", params={"limit": 1}).json()["next_cursor"]
    assert cursor
    return str(cursor)


BAD = [
    ("/api/v1/deliveries", "status", "lost"),
    ("/api/v1/deliveries", "date", "2026-13-01"),
    ("/api/v1/deliveries", "date", "tomorrow"),
    ("/api/v1/deliveries", "market", "ny\x00c"),
    ("/api/v1/deliveries", "route", "R" * 129),
    ("/api/v1/routes", "status", "late"),
    ("/api/v1/routes", "date", "24/11/2026"),
    ("/api/v1/drivers", "on_duty", "maybe"),
    ("/api/v1/drivers", "on_call", "2"),
    ("/api/v1/events", "status", "done"),
    ("/api/v1/events", "received_after", "2026-11-24T06:00:00"),  # no offset
    ("/api/v1/events", "received_before", "yesterday"),
    ("/api/v1/events", "received_after", "0001-01-01T00:00:00+05:00"),  # before year 1 in UTC
    *[(path, "limit", value) for path in LISTS for value in ("0", "501", "-1", "ten")],
    *[(path, "cursor", value) for path in LISTS
      for value in ("garbage", "!!!", "W10", "WyJkZWxpdmVyaWVzIl0", "x" * 401)],
    ("/api/v1/events", "cursor", "WyJldmVudHMiLCJ4Il0"),  # ["events","x"]: not an id of events
    ("/api/v1/deliveries", "cursor", "WyJkZWxpdmVyaWVzIiw3XQ"),  # ["deliveries",7]
]


@pytest.mark.parametrize(("path", "name", "value"), BAD)
def test_a_bad_value_is_a_422_naming_the_parameter(ops: httpx.Client, path: str, name: str,
                                                   value: str) -> None:
    answer = ops.get(path, params={name: value})

    assert answer.status_code == 422, answer.text
    assert [e["loc"] for e in answer.json()["detail"]] == [["query", name]]


@pytest.mark.parametrize("path", ["/api/v1/deliveries", "/api/v1/drivers", "/api/v1/events"])
def test_a_cursor_of_another_list_is_refused(ops: httpx.Client, path: str) -> None:
    answer = ops.get(path, params={"cursor": other_list_cursor(ops)})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["query", "cursor"]


@pytest.mark.parametrize("path", ["/api/v1/events/0", "/api/v1/events/x",
                                  "/api/v1/events/99999999999999999999",
                                  "/api/v1/deliveries/D%00A1", f"/api/v1/routes/{'R' * 129}"])
def test_a_bad_id_is_a_422_naming_it(ops: httpx.Client, path: str) -> None:
    answer = ops.get(path)
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["path", "id"]


# --- the document -------------------------------------------------------------------------------

def test_the_openapi_document_lists_every_endpoint_and_its_parameters(site: Site) -> None:
    answer = site.client().get("/api/v1/openapi.json")
    doc: dict[str, Any] = answer.json()

    assert answer.status_code == 200 and doc["openapi"].startswith("3.")
    assert doc["servers"] == [{"url": "/api/v1"}]
    assert set(doc["paths"]) == {"/me", "/deliveries", "/deliveries/{id}", "/routes",
                                 "/routes/{id}", "/drivers", "/drivers/{id}", "/events",
                                 "/events/{id}"}
    assert all(set(ops) == {"get"} for ops in doc["paths"].values())

    def params(path: str) -> set[str]:
        return {p["name"] for p in doc["paths"][path]["get"].get("parameters", [])}

    paging = {"limit", "cursor"}
    assert params("/deliveries") == paging | {"market", "depot", "shipper", "status", "date",
                                              "route"}
    assert params("/routes") == paging | {"market", "depot", "status", "date", "driver"}
    assert params("/drivers") == paging | {"market", "depot", "on_duty", "on_call"}
    assert params("/events") == paging | {"source", "type", "status", "subject",
                                          "received_after", "received_before"}
    for path in ("/deliveries/{id}", "/routes/{id}", "/drivers/{id}", "/events/{id}"):
        assert params(path) == {"id"}
    assert params("/me") == set()

    schemas = doc["components"]["schemas"]
    statuses = schemas["DeliveryStatus"]["enum"]
    assert "out_for_delivery" in statuses and "failed" in statuses
    assert {"items", "next_cursor"} <= set(schemas["Page_Delivery_"]["properties"])
    assert set(doc["components"]["securitySchemes"]) == {"bearer", "session"}
    responses = doc["paths"]["/deliveries"]["get"]["responses"]
    assert {"200", "401", "422"} <= set(responses)
    assert "403" in doc["paths"]["/drivers/{id}"]["get"]["responses"]
