"""OptimoRoute's words in doorstep's, without I/O: addresses, failure reasons from the driver's
note, events, orders, routes and times (contracts/optimoroute.md §3, §5.1, §6.1, §9.1, §11)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from doorstep.config import PlatformConfig, load_operator
from doorstep.connectors.optimoroute import events as ev
from doorstep.connectors.optimoroute import orders as o
from doorstep.connectors.optimoroute import routes as r
from doorstep.connectors.optimoroute import times
from doorstep.connectors.received import Unmappable
from doorstep.domain import EventType, FailureReason
from tests.conftest import OPERATOR_FILE

CTX = o.Context.of(load_operator(OPERATOR_FILE), PlatformConfig(
    default_depot="nyc-bk", default_shipper="threadline", shipper_field="customField1",
    depot_field="customField2", shippers={"FC": "freshcart"}, depots={"Cicero": "chi-w"}))
REFS = ev.Refs(delivery=lambda n: None if n.startswith("P-") else f"d:{n}",
               driver=lambda s: f"drv:{s}", route=lambda s, d: f"{s}:{d}")
AT = {"unixTimestamp": 1772552400, "utcTime": "2026-03-03T15:40:00",
      "localTime": "2026-03-03T09:40:00"}


@pytest.mark.parametrize(("line", "parts"), [
    ("12 Elm St, Springfield", ("12 Elm St", None, "Springfield", None, "-")),
    ("9 Main St, Apt 4, Hoboken, NJ 07030, USA", ("9 Main St", "Apt 4", "Hoboken", "NJ", "07030")),
    ("1 Oak Ave, Tempe, AZ", ("1 Oak Ave", None, "Tempe", "AZ", "-")),
    ("1 Oak Ave, Chicago, 60804-1234", ("1 Oak Ave", None, "Chicago", None, "60804-1234")),
    ("", ("Ana Ruiz", None, "-", None, "-")),
])
def test_one_line_addresses_are_split_into_doorsteps_parts(line: str, parts: tuple) -> None:
    got = o.address({"address": line, "locationName": "Ana Ruiz"}, "A-1")
    assert (got["line1"], got.get("line2"), got["city"], got.get("region"),
            got["postal_code"]) == parts


def test_coordinates_are_kept_only_when_they_are_coordinates() -> None:
    assert o.address({"address": "x", "latitude": 39.78, "longitude": -89.65}, "A")["lat"] == 39.78
    assert "lat" not in o.address({"address": "x", "latitude": 91, "longitude": 0}, "A")
    assert "lat" not in o.address({"address": "x", "latitude": True, "longitude": 0}, "A")


@pytest.mark.parametrize(("note", "reason"), [
    ("Nobody home, gate locked", FailureReason.NOT_HOME),  # §9.1's sample: the first said wins
    ("Gate locked, nobody home", FailureReason.ACCESS),
    ("Customer refused the parcel", FailureReason.REFUSED),
    ("Address not found", FailureReason.WRONG_ADDRESS),
    ("Box damaged in transit", FailureReason.DAMAGED),
    ("flat tyre", FailureReason.OTHER),
    (None, FailureReason.OTHER),
])
def test_the_drivers_note_gives_the_failure_reason(note: str | None,
                                                   reason: FailureReason) -> None:
    assert ev.failure_reason(note) is reason


def event(kind: str, **fields: Any) -> dict[str, Any]:
    return {"event": kind, **AT, "driverSerial": "102", "driverName": "Sam Lee", **fields}


def test_driver_and_route_events() -> None:
    duty = ev.translate(event("off_duty"), REFS)
    assert duty is not None and duty.items == [(EventType.DRIVER_DUTY_CHANGED,
                                                {"driver_id": "drv:102", "on_duty": False})]
    assert duty.occurred_at == datetime(2026, 3, 3, 15, 40, tzinfo=UTC)
    started = ev.translate(event("start_route"), REFS)
    assert started is not None and started.items == [(EventType.ROUTE_STARTED,
                                                      {"route_id": "102:2026-03-03"})]
    assert duty.key == "ev:off_duty::102:1772552400"  # §11.2: event, order, driver, time


def test_order_events_with_the_completion_form() -> None:
    form = {"form": {"note": "Left at the door", "signature": {"url": "https://x/s.png"},
                     "images": [{"type": "image", "url": "https://x/1.jpg"}]}}
    done = ev.translate(event("success", orderNo="A-1", orderId="9f"), REFS, form)
    assert done is not None and done.items == [(EventType.DELIVERY_DELIVERED, {
        "delivery_id": "d:A-1", "notes": "Left at the door",
        "pod": {"photo_url": "https://x/1.jpg", "signature_url": "https://x/s.png"}})]
    rejected = ev.translate(event("rejected", orderNo="A-1"), REFS, {"form": {"note": "full"}})
    assert rejected is not None and rejected.items[0][1] == {
        "delivery_id": "d:A-1", "reason": "other", "notes": "rejected by the driver: full"}
    eta = ev.translate(event("start_time_changed", orderNo="A-1", plannedStartTime={
        "unixTimestamp": 1772553000}), REFS)
    assert eta is not None and eta.items[0][1]["eta"] == "2026-03-03T15:50:00+00:00"


def test_what_means_nothing_to_doorstep_and_what_does_not_hold_up() -> None:
    assert ev.translate(event("start_time_changed", orderNo="A-1"), REFS) is None
    assert ev.translate(event("success", orderNo="P-1"), REFS) is None  # a pickup
    for bad, why in ((event("teleported"), "unknown event"),
                     (event("success"), "without orderNo"),
                     ({"event": "on_duty", "driverSerial": "1"}, "no unixTimestamp"),
                     ({"unixTimestamp": 1}, "no event name")):
        with pytest.raises(Unmappable, match=why):
            ev.translate(bad, REFS)


def test_orders_ids_shippers_depots_phones_and_notes() -> None:
    data: dict[str, Any] = {"orderNo": "A-1-R2", "customField5": "A-1", "date": "2026-03-04",
                            "type": "D", "customField1": "FC", "customField2": "Cicero",
                            "phone": "(212) 555-0143", "email": "not an email",
                            "notes": "Ring twice\n[doorstep] disposition: redeliver",
                            "timeWindows": [{"twFrom": "13:00", "twTo": "15:00"},
                                            {"twFrom": "09:00", "twTo": "08:00"}],
                            "location": {"address": "1 Oak Ave, Cicero, IL 60804"}}
    assert (o.delivery_id(data), o.redelivery_number(data)) == ("A-1", 2)
    created = o.delivery_created(CTX, data)
    assert (created["delivery_id"], created["shipper"], created["depot"]) == (
        "A-1", "freshcart", "chi-w")
    assert created["recipient"] == {"name": "Recipient", "phone": "+12125550143"}
    assert created["instructions"] == "Ring twice"
    assert created["window_start"] == "2026-03-04T13:00:00-06:00"  # Cicero is Central time
    assert o.shipper_of(CTX, {"customField1": "medirx"}) == "medirx"
    assert o.shipper_of(CTX, {"customFields": {"customField1": "??"}}) == "threadline"
    assert o.e164("call the shop") is None
    with pytest.raises(Unmappable, match="not YYYY-MM-DD"):
        o.delivery_created(CTX, {**data, "date": "4 March"})


def test_routes_ids_and_depots() -> None:
    assert r.split_route_id("D:102:2026-03-03") == ("D:102", date(2026, 3, 3))
    with pytest.raises(ValueError, match="driverSerial"):
        r.split_route_id("102")
    assert r.depot_of(CTX, {"driverSerial": "9"}, ["nyc-qn", "chi-w", "nyc-qn"]) == "nyc-qn"
    assert r.depot_of(CTX, {"driverSerial": "Cicero"}, ["nyc-qn"]) == "chi-w"


def test_times() -> None:
    chicago = ZoneInfo("America/Chicago")
    assert times.local("2026-03-03T09:40:00", chicago) == times.local("2026-03-03 09:40:00",
                                                                         chicago)
    assert times.instant({"utcTime": "2026-03-03T15:40:00"}) == datetime(2026, 3, 3, 15, 40,
                                                                          tzinfo=UTC)
    assert times.window(date(2026, 3, 3), [{"twFrom": "25:00", "twTo": "26:00"}], chicago) is None
