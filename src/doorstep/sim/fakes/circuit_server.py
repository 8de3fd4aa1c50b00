"""The server side of the fake Circuit / Spoke Dispatch (contracts/circuit.md §2, §5, §10, §12):
uvicorn in a thread on a free port, the team it serves (`reset()` makes a new one), the
webhook settings, injected faults, rate-limit buckets, the record of requests, and the posting
of due webhooks. `circuit.py` adds the dispatcher's and drivers' side."""

from __future__ import annotations

import hmac
import random
import string
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from starlette.types import ASGIApp

from doorstep.clock import Clock, SystemClock, VirtualClock
from doorstep.sim.fakes.circuit_api import RecordedRequest, build_app
from doorstep.sim.fakes.circuit_hooks import HookDelivery, HookSender, HookSettings, Version
from doorstep.sim.fakes.circuit_plans import CircuitTeam
from doorstep.sim.fakes.circuit_records import BASE_PATH, Buckets, Fault, RateClass, new_id
from doorstep.sim.fakes.serving import ServedFake


@dataclass
class Options:
    """Everything about the team that `reset()` can change. `retry_after`: also send a
    Retry-After header on 429 (undocumented ❓, §5) so a connector can be tested both ways.
    `extra_events`: also send the v1 events known only from clients ◐ (`stop.departed`,
    `stop.next_in_route`, `stop.tracking_link_added`)."""

    api_key: str | None = None
    clock: Clock | None = None
    seed: int | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = None
    webhook_version: Version = "v1"
    rate_limits: bool = True
    retry_after: bool = False
    timezone: str = "UTC"
    optimize_seconds: float = 5.0
    extra_events: bool = True
    recipient_notifications: bool = False


class CircuitServer(ServedFake):
    """The server, the team it serves, its settings, faults and records."""

    team: CircuitTeam
    hooks: HookSender
    clock: Clock
    main_depot: str
    _faults: list[Fault]
    _requests: list[RecordedRequest]

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, **options: Any) -> None:
        """`options`: the fields of `Options`."""
        self._lock = threading.Lock()
        self.reset(**options)
        self._host, self._port = host, port
        self._serve("fake Circuit", self._host, self._port)

    def reset(self, **options: Any) -> None:
        """A new, empty team (one depot), as if the fake had just been made with `options`;
        the server keeps running, so one server can serve many tests."""
        o = Options(**options)
        rng = random.Random(o.seed)
        self.clock = o.clock or SystemClock()
        self.api_key = o.api_key or new_id(rng) + new_id(rng)
        secret = o.webhook_secret or "".join(rng.choice(string.ascii_letters + string.digits)
                                             for _ in range(32))  # §10: 32 characters
        team = CircuitTeam(self.clock, random.Random(rng.getrandbits(64)), timezone=o.timezone,
                           optimize_seconds=o.optimize_seconds, extra_events=o.extra_events,
                           recipient_notifications=o.recipient_notifications)
        hooks = HookSender(HookSettings(o.webhook_url, secret, o.webhook_version),
                           random.Random(rng.getrandbits(64)))
        with self._lock:
            self.team, self.hooks = team, hooks
            self.rate_limits, self.retry_after = o.rate_limits, o.retry_after
            self._buckets = Buckets()
            self._faults = []
            self._requests = []
        self.main_depot = team.add_depot("Main depot", {
            "startTime": {"hour": 8, "minute": 0}, "startAddress": None})

    @property
    def api_url(self) -> str:
        """The base URL a connector uses in place of `https://api.spoke.com/public/v1`."""
        return self.url + BASE_PATH

    @property
    def webhook_secret(self) -> str:
        return self.hooks.settings.secret

    # ---- lifecycle ------------------------------------------------------------------------------

    def _app(self) -> ASGIApp:
        return build_app(self)

    def _tick(self) -> None:
        self.deliver()

    # ---- settings, faults, inspection ---------------------------------------------------------

    def set_webhook(self, url: str | None, *, version: Version | None = None,
                    enabled: bool = True, duplicate: float | None = None,
                    shuffle: bool | None = None) -> None:
        """The team's webhook settings page (§10): URL, API version, duplicates, order."""
        s = self.hooks.settings
        s.url, s.enabled = url, enabled
        s.version = version or s.version
        s.duplicate = s.duplicate if duplicate is None else duplicate
        s.shuffle = s.shuffle if shuffle is None else shuffle

    def key_ok(self, key: str) -> bool:
        return hmac.compare_digest(key.encode(), self.api_key.encode())

    def fail_next(self, status: int = 500, *, message: str = "Internal error",
                  code: str | None = None, method: str | None = None, path: str | None = None,
                  applied: bool = False, times: int = 1) -> None:
        """The next `times` requests (of `method`, whose path after /public/v1 matches the regex
        `path`) answer `status` with §4's envelope. `applied=True`: the request is carried out
        first and the caller still sees the error (§4: a 500 on DELETE /plans may have
        deleted part)."""
        with self._lock:
            self._faults.append(Fault(status, message, code, method, path, applied, times))

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
            return None

    def exhaust_rate_limit(self, cls: RateClass = "read") -> None:
        """Empty the §5 bucket of `cls` as if the client had just used it all up."""
        with self._lock:
            self._buckets.exhaust(cls, self.clock.now().timestamp())

    def take_rate(self, cls: RateClass) -> float | None:
        if not self.rate_limits:
            return None
        with self._lock:
            return self._buckets.take(cls, self.clock.now().timestamp())

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received, oldest first (method, path, query, headers, raw body)."""
        with self._lock:
            return list(self._requests)

    @property
    def deliveries(self) -> list[HookDelivery]:
        with self.hooks.lock:
            return list(self.hooks.deliveries)

    @property
    def dropped(self) -> list[str]:
        """Types of the webhook messages given up after an hour of failures (§10)."""
        with self.hooks.lock:
            return [p.type for p in self.hooks.dropped]

    def collect_events(self) -> None:
        """Move the events the rules raised to the webhook queue, in order."""
        with self.team.lock:
            events, self.team.events = self.team.events, []
            now = self.clock.now()
        for kind, ms, data in events:
            self.hooks.queue(kind, ms, data, now)

    def deliver(self) -> list[HookDelivery]:
        """Post every webhook message that is due now (first tries and retries)."""
        self.team.settle()
        self.collect_events()
        http = self._http or httpx.Client(trust_env=False)
        try:
            return self.hooks.send_due(http, self.clock.now())
        finally:
            if http is not self._http:
                http.close()

    def advance(self, delta: timedelta) -> list[HookDelivery]:
        """Move a virtual clock on by `delta`, then finish what is due and post what is due."""
        if not isinstance(self.clock, VirtualClock):
            raise TypeError("advance() needs a VirtualClock")
        self.clock.advance(delta)
        return self.deliver()
