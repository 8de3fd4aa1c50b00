"""The fake Circuit for Teams / Spoke Dispatch vocabulary (contracts/circuit.md): errors, ids,
list pages, rate-limit buckets and injected faults. Input validation is in `circuit_inputs.py`;
the team's data and rules in `circuit_state.py`, `circuit_stops.py` and `circuit_plans.py`."""

from __future__ import annotations

import base64
import hashlib
import json
import random
import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

BASE_PATH = "/public/v1"
DOCS_URL = "https://developer.dispatch.spoke.com"
ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,50}$")  # §3: bare path parameters
_ALPHABET = string.ascii_letters + string.digits

RateClass = Literal["read", "write", "create_driver", "import_stops", "import_drivers",
                    "optimize"]
# §5: (requests, window in seconds) per endpoint class.
RATE_LIMITS: dict[RateClass, tuple[int, float]] = {
    "read": (10, 1.0), "write": (5, 1.0), "create_driver": (1, 1.0),
    "import_stops": (10, 60.0), "import_drivers": (2, 60.0), "optimize": (3, 60.0),
}
# §6: (default, max) maxPageSize per list.
PAGE_SIZES: dict[str, tuple[int, int]] = {
    "plans": (10, 20), "stops": (10, 10), "drivers": (50, 50), "depots": (20, 20),
    "routes": (20, 20), "operations": (20, 20), "unassignedStops": (20, 20),
}

SUCCEEDED_STATES = frozenset({
    "delivered_to_recipient", "delivered_to_third_party", "delivered_to_mailbox",
    "delivered_to_safe_place", "delivered_to_pickup_point", "delivered_other",
    "picked_up_from_customer", "picked_up_unmanned", "picked_up_from_locker", "picked_up_other",
})
FAILED_STATES = frozenset({
    "failed_not_home", "failed_cant_find_address", "failed_no_parking", "failed_no_time",
    "failed_package_not_available", "failed_other", "failed_missing_required_proof",
    "failed_payment_not_received",
})
DELIVERY_STATES = SUCCEEDED_STATES | FAILED_STATES | {"unattempted"}  # §7.2


class CircuitError(Exception):
    """An error answer: §4's envelope `{message, code?, param?, url?}`."""

    def __init__(self, status: int, message: str, code: str | None = None,
                 param: str | None = None, url: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.param, self.url = (
            status, message, code, param, url)

    def body(self) -> dict[str, str]:
        body = {"message": self.message}
        for key, value in (("code", self.code), ("param", self.param), ("url", self.url)):
            if value is not None:
                body[key] = value
        return body


def bad(message: str, param: str | None = None) -> CircuitError:
    return CircuitError(400, message, param=param)


def new_id(rng: random.Random) -> str:
    """§12: ids are ~20 alphanumerics chosen by Spoke."""
    return "".join(rng.choice(_ALPHABET) for _ in range(20))


def check_id(raw: str, what: str) -> str:
    if not ID_PATTERN.match(raw):
        raise bad(f"Invalid {what}: must match [A-Za-z0-9_-]{{1,50}}", what)  # §3
    return raw


def bare(value: Any, collection: str, param: str) -> str:
    """`drivers/D1` → `D1`; a write that names another collection or a bad id is a 400."""
    if not isinstance(value, str) or not value.startswith(f"{collection}/"):
        raise bad(f"{param} must be a {collection}/<id> identifier", param)
    return check_id(value.removeprefix(f"{collection}/"), param)


def epoch(instant: datetime) -> int:
    """§7: resource timestamps are whole seconds."""
    return int(instant.timestamp())


def authorization_key(header: str) -> str | None:
    """The API key of `Basic base64(key:)` or `Bearer key` (§2)."""
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() == "bearer":
        return value.strip() or None
    if scheme.lower() == "basic":
        try:
            user, sep, _ = base64.b64decode(value, validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        return user if sep and user else None
    return None


# ---- lists (§6) --------------------------------------------------------------------------------


def filters(query: Mapping[str, str]) -> dict[str, str]:
    """`filter.<name>=v` and `filter[<name>]=v` are both accepted (§6)."""
    out: dict[str, str] = {}
    for key, value in query.items():
        if key.startswith("filter."):
            out[key[len("filter."):]] = value
        elif key.startswith("filter[") and key.endswith("]"):
            out[key[len("filter["):-1]] = value
    return out


def page(items: Sequence[dict[str, Any]], name: str, query: Mapping[str, str],
         secret: str) -> dict[str, Any]:
    """One page of `{<name>: [...], nextPageToken}`; a token is bound to the query it came
    from (§6: repeat the same parameters plus pageToken)."""
    default, most = PAGE_SIZES[name]
    size = default
    if "maxPageSize" in query:
        try:
            size = int(query["maxPageSize"])
        except ValueError:
            raise bad("maxPageSize must be an integer", "maxPageSize") from None
        if not 1 <= size <= most:
            raise bad(f"maxPageSize must be from 1 to {most}", "maxPageSize")
    rest = {k: v for k, v in query.items() if k != "pageToken"}
    fingerprint = hashlib.sha256((secret + json.dumps(sorted(rest.items()))).encode()).hexdigest()
    start = 0
    if query.get("pageToken"):
        try:
            decoded = json.loads(base64.urlsafe_b64decode(query["pageToken"].encode()))
            start, bound = int(decoded["o"]), str(decoded["q"])
        except (ValueError, KeyError, TypeError):
            raise bad("Invalid pageToken", "pageToken") from None
        if bound != fingerprint[:16]:
            raise bad("pageToken does not match the query parameters", "pageToken")
    end = start + size
    token = None
    if end < len(items):
        token = base64.urlsafe_b64encode(json.dumps(
            {"o": end, "q": fingerprint[:16]}).encode()).decode()
    return {name: list(items[start:end]), "nextPageToken": token}


# ---- rate limits (§5) and faults ---------------------------------------------------------------


class Buckets:
    """Token buckets per §5 class on the injected clock: a full bucket allows a short burst,
    then requests pass at the class's rate."""

    def __init__(self) -> None:
        self.level: dict[RateClass, float] = {c: float(n) for c, (n, _) in RATE_LIMITS.items()}
        self.seen: dict[RateClass, float] = {}

    def take(self, cls: RateClass, now: float) -> float | None:
        """None when allowed; else the seconds until one request would pass."""
        limit, window = RATE_LIMITS[cls]
        rate = limit / window
        last = self.seen.get(cls, now)
        self.level[cls] = min(float(limit), self.level[cls] + max(now - last, 0.0) * rate)
        self.seen[cls] = now
        if self.level[cls] >= 1.0:
            self.level[cls] -= 1.0
            return None
        return (1.0 - self.level[cls]) / rate

    def exhaust(self, cls: RateClass, now: float) -> None:
        self.level[cls], self.seen[cls] = 0.0, now


@dataclass
class Fault:
    """`fail_next`: the next `times` requests matching `method`/`path` (a regex searched in
    the path after the base) answer `status`; `applied` carries the request out first."""

    status: int
    message: str
    code: str | None
    method: str | None
    path: str | None
    applied: bool
    times: int

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (
            self.path is None or re.search(self.path, path) is not None)
