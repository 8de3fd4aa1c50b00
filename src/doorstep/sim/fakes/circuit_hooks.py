"""Webhook deliveries of the fake Circuit / Spoke Dispatch (contracts/circuit.md §10, §13):
the envelope in the team's chosen version (v1, or v0.2b's stop shape), the `spoke-signature`
HMAC, and retries with backoff on the injected clock for about an hour, then the drop."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import random
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

import httpx

Version = Literal["v1", "v0.2b"]
RETRY_FOR = timedelta(hours=1)  # §10: retried for about an hour, then discarded
FIRST_RETRY = timedelta(seconds=30)
# §10: v0.2b lists the first three stop events and the test event; a v0.2b-era client also
# handled these ◐. `stop.next_in_route` is v1 only.
V02B_TYPES = frozenset({"stop.allocated", "stop.out_for_delivery", "stop.attempted_delivery",
                        "stop.departed", "stop.tracking_link_added",
                        "unassigned_stop.tracking_link_added", "test.send_event"})


def spoke_signature(secret: str, body: bytes) -> str:
    """§10: hex HMAC-SHA256 of the raw body with the team's webhook secret."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def stop_v02b(stop: dict[str, Any]) -> dict[str, Any]:
    """A v1 Stop in the v0.2b shape (§13)."""
    out = copy.deepcopy(stop)
    drivers = out.pop("allowedDrivers", []) or []
    route = out.get("route") or {}
    out["driverIdentifier"] = route.get("driver") or (drivers[0] if len(drivers) == 1 else None)
    out["allowedDriversIdentifiers"] = drivers
    eta = out.get("eta") or {}
    if eta.get("status") == "available":
        out["eta"], out["etaNullReason"] = dict(eta["value"]), None
    else:
        out["eta"] = None
        out["etaNullReason"] = {"reason": "not_optimized",
                                "message": "The stop has not been optimized yet", "url": None}
    out["circuitClientId"] = out.pop("clientId", None)
    info = out.get("deliveryInfo")
    if info is not None:
        at_stop = info.get("timeAtStopInfo") or {}
        if at_stop.get("status") == "available":
            info["timeAtStopInfo"] = dict(at_stop["value"])
            info["timeAtStopInfoNullReason"] = None
            info["arrivedAt"] = at_stop["value"]["arrivedAt"]
        else:
            info["timeAtStopInfo"], info["arrivedAt"] = None, None
            info["timeAtStopInfoNullReason"] = {"reason": "not_yet_arrived", "message": None,
                                                "url": None}
    return out


@dataclass
class HookSettings:
    """The team's webhook form (§10): one URL ❓, the secret, the version, on/off."""

    url: str | None = None
    secret: str = ""
    version: Version = "v1"
    enabled: bool = True
    duplicate: float = 0.0  # chance that a message is sent twice (§10: allow duplicates)
    shuffle: bool = False   # each batch in random order (§10: no ordering guarantee)
    timeout: float = 5.0


@dataclass(frozen=True)
class HookDelivery:
    """One POST the fake made."""

    type: str
    url: str
    body: bytes
    headers: dict[str, str]
    status_code: int | None
    error: str | None
    attempt: int

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class _Pending:
    type: str
    body: bytes
    first: datetime
    due: datetime
    attempts: int = 0
    dropped: bool = field(default=False)


class HookSender:
    def __init__(self, settings: HookSettings, rng: random.Random) -> None:
        self.settings = settings
        self.rng = rng
        self.lock = threading.Lock()
        self.pending: list[_Pending] = []
        self.dropped: list[_Pending] = []
        self.deliveries: list[HookDelivery] = []

    def queue(self, kind: str, created_ms: int, data: dict[str, Any], now: datetime) -> None:
        s = self.settings
        if not s.enabled or s.url is None:
            return
        if s.version == "v0.2b":
            if kind not in V02B_TYPES:
                return
            if kind.startswith("stop.") or (kind == "test.send_event" and "id" in data):
                data = stop_v02b(data)
        envelope = {"type": kind, "version": s.version, "created": created_ms, "data": data}
        body = json.dumps(envelope, separators=(",", ":")).encode()
        with self.lock:
            self.pending.append(_Pending(kind, body, now, now))

    def send_due(self, http: httpx.Client, now: datetime) -> list[HookDelivery]:
        """POST every message that is due; a failed one waits 30 s, 60 s, 120 s … and is
        dropped once its next try would fall after an hour from the first."""
        with self.lock:
            batch = [p for p in self.pending if p.due <= now]
            sends = list(batch)
            for p in batch:
                if self.settings.duplicate and self.rng.random() < self.settings.duplicate:
                    sends.append(p)
            if self.settings.shuffle:
                self.rng.shuffle(sends)
        out = []
        ok: set[int] = set()
        for p in sends:
            delivery = self._post(http, p)
            out.append(delivery)
            if delivery.status_code is not None and 200 <= delivery.status_code < 300:
                ok.add(id(p))
        with self.lock:
            for p in batch:
                if id(p) in ok:
                    self.pending.remove(p)
                    continue
                p.due = now + FIRST_RETRY * (2 ** (p.attempts - 1))
                if p.due - p.first > RETRY_FOR:
                    self.pending.remove(p)
                    self.dropped.append(p)
            self.deliveries.extend(out)
        return out

    def _post(self, http: httpx.Client, p: _Pending) -> HookDelivery:
        s = self.settings
        p.attempts += 1
        signature = spoke_signature(s.secret, p.body)
        headers = {"Content-Type": "application/json", "spoke-signature": signature}
        if s.version == "v0.2b":  # §13: v0.2b deliveries carried both headers
            headers["circuit-signature"] = signature
        url = s.url or ""
        try:
            r = http.post(url, content=p.body, headers=headers, timeout=s.timeout)
        except httpx.HTTPError as e:
            return HookDelivery(p.type, url, p.body, headers, None,
                                f"{type(e).__name__}: {e}", p.attempts)
        return HookDelivery(p.type, url, p.body, headers, r.status_code, None, p.attempts)
