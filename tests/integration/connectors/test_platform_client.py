"""The platform client over real HTTP: limits kept, 429 and 5xx waited out, refusals raised."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from doorstep.connectors.http import (
    Limits,
    PlatformClient,
    PlatformError,
    PlatformUnavailable,
    RateLimit,
    redact,
    retry_after,
)
from doorstep.sim.fakes.serving import Served


class Script:
    """What the little server answers, in order, and what it was asked."""

    def __init__(self) -> None:
        self.answers: list[Response] = []
        self.seen: list[str] = []
        self.lock = threading.Lock()

    def next(self, request: Request) -> Response:
        with self.lock:
            self.seen.append(f"{request.method} {request.url.path}?{request.url.query}")
            return self.answers.pop(0) if self.answers else JSONResponse({"ok": True})


@pytest.fixture
def served() -> Iterator[tuple[Script, str]]:
    script = Script()

    async def endpoint(request: Request) -> Response:
        return script.next(request)

    app = Starlette(routes=[Route("/{path:path}", endpoint, methods=["GET", "POST", "PUT"])])
    server = Served("test platform")
    url = server.start(app)
    try:
        yield script, url
    finally:
        server.stop()


def client(url: str, waits: list[float], **limits: object) -> PlatformClient:
    return PlatformClient("testplatform", url, Limits(per_second={"all": 1000.0}, **limits),  # type: ignore[arg-type]
                          sleep=waits.append, retries=3, backoff=0.5)


def test_a_429_with_retry_after_is_waited_out_for_the_time_it_names(served) -> None:
    script, url = served
    script.answers = [JSONResponse({"message": "slow down"}, status_code=429,
                                   headers={"Retry-After": "7"})]
    waits: list[float] = []
    with client(url, waits) as c:
        assert c.json("GET", "/tasks") == {"ok": True}
    assert waits == [7.0]
    assert len(script.seen) == 2


def test_a_429_without_retry_after_backs_off_with_jitter_within_the_doubling_bound(served) -> None:
    script, url = served
    script.answers = [Response(status_code=429), Response(status_code=503),
                      Response(status_code=502)]
    waits: list[float] = []
    with client(url, waits) as c:
        c.json("GET", "/tasks")
    assert len(waits) == 3
    assert all(0 <= w <= 0.5 * 2 ** i for i, w in enumerate(waits))


def test_a_platform_that_stays_down_ends_in_platform_unavailable(served) -> None:
    script, url = served
    script.answers = [Response(status_code=500) for _ in range(4)]
    waits: list[float] = []
    with client(url, waits) as c, pytest.raises(PlatformUnavailable, match="HTTP 500 after 4"):
        c.json("GET", "/tasks")
    assert len(script.seen) == 4


def test_a_refusal_is_raised_at_once_with_the_platforms_words(served) -> None:
    script, url = served
    script.answers = [JSONResponse({"code": "InvalidArgument", "message": {
        "error": 1000, "message": "The task does not exist."}}, status_code=404)]
    waits: list[float] = []
    with client(url, waits) as c, pytest.raises(PlatformError) as caught:
        c.json("GET", "/tasks/x")
    assert caught.value.status == 404
    assert caught.value.code == "InvalidArgument"
    assert "does not exist" in caught.value.detail
    assert waits == []


def test_a_busy_answer_in_a_200_body_is_retried(served) -> None:
    script, url = served
    script.answers = [JSONResponse({"success": False, "code": "ERR_TOO_MANY_CONNECTIONS"})]
    waits: list[float] = []

    def busy(response) -> bool:
        return response.json().get("code") == "ERR_TOO_MANY_CONNECTIONS"

    with client(url, waits, busy=busy) as c:
        assert c.json("GET", "/get_routes") == {"ok": True}
    assert len(waits) == 1


def test_an_unreachable_platform_is_unavailable_not_an_exception_of_httpx() -> None:
    server = Served("gone")
    url = server.start(Starlette())
    server.stop()
    waits: list[float] = []
    with client(url, waits) as c, pytest.raises(PlatformUnavailable, match="Connect"):
        c.json("GET", "/tasks")


def test_the_rate_limit_spreads_requests_evenly() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)

    bucket = RateLimit(4.0, now=lambda: now[0], sleep=sleep)
    for _ in range(5):
        bucket.wait()
    assert slept == pytest.approx([0.25, 0.5, 0.75, 1.0])


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert retry_after("12", now) == 12.0
    assert retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30.0
    assert retry_after("soon", now) is None
    assert retry_after(None, now) is None


def test_a_key_in_a_url_is_never_logged() -> None:
    assert redact("/v1/get_routes?key=abc123&date=2026-12-01") == \
        "/v1/get_routes?key=***&date=2026-12-01"
