"""Where a simulated day's events go: doorstep in-process, doorstep over HTTP, or a test list."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import httpx

from doorstep.clock import Clock, SystemClock
from doorstep.signing import sign

Event = dict[str, Any]


class EventSink(Protocol):
    def send(self, batch: list[Event]) -> None: ...


class SinkError(RuntimeError):
    """The receiver refused a batch (a 4xx, or 5xx/unreachable after every retry)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class CollectingSink:
    """Keeps what it is sent (or, with keep=False, only counts it)."""

    def __init__(self, keep: bool = True) -> None:
        self.keep = keep
        self.events: list[Event] = []
        self.count = 0
        self.batches = 0

    def send(self, batch: list[Event]) -> None:
        self.count += len(batch)
        self.batches += 1
        if self.keep:
            self.events.extend(batch)


class FanoutSink:
    """Sends every batch to several sinks in turn (e.g. doorstep and a DaySummary)."""

    def __init__(self, *sinks: EventSink) -> None:
        self.sinks = sinks

    def send(self, batch: list[Event]) -> None:
        for sink in self.sinks:
            sink.send(batch)


class _Accepts(Protocol):
    def accept(self, source: str, raw_events: Sequence[Any]) -> Any: ...


class IntakeSink:
    """doorstep's own intake, in-process: the same path a webhook takes after verification."""

    def __init__(self, intake: _Accepts, source: str = "sim", max_batch: int = 1000) -> None:
        self.intake = intake
        self.source = source
        self.max_batch = max_batch

    def send(self, batch: list[Event]) -> None:
        for i in range(0, len(batch), self.max_batch):
            self.intake.accept(self.source, batch[i:i + self.max_batch])


class HttpSink:
    """POSTs batches to `{target}/webhooks/generic`, signed per Standard Webhooks.

    Connection errors, timeouts and 5xx are retried with exponential backoff, re-signed each
    time under the same webhook-id (the batch's ids hashed), so a batch that did arrive is
    recognised; a 4xx is the receiver saying no, and raises SinkError with its message.
    """

    def __init__(self, target_url: str, secret: str, *, max_batch: int = 500, retries: int = 5,
                 backoff_seconds: float = 0.5, timeout_seconds: float = 10.0,
                 client: httpx.Client | None = None, clock: Clock | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if not 1 <= max_batch <= 500:
            raise ValueError("max_batch: expected 1 to 500")
        self.url = target_url.rstrip("/") + "/webhooks/generic"
        self.secret = secret
        self.max_batch = max_batch
        self.retries = retries
        self.backoff = backoff_seconds
        self.client = client or httpx.Client(timeout=timeout_seconds)
        self.clock = clock or SystemClock()  # signatures are checked against real time
        self.sleep = sleep

    def send(self, batch: list[Event]) -> None:
        for i in range(0, len(batch), self.max_batch):
            self._post(batch[i:i + self.max_batch])

    def _post(self, events: list[Event]) -> None:
        body = json.dumps(events, separators=(",", ":"), ensure_ascii=False).encode()
        ids = "\n".join(str(e.get("id")) for e in events)
        msg_id = "msg_sim_" + hashlib.sha256(ids.encode()).hexdigest()[:32]
        problem = ""
        for attempt in range(self.retries + 1):
            if attempt:
                self.sleep(self.backoff * 2 ** (attempt - 1))
            headers = sign(self.secret, msg_id, body, self.clock.now())
            try:
                response = self.client.post(self.url, content=body, headers=headers)
            except httpx.TransportError as err:
                problem = f"{type(err).__name__}: {err}"
                continue
            if response.status_code < 300:
                return
            if response.status_code < 500:
                raise SinkError(f"{self.url} refused the batch: {response.status_code} "
                                f"{response.text[:2000]}", response.status_code)
            problem = f"{response.status_code} {response.text[:500]}"
        raise SinkError(f"{self.url}: gave up after {self.retries + 1} tries: {problem}")

    def close(self) -> None:
        self.client.close()
