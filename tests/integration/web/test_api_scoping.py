"""What a shipper sees through the JSON API: its own data in every list and detail, nothing of
another shipper's (not even that it exists), and none of the operator's staff."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from doorstep.domain.access import Role
from doorstep.store.tables import deliveries, events
from tests.integration.web.conftest import OTHER_SHIPPER, Site
from tests.integration.web.test_api import LISTS, day_with_extras, ids, walk

FRESHCART = ["D-A1", "D-A2", "D-A3", "D-C1"]
# Anything of homenest's, or the operator's that is not on freshcart's route.
NOT_FRESHCARTS = ["homenest", "Other Ave", "Other", "D-B", "R-B", "DR2", "VAN-1", "V1",
                  "nyc-qn"]


@pytest.fixture(params=["token", "session"])
def freshcart(site: Site, request: pytest.FixtureRequest) -> httpx.Client:
    day_with_extras(site)
    if request.param == "token":
        return site.bearer(Role.SHIPPER, "freshcart")
    return site.as_role(Role.SHIPPER, "freshcart")


def own_event_ids(site: Site, shipper: str) -> list[int]:
    mine = sa.select(sa.literal("delivery:") + deliveries.c.id).where(
        deliveries.c.shipper_id == shipper)
    with site.rt.db.reading() as s:
        return list(s.scalars(sa.select(events.c.id).where(events.c.subject.in_(mine))
                              .order_by(events.c.id)))


def event_id(site: Site, external_id: str) -> int:
    with site.rt.db.reading() as s:
        return int(s.scalar(sa.select(events.c.id).where(events.c.external_id == external_id))
                   or 0)


def test_deliveries_are_its_own_whatever_the_filters(freshcart: httpx.Client) -> None:
    assert ids(walk(freshcart, "/api/v1/deliveries")) == FRESHCART
    assert ids(walk(freshcart, "/api/v1/deliveries", {"shipper": "freshcart"})) == FRESHCART
    assert walk(freshcart, "/api/v1/deliveries", {"shipper": OTHER_SHIPPER}) == []
    assert ids(walk(freshcart, "/api/v1/deliveries", {"route": "R-A"})) == [
        "D-A1", "D-A2", "D-A3"]
    assert walk(freshcart, "/api/v1/deliveries", {"route": "R-B"}) == []
    assert ids(walk(freshcart, "/api/v1/deliveries", {"status": "failed"})) == ["D-A2"]
    assert ids(walk(freshcart, "/api/v1/deliveries", {"market": "nyc", "limit": "1"})) == [
        "D-A1", "D-A2", "D-A3"]


def test_another_shippers_things_look_like_things_that_do_not_exist(
        site: Site, freshcart: httpx.Client) -> None:
    pairs = [("/api/v1/deliveries/D-B1", "/api/v1/deliveries/D-NOPE"),
             ("/api/v1/routes/R-B", "/api/v1/routes/R-NOPE"),
             (f"/api/v1/events/{event_id(site, 'fb1')}", "/api/v1/events/999999"),
             (f"/api/v1/events/{event_id(site, 'ra')}", "/api/v1/events/999998")]
    for theirs, missing in pairs:
        a, b = freshcart.get(theirs), freshcart.get(missing)
        assert a.status_code == b.status_code == 404, theirs
        assert a.json() == b.json(), theirs
    assert freshcart.get("/api/v1/deliveries/D-A1").status_code == 200


def test_routes_that_carry_its_deliveries_with_its_own_stops_and_no_vehicle(
        freshcart: httpx.Client) -> None:
    listed = walk(freshcart, "/api/v1/routes")
    route = freshcart.get("/api/v1/routes/R-A").json()

    assert ids(listed) == ["R-A"]
    assert {k: route[k] for k in listed[0]} == listed[0]
    assert route["partial"] is True
    assert route["vehicle"] is None and route["vehicle_id"] is None
    assert [(s["sequence"], s["delivery_id"]) for s in route["stops"]] == [
        (1, "D-A1"), (3, "D-A2"), (4, "D-A3")]
    assert {s["shipper_id"] for s in route["stops"]} == {"freshcart"}
    assert (route["stop_count"], route["stops_done"], route["stops_failed"]) == (3, 1, 1)
    assert walk(freshcart, "/api/v1/routes", {"driver": "DR2"}) == []
    assert ids(walk(freshcart, "/api/v1/routes", {"market": "nyc", "status": "in_progress"})) == [
        "R-A"]


def test_events_about_its_own_deliveries_only(site: Site, freshcart: httpx.Client) -> None:
    listed = walk(freshcart, "/api/v1/events", limit=3)

    assert [e["id"] for e in listed] == own_event_ids(site, "freshcart")
    assert {e["subject"] for e in listed} == {f"delivery:{d}" for d in FRESHCART}
    assert walk(freshcart, "/api/v1/events", {"subject": "delivery:D-B1"}) == []
    assert walk(freshcart, "/api/v1/events", {"subject": "route:R-A"}) == []
    assert [e["external_id"] for e in walk(freshcart, "/api/v1/events",
                                           {"type": "delivery.failed"})] == ["fa2"]
    own = freshcart.get(f"/api/v1/events/{event_id(site, 'fa2')}")
    assert own.status_code == 200 and own.json()["payload"]["delivery_id"] == "D-A2"


@pytest.mark.parametrize("path", ["/api/v1/drivers", "/api/v1/drivers?on_duty=true",
                                  "/api/v1/drivers/DR1", "/api/v1/drivers/DR-NOPE"])
def test_drivers_are_not_for_a_shipper(freshcart: httpx.Client, path: str) -> None:
    answer = freshcart.get(path)
    assert answer.status_code == 403
    assert "shipper" in answer.json()["detail"]


def test_nothing_of_another_shipper_in_any_answer(site: Site, freshcart: httpx.Client) -> None:
    seen: list[Any] = []
    for path in LISTS:
        if path != "/api/v1/drivers":
            seen += walk(freshcart, path, limit=1)
    for path in ["/api/v1/deliveries/D-A1", "/api/v1/deliveries/D-C1", "/api/v1/routes/R-A",
                 *[f"/api/v1/events/{i}" for i in own_event_ids(site, "freshcart")]]:
        answer = freshcart.get(path)
        assert answer.status_code == 200, path
        seen.append(answer.json())
    text = json.dumps(seen)

    assert "Robin Recipient" in text  # its own recipients are its to see
    for leak in NOT_FRESHCARTS:
        assert leak not in text, leak


def test_the_other_shipper_sees_the_shared_route_with_its_one_stop(site: Site) -> None:
    day_with_extras(site)
    homenest = site.bearer(Role.SHIPPER, OTHER_SHIPPER)

    assert ids(walk(homenest, "/api/v1/deliveries")) == ["D-B1", "D-B2", "D-B3"]
    assert ids(walk(homenest, "/api/v1/routes")) == ["R-A", "R-B"]
    shared = homenest.get("/api/v1/routes/R-A").json()
    assert [s["delivery_id"] for s in shared["stops"]] == ["D-B1"]
    assert (shared["stop_count"], shared["stops_done"], shared["stops_failed"]) == (1, 0, 1)
    assert homenest.get("/api/v1/deliveries/D-A1").status_code == 404
    assert [e["id"] for e in walk(homenest, "/api/v1/events")] == own_event_ids(
        site, OTHER_SHIPPER)
