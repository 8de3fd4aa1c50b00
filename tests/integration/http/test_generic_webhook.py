"""POST /webhooks/generic over real HTTP: verified, stored once, processed; bad input refused."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from doorstep.store.tables import deliveries
from tests.integration.http.processes import (
    OTHER_SECRET,
    Server,
    delivery_event,
    encode,
    now,
    signed,
    signed_raw,
    statuses,
    wait_for_status,
)


@pytest.fixture
def unchanged(server: Server) -> Iterator[None]:
    """The test must leave the events table as it found it."""
    before = server.count()
    yield
    assert server.count() == before, "a refused request stored something"


# --- accepted -------------------------------------------------------------------------------


def test_a_signed_event_is_stored_and_processed(server: Server) -> None:
    event = delivery_event()
    body = encode(event)

    r = server.post(body, signed(body))

    assert r.status_code == 202, r.text
    assert r.json() == {"stored": 1, "duplicates": 0}
    assert statuses(server.db, [event["id"]]) in ({event["id"]: "stored"},
                                                  {event["id"]: "processed"})
    wait_for_status(server.db, [event["id"]], "processed")
    with server.db.reading() as s:
        row = s.execute(sa.select(deliveries.c.status, deliveries.c.depot_id)
                        .where(deliveries.c.id == event["data"]["delivery_id"])).one()
    assert (str(row.status), row.depot_id) == ("pending", "nyc-bk")


def test_a_json_array_is_a_batch(server: Server) -> None:
    batch = [delivery_event() for _ in range(3)]
    body = encode(batch)

    r = server.post(body, signed(body))

    assert r.status_code == 202, r.text
    assert r.json() == {"stored": 3, "duplicates": 0}
    wait_for_status(server.db, [e["id"] for e in batch], "processed")


def test_the_same_request_again_is_counted_as_a_duplicate(server: Server) -> None:
    event = delivery_event()
    body = encode(event)
    headers = signed(body)
    assert server.post(body, headers).json() == {"stored": 1, "duplicates": 0}
    before = server.count()

    again = server.post(body, headers)  # the very same request, replayed
    resent = server.post(body, signed(body))  # a redelivery: same event, new webhook-id
    mixed_body = encode([event, fresh := delivery_event()])
    mixed = server.post(mixed_body, signed(mixed_body))

    assert again.status_code == 202 and again.json() == {"stored": 0, "duplicates": 1}
    assert resent.status_code == 202 and resent.json() == {"stored": 0, "duplicates": 1}
    assert mixed.status_code == 202 and mixed.json() == {"stored": 1, "duplicates": 1}
    assert server.count() == before + 1
    wait_for_status(server.db, [event["id"], fresh["id"]], "processed")


def test_a_timestamp_inside_the_replay_window_is_accepted(server: Server) -> None:
    event = delivery_event()
    body = encode(event)

    r = server.post(body, signed(body, at=now() - timedelta(seconds=server.window - 30)))

    assert r.status_code == 202, r.text
    assert statuses(server.db, [event["id"]])


def test_a_utf8_body_with_a_byte_order_mark_is_accepted(server: Server) -> None:
    event = delivery_event()
    body = "\ufeff".encode() + encode(event)

    r = server.post(body, signed(body))

    assert r.status_code == 202, r.text
    wait_for_status(server.db, [event["id"]], "processed")


def test_twenty_concurrent_deliveries_of_one_event_store_it_once(server: Server) -> None:
    event = delivery_event()
    body = encode(event)
    headers = signed(body)
    barrier = threading.Barrier(20)
    results: list[httpx.Response | Exception] = []
    lock = threading.Lock()

    def deliver() -> None:
        with httpx.Client(base_url=server.service.base_url, timeout=30.0) as client:
            barrier.wait(timeout=30)
            try:
                outcome: httpx.Response | Exception = client.post(
                    "/webhooks/generic", content=body, headers=headers)
            except Exception as err:  # reported below
                outcome = err
        with lock:
            results.append(outcome)

    before = server.count()
    threads = [threading.Thread(target=deliver) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert len(results) == 20
    responses = [r for r in results if isinstance(r, httpx.Response)]
    assert len(responses) == 20, [r for r in results if not isinstance(r, httpx.Response)]
    assert sorted(r.status_code for r in responses) == [202] * 20, [r.text for r in responses]
    assert sum(r.json()["stored"] for r in responses) == 1
    assert sum(r.json()["duplicates"] for r in responses) == 19
    assert server.count() == before + 1
    wait_for_status(server.db, [event["id"]], "processed")


# --- refused: not signed as it should be (401) ----------------------------------------------


def _without(header: str) -> Callable[[bytes, Server], dict[str, str]]:
    def make(body: bytes, _server: Server) -> dict[str, str]:
        headers = signed(body)
        del headers[header]
        return headers
    return make


def _stamp(value: str) -> Callable[[bytes, Server], dict[str, str]]:
    def make(body: bytes, _server: Server) -> dict[str, str]:
        return {**signed(body), "webhook-timestamp": value}
    return make


UNSIGNED: dict[str, Callable[[bytes, Server], dict[str, str]]] = {
    "wrong secret": lambda body, _s: signed(body, secret=OTHER_SECRET),
    "signed for another body": lambda body, _s: signed(body.replace(b"Brooklyn", b"Bronx")),
    "signature not base64": lambda body, _s: {**signed(body), "webhook-signature": "v1,***"},
    "only an unknown signature version": lambda body, _s: {
        **signed(body), "webhook-signature": signed(body)["webhook-signature"].replace("v1,", "v9,")},
    "no webhook-id": _without("webhook-id"),
    "no webhook-timestamp": _without("webhook-timestamp"),
    "no webhook-signature": _without("webhook-signature"),
    "no headers at all": lambda _body, _s: {"content-type": "application/json"},
    "timestamp too old": lambda body, s: signed(body, at=now() - timedelta(seconds=s.window + 60)),
    "timestamp too new": lambda body, s: signed(body, at=now() + timedelta(seconds=s.window + 60)),
    "timestamp a day old": lambda body, _s: signed(body, at=now() - timedelta(days=1)),
    "timestamp not a number": _stamp("yesterday"),
    "timestamp out of range": _stamp("9" * 30),
    "timestamp in milliseconds": lambda body, s: signed(body) | {
        "webhook-timestamp": str(int(now().timestamp() * 1000))},
}


@pytest.mark.parametrize("case", list(UNSIGNED))
def test_a_request_not_correctly_signed_gets_401_and_stores_nothing(
        server: Server, unchanged: None, case: str) -> None:
    event = delivery_event()
    body = encode(event)

    r = server.post(body, UNSIGNED[case](body, server))

    assert r.status_code == 401, r.text
    assert r.json()["detail"]
    assert statuses(server.db, [event["id"]]) == {}


def test_a_replayed_request_outside_the_window_is_refused_even_if_once_valid(
        server: Server, unchanged: None) -> None:
    event = delivery_event()
    body = encode(event)
    old = now() - timedelta(seconds=server.window + 5)

    r = server.post(body, signed(body, at=old, msg_id="msg-captured-long-ago"))

    assert r.status_code == 401
    assert "replay window" in r.json()["detail"]


# --- refused: not JSON (400), not UTF-8, too large (413) ------------------------------------


@pytest.mark.parametrize("body", [b"", b"not json", b'{"version": "1", "id": ', b"{'id': 1}",
                                  b'{"a": 1} trailing', b"[1, 2,]", b"NaNa",
                                  b'{"version": ' + b"1" * 5000 + b"}",
                                  b"[" * 4000 + b"]" * 4000],
                         ids=["empty", "text", "truncated", "single quotes", "trailing",
                              "trailing comma", "bare word", "5000 digits", "4000 deep"])
def test_malformed_json_gets_400(server: Server, unchanged: None, body: bytes) -> None:
    r = server.post(body, signed(body))

    assert r.status_code == 400, r.text
    assert "malformed JSON" in r.json()["detail"]


@pytest.mark.parametrize("body", [
    '{"version": "1", "id": "caf\u00e9"}'.encode("latin-1"),
    b'{"version": "1", "id": "\xff\xfe"}',
    "[]".encode("utf-16"),
    json.dumps(delivery_event()).encode("utf-16-le"),
], ids=["latin-1", "invalid bytes", "utf-16", "utf-16-le"])
def test_a_body_that_is_not_utf8_gets_a_4xx(server: Server, unchanged: None,
                                            body: bytes) -> None:
    r = server.post(body, signed_raw(body))  # signed over the raw bytes, as a sender would

    assert 400 <= r.status_code < 500, r.text
    assert r.json()["detail"]


def test_a_body_over_the_limit_gets_413(server: Server, unchanged: None) -> None:
    batch = [delivery_event(instructions="x" * 1500) for _ in range(8)]
    body = encode(batch)
    assert len(body) > server.max_body

    r = server.post(body, signed(body))

    assert r.status_code == 413, r.text
    assert str(server.max_body) in r.json()["detail"]


def test_a_streamed_body_over_the_limit_gets_413(server: Server, unchanged: None) -> None:
    """Without a Content-Length (chunked), the limit is enforced while reading."""
    body = encode([delivery_event(instructions="y" * 1500) for _ in range(8)])

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 1000):
            yield body[start:start + 1000]

    r = server.client.post("/webhooks/generic", content=chunks(), headers=signed(body))

    assert r.request.headers.get("transfer-encoding") == "chunked"
    assert r.status_code == 413, r.text


# --- refused: JSON that is not a valid event (422, naming the field) ------------------------


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], Any]:
    def change(event: dict[str, Any]) -> Any:
        *parents, last = path.split(".")
        target = event
        for key in parents:
            target = target[key]
        target[last] = value
        return event
    return change


def _drop(key: str) -> Callable[[dict[str, Any]], Any]:
    def change(event: dict[str, Any]) -> Any:
        del event[key]
        return event
    return change


def _batch_with_bad_second(event: dict[str, Any]) -> Any:
    return [event, _set("data.time_sensitive", "sometimes")(delivery_event())]


INVALID: dict[str, tuple[Callable[[dict[str, Any]], Any], str]] = {
    "wrong type (bool)": (_set("data.time_sensitive", "sometimes"), "data.time_sensitive"),
    "wrong type (object)": (_set("data.recipient", "Rae"), "data.recipient"),
    "wrong type (number)": (_set("id", 12345), "id"),
    "unknown field at the top": (_set("priority", "high"), "priority"),
    "unknown field in data": (_set("data.colour", "red"), "data.colour"),
    "unknown field deep in data": (_set("data.address.floor", 3), "data.address.floor"),
    "unknown event type": (_set("type", "delivery.teleported"), "type"),
    "unknown version": (_set("version", "2"), "version"),
    "missing id": (_drop("id"), "id"),
    "naive occurred_at": (_set("occurred_at", "2026-11-24T10:00:00"), "occurred_at"),
    "naive window_start": (lambda e: _set("data.window_end", "2026-11-24T12:00:00+00:00")(
        _set("data.window_start", "2026-11-24T10:00:00")(e)), "data.window_start"),
    "not a date": (_set("data.service_date", "tomorrow"), "data.service_date"),
    "bad phone": (_set("data.recipient.phone", "555-0100"), "data.recipient.phone"),
    "a bad event in a batch": (_batch_with_bad_second, "[1].data.time_sensitive"),
    # PostgreSQL cannot store NUL in text: refused up front, on every database.
    "NUL in the id": (_set("id", "e-\u0000-1"), "id"),
    "NUL in text": (_set("data.instructions", "ring\u0000bell"), "data.instructions"),
    "NUL deep in data": (_set("data.recipient.name", "Rae\u0000"), "data.recipient.name"),
}


@pytest.mark.parametrize("case", list(INVALID))
def test_an_invalid_event_gets_422_naming_the_field(server: Server, unchanged: None,
                                                    case: str) -> None:
    change, field = INVALID[case]
    event = delivery_event()
    first_id = event["id"]
    body = encode(change(event))

    r = server.post(body, signed(body))

    assert r.status_code == 422, r.text
    problems = r.json()["detail"]
    assert isinstance(problems, list) and problems
    assert any(p.startswith(f"{field}:") for p in problems), problems
    assert statuses(server.db, [first_id]) == {}


@pytest.mark.parametrize("payload", [42, "an event", None, [], {}, [[]]],
                         ids=["number", "string", "null", "empty list", "empty object",
                              "nested list"])
def test_json_that_is_not_an_event_gets_422(server: Server, unchanged: None,
                                            payload: Any) -> None:
    body = encode(payload)

    r = server.post(body, signed(body))

    assert r.status_code == 422, r.text
    assert r.json()["detail"]
