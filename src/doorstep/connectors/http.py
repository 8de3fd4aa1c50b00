"""Talking to a route platform over HTTP within its limits: requests per second per class,
requests in flight, and backing off when it says 429 or is down.

One `PlatformClient` per platform account per process; it is safe to share between threads.
A 4xx other than 429 is the platform saying no (`PlatformError`, not retried); 429, the listed
transient statuses and transport errors are retried with exponential backoff and jitter,
honouring `Retry-After` when the platform sends one, until `PlatformUnavailable`.
"""

from __future__ import annotations

import email.utils
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from doorstep.clock import SystemClock

log = logging.getLogger(__name__)

_SECRET_QUERY = re.compile(r"(key=)[^&\s]+")


def redact(url: str) -> str:
    """A URL fit for a log: a key in the query string (OptimoRoute's) is hidden."""
    return _SECRET_QUERY.sub(r"\1***", url)


class PlatformError(Exception):
    """The platform refused a request: a 4xx (other than 429) or an error in a 200 body."""

    def __init__(self, platform: str, status: int, detail: str, code: str | None = None) -> None:
        super().__init__(f"{platform} answered {status}: {detail}")
        self.platform = platform
        self.status = status
        self.detail = detail
        self.code = code


class PlatformUnavailable(Exception):
    """The platform could not be reached, or kept answering 429/5xx, after every retry."""


class RateLimit:
    """At most `per_second` requests a second, spread evenly (a GCRA: no bursts that a
    platform counting a rolling second would refuse)."""

    def __init__(self, per_second: float, now: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval = 1.0 / per_second
        self._next = 0.0
        self._lock = threading.Lock()
        self._now = now
        self._sleep = sleep

    def wait(self) -> None:
        with self._lock:
            now = self._now()
            at = max(self._next, now)
            self._next = at + self.interval
        if at > now:
            self._sleep(at - now)


@dataclass(frozen=True)
class Limits:
    """A platform's documented limits. `classify` names the limit a request counts against."""

    per_second: Mapping[str, float]  # class -> requests/second
    concurrency: int = 4
    classify: Callable[[str, str], str] = lambda method, path: "all"
    retry_statuses: frozenset[int] = frozenset({429, 500, 502, 503, 504})
    # A platform that says "too busy" in a 200 body (OptimoRoute's ERR_TOO_MANY_CONNECTIONS).
    busy: Callable[[httpx.Response], bool] = lambda response: False


def retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds from a Retry-After header (seconds or an HTTP date), if it holds one."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


class PlatformClient:
    """JSON over HTTP to one platform account, within its limits, with retries."""

    def __init__(self, platform: str, base_url: str, limits: Limits, *,
                 auth: httpx.Auth | None = None, params: Mapping[str, str] | None = None,
                 timeout: float = 15.0, retries: int = 6, backoff: float = 0.5,
                 max_backoff: float = 60.0, sleep: Callable[[float], None] = time.sleep,
                 transport: httpx.BaseTransport | None = None,
                 now: Callable[[], datetime] = SystemClock().now) -> None:
        self.platform = platform
        self.limits = limits
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.sleep = sleep
        self.now = now
        self._buckets = {name: RateLimit(rate)  # pacing is real time, whatever `sleep` is
                         for name, rate in limits.per_second.items()}
        self._in_flight = threading.BoundedSemaphore(limits.concurrency)
        self._http = httpx.Client(base_url=base_url.rstrip("/"), auth=auth,
                                  params=dict(params or {}), timeout=timeout,
                                  transport=transport,
                                  headers={"Accept": "application/json"})
        self.requests_made = 0

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PlatformClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(self, method: str, path: str, *, json: Any = None,
                params: Mapping[str, Any] | None = None,
                ok: Iterable[int] = (200, 201, 202, 204)) -> httpx.Response:
        """The platform's answer to one request, retried while it is transient."""
        ok_statuses = frozenset(ok)
        bucket = self._buckets.get(self.limits.classify(method, path))
        problem = ""
        for attempt in range(self.retries + 1):
            if bucket is not None:
                bucket.wait()
            with self._in_flight:
                self.requests_made += 1
                try:
                    response = self._http.request(method, path, json=json, params=params)
                except httpx.TransportError as err:
                    problem = f"{type(err).__name__}"
                    wait = self._backoff(attempt)
                else:
                    if (response.status_code in ok_statuses
                            and not self.limits.busy(response)):
                        return response
                    if (response.status_code not in self.limits.retry_statuses
                            and response.status_code not in ok_statuses):
                        raise PlatformError(self.platform, response.status_code,
                                            _detail(response), _code(response))
                    problem = f"HTTP {response.status_code}"
                    told = retry_after(response.headers.get("retry-after"), self.now())
                    wait = (min(told, self.max_backoff) if told is not None
                            else self._backoff(attempt))
            if attempt < self.retries:
                log.info("%s %s %s: %s; trying again in %.1f s", self.platform, method,
                         redact(path), problem, wait)
                self.sleep(wait)
        raise PlatformUnavailable(f"{self.platform} {method} {redact(path)}: {problem} after "
                                  f"{self.retries + 1} tries")

    def json(self, method: str, path: str, **kw: Any) -> Any:
        response = self.request(method, path, **kw)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise PlatformError(self.platform, response.status_code,
                                "the answer is not JSON") from None

    def _backoff(self, attempt: int) -> float:
        # Full jitter: clients that failed together do not come back together.
        return random.uniform(0, min(self.max_backoff, self.backoff * 2 ** attempt))


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    if isinstance(body, dict):
        for key in ("message", "detail", "error"):
            value = body.get(key)
            if isinstance(value, dict):
                value = value.get("message") or value
            if value:
                return str(value)[:300]
    return str(body)[:300]


def _code(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    if isinstance(body, dict):
        for key in ("code", "error"):
            value = body.get(key)
            if isinstance(value, dict):
                value = value.get("code") or value.get("error")
            if isinstance(value, str | int) and value != "":
                return str(value)
    return None
