"""The fake Onfleet's vocabulary (contracts/onfleet.md): the error envelope and sub-codes, ids,
triggers, the token bucket, phone and metadata rules, and the records it keeps of requests,
faults and webhook deliveries. `onfleet_state.py` and `onfleet_tasks.py` hold the state."""

from __future__ import annotations

import math
import random
import string
import uuid
from dataclasses import dataclass, field
from typing import Any

import phonenumbers

API_PREFIX = "/api/v2"
RATE_LIMIT = 20  # §1: requests per second, shared by all keys of the organization
PAGE_SIZE = 64  # §5.3: GET /tasks/all
MAX_NOTES = 10_000
ID_ALPHABET = string.ascii_letters + string.digits + "~*"  # §3
SHORT_ALPHABET = string.ascii_lowercase + string.digits
UNSET = object()

# §4.3: rows 0-20 by id; for >= 21 the test server's numbering (the lists disagree, ❓), and the
# fake accepts any id 0-30 but 11, always sending both triggerId and triggerName.
TRIGGERS: dict[int, str] = {
    0: "taskStarted", 1: "taskEta", 2: "taskArrival", 3: "taskCompleted", 4: "taskFailed",
    5: "workerDuty", 6: "taskCreated", 7: "taskUpdated", 8: "taskDeleted", 9: "taskAssigned",
    10: "taskUnassigned", 12: "taskDelayed", 13: "taskCloned",
    14: "smsRecipientResponseMissed", 15: "workerCreated", 16: "workerDeleted",
    17: "SMSRecipientOptOut", 18: "autoDispatchJobCompleted", 19: "taskBatchCreateJobCompleted",
    20: "routeOptimizationJobCompleted", 21: "routePlanCreated", 22: "routePlanStarted",
    23: "routePlanCompleted", 24: "workerUpdated", 25: "routePlanUpdated",
    26: "routePlanUnassigned", 27: "routePlanAssigned", 28: "routePlanDelayed",
    29: "predictedTaskDelay", 30: "predictedTaskDelay",
}
TRIGGER_IDS = {name: i for i, name in sorted(TRIGGERS.items(), reverse=True)}
THRESHOLD_TRIGGERS = frozenset({1, 2, 12})  # §4.1: at most 10 webhooks each
MAX_THRESHOLD_WEBHOOKS = 10

# §2: class and generic text of each sub-code. 404 and 403 sub-codes are not documented (❓).
ERRORS: dict[int, tuple[int, str, str]] = {
    1000: (400, "InvalidContent", "The values of the parameters sent in the request body are "
                                  "invalid."),
    1001: (400, "InvalidContent", "The request is ambiguous."),
    1003: (404, "ResourceNotFound", "The requested resource does not exist."),
    1004: (400, "InvalidContent", "Uniqueness constraint violated."),
    1005: (400, "InvalidContent", "The data types of the parameters are invalid."),
    1008: (400, "InvalidContent", "The webhook URL provided did not pass our validation test."),
    1009: (400, "InvalidContent", "Invalid time constraints."),
    1010: (400, "InvalidContent", "Invalid phone number."),
    1011: (400, "InvalidContent", "There was an issue geocoding the address."),
    1100: (401, "InvalidCredentials", "The request is not authorized."),
    1102: (401, "InvalidCredentials", "The API key provided is invalid."),
    1300: (403, "Forbidden", "You are not allowed to perform this action."),
    1901: (400, "InvalidArgument", "Parameters that must be unique are not unique."),
    2218: (412, "PreconditionFailed", "The precondition for this operation failed."),
    2300: (429, "TooManyRequests", "You have exceeded the request rate limit."),
    2500: (500, "InternalServerError", "An internal error occurred."),
}
# fail_next(status) without a code: the sub-code of that status
STATUS_CODES = {400: 1000, 401: 1102, 403: 1300, 404: 1003, 412: 2218, 429: 2300}


class OnfleetError(Exception):
    """A refusal in the §2 envelope."""

    def __init__(self, error: int, cause: str = "", status: int | None = None,
                 code: str | None = None) -> None:
        default_status, default_code, text = ERRORS.get(error, (500, "InternalServerError",
                                                                "An internal error occurred."))
        self.status = status or default_status
        self.code = code or default_code
        self.error = error
        self.text = text
        self.cause = cause
        super().__init__(f"{self.status} {self.code} {error}: {cause or text}")

    def body(self, request_id: str) -> dict[str, Any]:
        return {"code": self.code, "message": {"error": self.error, "message": self.text,
                                               "cause": self.cause, "request": request_id}}


def failure(status: int, code: int | None = None, cause: str = "") -> OnfleetError:
    """An error for any HTTP status: the documented sub-code where one is known, else the
    ≥2500 server range for 5xx (§2)."""
    sub = code or STATUS_CODES.get(status, 2500 if status >= 500 else 1000)
    return OnfleetError(sub, cause or "injected fault", status=status,
                        code="PreconditionFailed" if status == 412 and sub != 2218 else None)


