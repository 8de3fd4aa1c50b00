"""HttpSink against a real (tiny, local) HTTP server that verifies Standard Webhooks signatures."""

from __future__ import annotations

import base64
import json
import socket
import threading
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from doorstep import signing
from doorstep.config import load_operator
from doorstep.sim import HttpSink, Scenario, SinkError, day_events, generate_day

ROOT = Path(__file__).resolve().parents[2]
SECRET = "whsec_" + base64.b64encode(b"simulator-test-secret-32-bytes!!").decode()


class Receiver(ThreadingHTTPServer):
    """Answers with the queued statuses (then 200), verifying every request it gets."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.statuses: list[tuple[int, str]] = []
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["content-length"]))
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            events = Webhook(SECRET).verify(body, headers)
            verified = True
        except WebhookVerificationError:
            events, verified = None, False
        with self.server.lock:
            self.server.requests.append({"path": self.path, "headers": headers,
                                         "events": events, "verified": verified})
            status, text = self.server.statuses.pop(0) if self.server.statuses else (200, "ok")
        if not verified:
            status, text = 401, "bad signature"
        self.send_response(status)
        self.send_header("content-type", "text/plain")
        self.end_headers()
        self.wfile.write(text.encode())

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def events() -> list[dict[str, Any]]:
    operator = load_operator(ROOT / "doorstep.toml")
    day = generate_day(operator, Scenario(), date(2025, 3, 14), seed=2, deliveries=300)
    return list(day_events(day))


def no_sleep(_: float) -> None:
    pass


def test_batches_are_signed_and_split_at_500(receiver: Receiver,
                                             events: list[dict[str, Any]]) -> None:
    sink = HttpSink(receiver.url + "/", SECRET)
    batch = events[:1100]
    sink.send(batch)
    sink.close()
    assert [len(r["events"]) for r in receiver.requests] == [500, 500, 100]
    assert all(r["verified"] and r["path"] == "/webhooks/generic" for r in receiver.requests)
    assert [e for r in receiver.requests for e in r["events"]] == json.loads(
        json.dumps(batch))
    ids = {r["headers"]["webhook-id"] for r in receiver.requests}
    assert len(ids) == 3
    assert receiver.requests[0]["headers"]["content-type"] == "application/json"


def test_5xx_is_retried_under_the_same_id(
        receiver: Receiver, events: list[dict[str, Any]]) -> None:
    receiver.statuses = [(503, "busy"), (500, "oops")]
    waits: list[float] = []
    sink = HttpSink(receiver.url, SECRET, sleep=waits.append, backoff_seconds=0.5)
    sink.send(events[:10])
    assert len(receiver.requests) == 3
    assert all(r["verified"] for r in receiver.requests)
    assert len({r["headers"]["webhook-id"] for r in receiver.requests}) == 1
    assert waits == [0.5, 1.0]


def test_a_4xx_is_not_retried_and_says_why(receiver: Receiver,
                                           events: list[dict[str, Any]]) -> None:
    receiver.statuses = [(422, "data.reason: Input should be 'not_home', ...")]
    sink = HttpSink(receiver.url, SECRET, sleep=no_sleep)
    with pytest.raises(SinkError, match="422 data.reason: Input should be") as err:
        sink.send(events[:3])
    assert err.value.status == 422
    assert len(receiver.requests) == 1


def test_a_wrong_secret_is_refused_by_the_receiver(receiver: Receiver,
                                                   events: list[dict[str, Any]]) -> None:
    other = "whsec_" + base64.b64encode(b"another-secret-of-thirty-two-byt").decode()
    with pytest.raises(SinkError, match="401"):
        HttpSink(receiver.url, other, sleep=no_sleep).send(events[:1])


def test_an_unreachable_receiver_gives_up_after_the_retries(events: list[dict[str, Any]]) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    waits: list[float] = []
    sink = HttpSink(f"http://127.0.0.1:{port}", SECRET, retries=3, sleep=waits.append)
    with pytest.raises(SinkError, match="gave up after 4 tries: ConnectError"):
        sink.send(events[:1])
    assert len(waits) == 3


def test_batch_size_is_bounded() -> None:
    with pytest.raises(ValueError, match="max_batch"):
        HttpSink("http://127.0.0.1:1", SECRET, max_batch=501)


def test_what_the_sink_sends_passes_doorsteps_own_verification(
        receiver: Receiver, events: list[dict[str, Any]]) -> None:
    """Whatever the clock's zone, what the sink sends is what doorstep's webhook accepts."""
    at = datetime.now(ZoneInfo("Asia/Kolkata"))  # a wall clock that is not UTC

    class Fixed:
        def now(self) -> datetime:
            return at

    HttpSink(receiver.url, SECRET, clock=Fixed()).send(events[:5])
    [request] = receiver.requests
    assert request["verified"]
    body = json.dumps(events[:5], separators=(",", ":"), ensure_ascii=False).encode()
    assert signing.verify(SECRET, body, request["headers"], at,
                          timedelta(seconds=300)) == request["headers"]["webhook-id"]
