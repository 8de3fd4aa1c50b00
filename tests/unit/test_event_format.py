"""Event format v1: every type's minimal example parses; every kind of mistake is named."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from typing import Any

import pytest

from doorstep.domain import EventType as T
from doorstep.domain.event import INTERNAL_TYPES
from doorstep.events.format import DATA_MODELS, FORMAT_VERSION, make_event, subject_of
from doorstep.events.parse import InvalidEvent, parse_event

AT = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
ISO = "2026-11-24T10:00:00+00:00"
LATER = "2026-11-24T18:00:00+00:00"

MINIMAL: dict[T, dict[str, Any]] = {
    T.DRIVER_UPSERTED: {"driver_id": "DR1", "name": "Pat", "depot": "nyc-bk"},
    T.DRIVER_DUTY_CHANGED: {"driver_id": "DR1", "on_duty": True},
    T.VEHICLE_UPSERTED: {"vehicle_id": "V1", "depot": "nyc-bk", "vehicle_class": "cargo_van"},
    T.SHIFT_PLANNED: {"shift_id": "S1", "depot": "nyc-bk", "service_date": "2026-11-24",
                      "starts_at": ISO, "ends_at": LATER},
    T.SHIFT_CONFIRMED: {"shift_id": "S1"},
    T.SHIFT_CALLOUT: {"shift_id": "S1"},
    T.DELIVERY_CREATED: {"delivery_id": "D1", "shipper": "freshcart", "depot": "nyc-bk",
                         "service_date": "2026-11-24", "recipient": {"name": "R"},
                         "address": {"line1": "1 Main St", "city": "Brooklyn",
                                     "postal_code": "11201"}},
    T.DELIVERY_ETA_UPDATED: {"delivery_id": "D1", "eta": ISO},
    T.DELIVERY_ARRIVED: {"delivery_id": "D1"},
    T.DELIVERY_DELIVERED: {"delivery_id": "D1"},
    T.DELIVERY_FAILED: {"delivery_id": "D1", "reason": "not_home"},
    T.DELIVERY_CANCELLED: {"delivery_id": "D1"},
    T.ROUTE_PLANNED: {"route_id": "R1", "depot": "nyc-bk", "service_date": "2026-11-24",
                      "planned_start": ISO, "stops": []},
    T.ROUTE_STARTED: {"route_id": "R1"},
    T.ROUTE_COMPLETED: {"route_id": "R1"},
    T.EXCEPTION_REPORTED: {"exception_id": "X1", "kind": "breakdown", "severity": "high",
                           "market": "nyc"},
    T.EXCEPTION_RESOLVED: {"exception_id": "X1"},
    T.MESSAGE_RECEIVED: {"channel": "sms", "from_addr": "+12125552000",
                         "to_addr": "+12125550110", "body": "STOP"},
}
SUBJECTS = {T.DRIVER_UPSERTED: "driver:DR1", T.DRIVER_DUTY_CHANGED: "driver:DR1",
            T.VEHICLE_UPSERTED: "vehicle:V1", T.SHIFT_PLANNED: "shift:S1",
            T.SHIFT_CONFIRMED: "shift:S1", T.SHIFT_CALLOUT: "shift:S1",
            T.ROUTE_PLANNED: "route:R1", T.ROUTE_STARTED: "route:R1",
            T.ROUTE_COMPLETED: "route:R1", T.EXCEPTION_REPORTED: "exception:X1",
            T.EXCEPTION_RESOLVED: "exception:X1", T.MESSAGE_RECEIVED: None,
            **{t: "delivery:D1" for t in T if t.value.startswith("delivery.")}}


def event(event_type: T, data: dict[str, Any] | None = None, **envelope: Any) -> dict[str, Any]:
    raw = make_event("ev-1", event_type, AT, copy.deepcopy(
        MINIMAL[event_type] if data is None else data))
    raw.update(envelope)
    return raw


def problems(raw: Any) -> list[str]:
    with pytest.raises(InvalidEvent) as err:
        parse_event(raw)
    assert err.value.problems, "an InvalidEvent names at least one problem"
    assert str(err.value) == "; ".join(err.value.problems)
    return err.value.problems


OUTSIDE = [t for t in T if t not in INTERNAL_TYPES]


def test_every_event_type_has_a_model_and_an_example():
    assert set(DATA_MODELS) == set(T)
    assert set(OUTSIDE) == set(MINIMAL) == set(SUBJECTS)


def test_doorstep_s_own_event_types_are_refused_from_outside():
    for event_type in INTERNAL_TYPES:
        assert any("made by doorstep itself" in p for p in problems(event(event_type, {})))


@pytest.mark.parametrize("event_type", OUTSIDE, ids=lambda t: t.value)
def test_minimal_example_parses(event_type):
    env, data = parse_event(event(event_type))
    assert env.type is event_type
    assert env.version == FORMAT_VERSION == "1"
    assert env.id == "ev-1"
    assert env.occurred_at == AT and env.occurred_at.tzinfo is not None
    assert isinstance(data, DATA_MODELS[event_type])
    assert subject_of(event_type, data) == SUBJECTS[event_type]


def test_parsed_values_are_typed_and_defaults_filled():
    _, data = parse_event(event(T.DELIVERY_CREATED))
    assert data.service_date == date(2026, 11, 24)
    assert data.address.country == "US" and data.recipient.language == "en"
    assert data.time_sensitive is False and data.window_start is None
    _, failed = parse_event(event(T.DELIVERY_FAILED))
    assert failed.reason.value == "not_home"


def test_make_event_round_trips_offsets():
    from zoneinfo import ZoneInfo

    local = datetime(2026, 7, 1, 8, 0, tzinfo=ZoneInfo("America/New_York"))
    raw = make_event("x", T.ROUTE_STARTED, local, {"route_id": "R1"})
    assert raw["occurred_at"] == "2026-07-01T08:00:00-04:00"
    env, _ = parse_event(raw)
    assert env.occurred_at == local


# --- envelope mistakes --------------------------------------------------------------------------

def test_unknown_type_is_named():
    [p] = problems(event(T.ROUTE_STARTED, type="route.teleported"))
    assert p.startswith("type:")


def test_wrong_version_is_named():
    assert any(p.startswith("version:") for p in problems(event(T.ROUTE_STARTED, version="2")))


@pytest.mark.parametrize("missing", ["version", "id", "type", "occurred_at", "data"])
def test_missing_envelope_field_is_named(missing):
    raw = event(T.ROUTE_STARTED)
    del raw[missing]
    assert any(p.startswith(f"{missing}:") and "required" in p.lower()
               for p in problems(raw))


def test_extra_envelope_field_is_named():
    [p] = problems(event(T.ROUTE_STARTED, source="me"))
    assert p.startswith("source:") and "not permitted" in p


def test_naive_occurred_at_is_refused():
    [p] = problems(event(T.ROUTE_STARTED, occurred_at="2026-11-24T09:30:00"))
    assert p.startswith("occurred_at:") and "timezone" in p.lower()


@pytest.mark.parametrize("raw", [None, [], "text", 42])
def test_not_an_object_is_refused(raw):
    assert problems(raw)


def test_empty_id_is_refused():
    assert any(p.startswith("id:") for p in problems(event(T.ROUTE_STARTED, id="  ")))


# --- data mistakes ------------------------------------------------------------------------------

@pytest.mark.parametrize("event_type", OUTSIDE, ids=lambda t: t.value)
def test_every_required_data_field_is_named_when_missing(event_type):
    for field in MINIMAL[event_type]:
        model_field = DATA_MODELS[event_type].model_fields[field]
        if not model_field.is_required():
            continue
        data = copy.deepcopy(MINIMAL[event_type])
        del data[field]
        ps = problems(event(event_type, data))
        assert any(p.startswith(f"data.{field}:") and "required" in p.lower() for p in ps), ps


@pytest.mark.parametrize("event_type", OUTSIDE, ids=lambda t: t.value)
def test_an_extra_data_field_is_named(event_type):
    data = {**MINIMAL[event_type], "colour": "blue"}
    [p] = problems(event(event_type, data))
    assert p.startswith("data.colour:") and "not permitted" in p


def test_nested_extra_and_missing_fields_carry_their_path():
    data = copy.deepcopy(MINIMAL[T.DELIVERY_CREATED])
    data["address"]["flat"] = "3B"
    del data["recipient"]["name"]
    ps = problems(event(T.DELIVERY_CREATED, data))
    assert any(p.startswith("data.address.flat:") for p in ps)
    assert any(p.startswith("data.recipient.name:") for p in ps)


@pytest.mark.parametrize("event_type,field", [
    (T.DELIVERY_ETA_UPDATED, "eta"),
    (T.SHIFT_PLANNED, "starts_at"),
    (T.ROUTE_PLANNED, "planned_start"),
])
def test_naive_timestamps_in_data_are_refused(event_type, field):
    data = {**MINIMAL[event_type], field: "2026-11-24T08:00:00"}
    ps = problems(event(event_type, data))
    assert any(p.startswith(f"data.{field}:") and "timezone" in p.lower() for p in ps), ps


@pytest.mark.parametrize("event_type,field,bad", [
    (T.DELIVERY_FAILED, "reason", "lost_in_space"),
    (T.VEHICLE_UPSERTED, "vehicle_class", "hovercraft"),
    (T.EXCEPTION_REPORTED, "severity", "apocalyptic"),
    (T.EXCEPTION_REPORTED, "kind", "alien"),
    (T.MESSAGE_RECEIVED, "channel", "pigeon"),
])
def test_bad_enum_values_are_named(event_type, field, bad):
    data = {**MINIMAL[event_type], field: bad}
    [p] = problems(event(event_type, data))
    assert p.startswith(f"data.{field}:")


@pytest.mark.parametrize("event_type,field,bad", [
    (T.DELIVERY_CREATED, "service_date", "24/11/2026"),
    (T.DRIVER_DUTY_CHANGED, "on_duty", "sometimes"),
    (T.VEHICLE_UPSERTED, "capacity", -1),
    (T.DRIVER_UPSERTED, "language", "English"),
])
def test_wrong_types_and_ranges_are_named(event_type, field, bad):
    data = {**MINIMAL[event_type], field: bad}
    [p] = problems(event(event_type, data))
    assert p.startswith(f"data.{field}:")


def test_bad_phone_is_named():
    data = copy.deepcopy(MINIMAL[T.DELIVERY_CREATED])
    data["recipient"]["phone"] = "212-555-2000"
    [p] = problems(event(T.DELIVERY_CREATED, data))
    assert p.startswith("data.recipient.phone:")


@pytest.mark.parametrize("start,end", [(LATER, ISO), (ISO, ISO)])
def test_window_end_before_start_is_refused(start, end):
    data = {**MINIMAL[T.DELIVERY_CREATED], "window_start": start, "window_end": end}
    [p] = problems(event(T.DELIVERY_CREATED, data))
    assert p.startswith("data") and "window_end" in p


def test_window_half_given_is_refused():
    data = {**MINIMAL[T.DELIVERY_CREATED], "window_start": ISO}
    [p] = problems(event(T.DELIVERY_CREATED, data))
    assert "window_start" in p and "window_end" in p


def test_window_in_order_is_accepted():
    data = {**MINIMAL[T.DELIVERY_CREATED], "window_start": ISO, "window_end": LATER}
    _, parsed = parse_event(event(T.DELIVERY_CREATED, data))
    assert parsed.window_end > parsed.window_start


def test_shift_ending_before_it_starts_is_refused():
    data = {**MINIMAL[T.SHIFT_PLANNED], "starts_at": LATER, "ends_at": ISO}
    [p] = problems(event(T.SHIFT_PLANNED, data))
    assert "ends_at" in p


def stops(*pairs: tuple[str, int]) -> dict[str, Any]:
    return {**MINIMAL[T.ROUTE_PLANNED],
            "stops": [{"delivery_id": d, "sequence": s} for d, s in pairs]}


def test_duplicate_stop_sequences_are_refused():
    [p] = problems(event(T.ROUTE_PLANNED, stops(("D1", 1), ("D2", 1))))
    assert p.startswith("data") and "sequence" in p


def test_a_delivery_twice_on_a_route_is_refused():
    [p] = problems(event(T.ROUTE_PLANNED, stops(("D1", 1), ("D1", 2))))
    assert p.startswith("data") and "delivery" in p


def test_stop_errors_name_the_stop():
    ps = problems(event(T.ROUTE_PLANNED, stops(("D1", 1), ("D2", 0))))
    assert any(p.startswith("data.stops.1.sequence:") for p in ps), ps


def test_exception_must_be_placed():
    data = {k: v for k, v in MINIMAL[T.EXCEPTION_REPORTED].items() if k != "market"}
    [p] = problems(event(T.EXCEPTION_REPORTED, data))
    assert "market" in p and "depot" in p and "route" in p


def test_every_problem_is_reported_at_once():
    data = {"delivery_id": "", "reason": "nope", "extra": 1}
    ps = problems(event(T.DELIVERY_FAILED, data))
    assert {p.split(":")[0] for p in ps} == {"data.delivery_id", "data.reason", "data.extra"}


def test_parsed_models_are_frozen():
    _, data = parse_event(event(T.ROUTE_STARTED))
    with pytest.raises(Exception, match="frozen"):
        data.route_id = "R2"