def new_id(rng: random.Random) -> str:
    return "".join(rng.choice(ID_ALPHABET) for _ in range(24))


def new_short_id(rng: random.Random) -> str:
    return "".join(rng.choice(SHORT_ALPHABET) for _ in range(8))


def request_id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def e164(phone: Any, country: str) -> str:
    """§3/§7.3: E.164 out; a local number must be valid for the org's country."""
    if not isinstance(phone, str) or not phone.strip():
        raise OnfleetError(1010, "phone is required")
    try:
        parsed = phonenumbers.parse(phone, country)
    except phonenumbers.NumberParseException as e:
        raise OnfleetError(1010, f"{phone!r}: {e}") from None
    if not phonenumbers.is_valid_number(parsed):
        raise OnfleetError(1010, f"{phone!r} is not a valid phone number for {country}")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


_META_TYPES: dict[str, tuple[type, ...]] = {
    "boolean": (bool,), "number": (int, float), "string": (str,), "object": (dict,),
    "array": (list,)}


def _meta_value_ok(kind: str, value: Any) -> bool:
    if kind == "number" and isinstance(value, bool):
        return False
    return isinstance(value, _META_TYPES[kind])


def metadata(items: Any) -> list[dict[str, Any]]:
    """§7.7: a whole metadata array, checked; the value's JSON type must match `type`."""
    if not isinstance(items, list):
        raise OnfleetError(1005, "metadata must be an array")
    out = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise OnfleetError(1000, "each metadata entry needs a name")
        kind, value = item.get("type"), item.get("value")
        if kind not in _META_TYPES:
            raise OnfleetError(1000, f"metadata {item['name']}: unknown type {kind!r}")
        subtype = item.get("subtype")
        if kind == "array":
            if subtype not in _META_TYPES or subtype == "array":
                raise OnfleetError(1000, f"metadata {item['name']}: an array needs a subtype")
            ok = isinstance(value, list) and all(_meta_value_ok(subtype, v) for v in value)
        else:
            ok = _meta_value_ok(kind, value)
        if not ok:
            raise OnfleetError(1005, f"metadata {item['name']}: value is not a {kind}")
        visibility = item.get("visibility", ["api"])
        if not isinstance(visibility, list) or not set(visibility) <= {"api", "dashboard",
                                                                       "worker"}:
            raise OnfleetError(1000, f"metadata {item['name']}: bad visibility")
        entry = {"name": item["name"], "type": kind, "value": value, "visibility": visibility}
        if subtype is not None:
            entry["subtype"] = subtype
        out.append(entry)
    return out


def typed(body: dict[str, Any], name: str, kinds: type | tuple[type, ...],
          default: Any = None) -> Any:
    """`body[name]` if it has the JSON type (1005 otherwise); numbers are numbers (§3)."""
    value = body.get(name, default)
    if value is None or value is default:
        return value
    bad_bool = isinstance(value, bool) and bool not in (kinds if isinstance(kinds, tuple)
                                                        else (kinds,))
    if bad_bool or not isinstance(value, kinds):
        raise OnfleetError(1005, f"{name} has the wrong type")
    return value


class TokenBucket:
    """§1: 20 requests/second for the organization, refilled continuously on the fake's clock."""

    def __init__(self, rate: int, now: float) -> None:
        self.rate = rate
        self.tokens = float(rate)
        self.last = now

    def take(self, now: float) -> bool:
        self.tokens = min(float(self.rate), self.tokens + max(now - self.last, 0.0) * self.rate)
        self.last = now
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True

    @property
    def remaining(self) -> int:
        return max(math.floor(self.tokens), 0)


@dataclass
class Fault:
    """An injected failure for the next `times` requests matching `route` ("POST /tasks", a
    path prefix after /api/v2, or None for any). `applied`: carry the request out first and
    still answer the error, so the caller cannot know it happened."""

    status: int
    code: int | None = None
    route: str | None = None
    times: int = 1
    applied: bool = False
    cause: str = ""

    def matches(self, method: str, path: str) -> bool:
        if self.route is None:
            return True
        verb, _, prefix = self.route.partition(" ")
        if not prefix:
            verb, prefix = "", verb
        return (not verb or verb.upper() == method) and path.startswith(prefix)


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received, as it arrived (path without /api/v2)."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    raw: bytes
    headers: dict[str, str]
    status: int


@dataclass
class Outgoing:
    """A webhook payload waiting to be posted, and its retry state (§4.2)."""

    webhook_id: str
    url: str
    payload: dict[str, Any]
    first_due_ms: int
    due_ms: int
    attempts: int = 0


@dataclass(frozen=True)
class Delivery:
    """One webhook POST the fake made."""

    webhook_id: str
    url: str
    trigger_name: str
    body: bytes
    headers: dict[str, str]
    status_code: int | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status_code == 200  # §4.2: any other answer (201, 204 too) is a failure


@dataclass
class Event:
    """A trigger that fired: its payload is built and signed when it is queued."""

    trigger: str
    task_id: str | None = None
    worker_id: str | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    actor: tuple[str, str] | None = None  # actionContext (type, id)
