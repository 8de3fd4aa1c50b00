"""A local fake of Onfleet's API v2 (contracts/onfleet.md), served over real HTTP.

    with FakeOnfleet(clock=clock, seed=1) as fake:
        http = httpx.Client(base_url=fake.base_url, auth=(fake.api_key, ""))
        team = fake.add_team("North")
        driver = fake.add_worker("Ana Driver", "+447400123001", teams=[team], on_duty=True)
        task = fake.add_task(address={...}, recipient=("Ana Lima", "+447400123123"))
        fake.assign(task, driver)                 # taskAssigned
        fake.start_task(task)                     # taskStarted
        fake.fail_task(task, reason="NOBODY_HOME", notes="card left")  # taskFailed + taskUpdated
        fake.deliver()                            # POST the signed webhooks that are due
        fake.advance(timedelta(minutes=30))       # move the clock; retries fall due and are sent

Nothing moves by itself: webhook payloads wait in an outbox until `deliver()` or `advance()`;
`run_in_background()` drives routes and delivers on a timer for the demo. The vocabulary is in
`onfleet_records.py`; the rules in layers: `onfleet_state.py` (limits, faults, webhooks),
`onfleet_places.py`, `onfleet_directory.py`, `onfleet_tasks.py` and `onfleet_run.py` (with the
driving API this class inherits); the HTTP side in `onfleet_app.py`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import httpx
from starlette.types import ASGIApp

from doorstep.clock import Clock, SystemClock, VirtualClock
from doorstep.sim.fakes.onfleet_app import build_app
from doorstep.sim.fakes.onfleet_records import (
    API_PREFIX,
    RATE_LIMIT,
    TRIGGERS,
    Delivery,
    Fault,
    OnfleetError,
    Outgoing,
    RecordedRequest,
)
from doorstep.sim.fakes.onfleet_run import Driving, OnfleetOrg
from doorstep.sim.fakes.serving import ServedFake


def onfleet_signature(secret_hex: str, body: bytes) -> str:
    """§4.2: `X-Onfleet-Signature`, hex HMAC-SHA512 of the raw body keyed by the hex-decoded
    secret."""
    return hmac.new(bytes.fromhex(secret_hex), body, hashlib.sha512).hexdigest()


class FakeOnfleet(Driving, ServedFake):
    def __init__(self, *, api_key: str | None = None, clock: Clock | None = None,
                 seed: int | None = None, host: str = "127.0.0.1", port: int = 0,
                 name: str = "Doorstep Test Org", country: str = "GB",
                 timezone: str = "Europe/London", rate_limit: int | None = RATE_LIMIT,
                 webhook_timeout: float = 10.0,
                 retry_interval: timedelta = timedelta(minutes=30),
                 retry_for: timedelta = timedelta(days=1), disable_after: int = 300) -> None:
        rng = random.Random(seed)
        self.clock: Clock = clock or SystemClock()
        self.org = OnfleetOrg(self.clock, random.Random(rng.getrandbits(64)), name=name,
                              country=country, timezone=timezone, rate_limit=rate_limit)
        self.api_key = api_key or rng.randbytes(16).hex()
        self.api_keys = {self.api_key}
        # §4.2: 10 s to answer; failures retried (30 min cycles, a day), disabled after 300
        self.webhook_timeout = webhook_timeout
        self.retry_interval, self.retry_for = retry_interval, retry_for
        self.disable_after = disable_after
        self._rng = rng
        self._log_lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._deliveries: list[Delivery] = []
        self._host, self._port = host, port
        self._serve("fake Onfleet", self._host, self._port)

    @property
    def base_url(self) -> str:
        return self.url + API_PREFIX

    @property
    def webhook_secret(self) -> str:
        return self.org.webhook_secret

    # ---- lifecycle ----------------------------------------------------------------------------

    def _app(self) -> ASGIApp:
        return build_app(self)

    def _tick(self) -> None:
        self.step()
        self.deliver()

    # ---- faults and inspection ----------------------------------------------------------------

    def add_api_key(self) -> str:
        """Another key of the same organization: it shares the one rate limit (§1)."""
        key = self._rng.randbytes(16).hex()
        self.api_keys.add(key)
        return key

    def fail_next(self, status: int = 500, *, code: int | None = None, route: str | None = None,
                  times: int = 1, applied: bool = False, cause: str = "") -> None:
        """The next `times` requests matching `route` ("PUT /tasks", "/workers", None = any)
        get `status` in the §2 envelope (`code`: the sub-code; 412 → PreconditionFailed, 502 →
        the 70 s timeout's answer). `applied=True`: carried out first, then refused."""
        with self.org.lock:
            self.org.faults.append(Fault(status, code, route, times, applied, cause))

    def exhaust_rate_limit(self) -> None:
        """Spend the whole bucket: the next request gets 429 until the clock moves on."""
        self.org.exhaust_rate_limit()

    def record(self, request: RecordedRequest) -> None:
        with self._log_lock:
            self._requests.append(request)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received, in order (paths without /api/v2)."""
        with self._log_lock:
            return list(self._requests)

    @property
    def deliveries(self) -> list[Delivery]:
        with self._log_lock:
            return list(self._deliveries)

    def task(self, task_id: str) -> dict[str, Any]:
        return self.org.view_task(task_id)

    def worker(self, worker_id: str) -> dict[str, Any]:
        return self.org.view_worker(worker_id)

    def webhook(self, webhook_id: str) -> dict[str, Any]:
        return self.org.view_webhook(webhook_id)

    # ---- webhooks (§4) --------------------------------------------------------------------------

    def register_webhook(self, body: dict[str, Any]) -> dict[str, Any]:
        """§4.1: saved only after `GET url?check=<random>` answers 200 with exactly that
        string (204 and anything else refuse it with 1008)."""
        url, name, trigger, threshold = self.org.validate_webhook(body)
        check = self.org.check_string()
        try:
            with self._client() as http:
                r = http.get(url, params={"check": check}, timeout=self.webhook_timeout)
            passed = r.status_code == 200 and r.text == check
        except httpx.HTTPError:
            passed = False
        if not passed:
            raise OnfleetError(1008, f"{url} did not answer the check")
        return self.org.add_webhook(url, name, trigger, threshold)

    @contextmanager
    def _client(self) -> Iterator[httpx.Client]:
        """The server's client, or a short-lived one when the server is not running."""
        if self._http is not None:
            yield self._http
            return
        with httpx.Client(trust_env=False) as http:
            yield http

    def deliver(self) -> list[Delivery]:
        """POST every webhook payload that is due, in the order the events happened."""
        now = self.org.now_ms()
        with self.org.lock:
            due = [o for o in self.org.outbox if o.due_ms <= now]
            self.org.outbox = [o for o in self.org.outbox if o.due_ms > now]
        return [self._post(item) for item in due]

    def _post(self, item: Outgoing) -> Delivery:
        body = json.dumps(item.payload, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json",
                   "X-Onfleet-Signature": onfleet_signature(self.webhook_secret, body)}
        try:
            with self._client() as http:
                r = http.post(item.url, content=body, headers=headers,
                              timeout=self.webhook_timeout)
            delivery = Delivery(item.webhook_id, item.url, item.payload["triggerName"], body,
                                headers, r.status_code)
        except httpx.HTTPError as e:
            delivery = Delivery(item.webhook_id, item.url, item.payload["triggerName"], body,
                                headers, None, f"{type(e).__name__}: {e}")
        with self.org.lock:
            hook = self.org.webhooks.get(item.webhook_id)
            if hook is not None:
                self._settle(hook, item, delivery.ok)
        with self._log_lock:
            self._deliveries.append(delivery)
        return delivery

    def _settle(self, hook: dict[str, Any], item: Outgoing, ok: bool) -> None:
        if ok:
            hook["failures"] = 0
            hook["count"] += 1
            return
        hook["failures"] += 1
        item.attempts += 1
        if hook["failures"] >= self.disable_after:  # §4.2: disabled after 300 in a row
            hook["isEnabled"] = False
            self.org.outbox = [o for o in self.org.outbox if o.webhook_id != hook["id"]]
            return
        now = self.org.now_ms()
        if now - item.first_due_ms < self.retry_for.total_seconds() * 1000:
            item.due_ms = now + int(self.retry_interval.total_seconds() * 1000)
            self.org.outbox.append(item)

    def advance(self, delta: timedelta | float = 0.0) -> list[Delivery]:
        """Move a virtual clock on by `delta` (seconds or a timedelta), then deliver what is
        due, retries included."""
        if not isinstance(delta, timedelta):
            delta = timedelta(seconds=delta)
        if delta and isinstance(self.clock, VirtualClock):
            self.clock.advance(delta)
        return self.deliver()


__all__ = ["TRIGGERS", "Delivery", "FakeOnfleet", "OnfleetError", "RecordedRequest",
           "onfleet_signature"]
