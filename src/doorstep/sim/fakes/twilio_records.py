"""The fake Twilio's vocabulary: its constants, error texts, magic numbers, the records it
keeps (messages, scripts, faults, services, callbacks) and the small rules they follow
(contracts/twilio.md §2-§5, §12). `twilio_state.py` holds the state that uses them."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from typing import Any, Literal
from urllib.parse import urlsplit

import phonenumbers

API_VERSION = "2010-04-01"
DEFAULT_SENDER = "+15005550006"  # Twilio's magic "valid sender"
MAX_BODY = 1600
MAX_VALIDITY = 36000
SCHEDULE_MIN = timedelta(seconds=300)  # §2.2: more than 5 min ahead (older pages: 15 min)
SCHEDULE_MAX = timedelta(days=35)
PRICE_PER_SEGMENT = "0.00790"

Outcome = Literal["delivered", "sent", "undelivered", "failed", "invalid"]
Route = Literal["create", "fetch", "list", "update", "delete", "any"]
KeywordKind = Literal["STOP", "START", "HELP"]

INITIAL = frozenset({"accepted", "scheduled", "queued"})
IN_FLIGHT = frozenset({"accepted", "scheduled", "queued", "sending"})
TERMINAL = frozenset({"delivered", "undelivered", "failed", "canceled", "received"})

# §5.1: Twilio's default keywords (whole message, one word, any case).
OPT_OUT_KEYWORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT",
                              "REVOKE", "OPTOUT"})
OPT_IN_KEYWORDS = frozenset({"START", "YES", "UNSTOP"})
HELP_KEYWORDS = frozenset({"HELP", "INFO"})
DEFAULT_REPLIES: dict[KeywordKind, str] = {
    "STOP": "You have successfully been unsubscribed. You will not receive any more messages "
            "from this number. Reply START to resubscribe.",
    "START": "You have successfully been re-subscribed to messages from this number. Reply HELP "
             "for help. Reply STOP to unsubscribe. Msg&Data Rates May Apply.",
    "HELP": "Reply STOP to unsubscribe. Msg&Data Rates May Apply.",
}

ERROR_MESSAGES: dict[int, str] = {
    20003: "Authenticate",
    20009: "Cannot delete this resource before it is complete",
    20404: "The requested resource {path} was not found",
    20429: "Too Many Requests",
    21211: "The 'To' number {to} is not a valid phone number.",
    21212: "The 'From' number {from_} is not a valid phone number, shortcode, or alphanumeric "
           "sender ID.",
    21408: "Permission to send an SMS has not been enabled for the region indicated by the "
           "'To' number: {to}.",
    21603: "A 'From' or 'MessagingServiceSid' parameter is required to send a message.",
    21604: "A 'To' phone number is required.",
    21606: "The 'From' phone number provided ({from_}) is not a valid message-capable Twilio "
           "phone number for this destination/account.",
    21609: "Invalid StatusCallback url",
    21610: "Attempt to send to unsubscribed recipient",
    21611: "This 'From' number has exceeded the maximum number of queued messages",
    21612: "The 'To' phone number: {to}, is not currently reachable using the 'From' phone "
           "number: {from_} via SMS.",
    21614: "'To' number {to} is not a valid mobile number",
    21617: "The concatenated message body exceeds the 1600 character limit.",
    21619: "A text message body or media urls must be specified.",
    21624: "Invalid validity period value",
    30400: "Parameters are not valid",
    30409: "Message cannot be canceled: it is not scheduled.",
    35111: "SendAt timestamp is missing",
    35114: "Scheduling does not support this timestamp",
    35115: "Scheduling does not support this timestamp",
    35118: "MessagingServiceSid is required to schedule a message",
    35126: "The ScheduleType value provided is not supported for this channel",
    # asynchronous (ErrorCode in callbacks, error_message on the resource)
    30001: "Queue overflow",
    30002: "Account suspended",
    30003: "Unreachable destination handset",
    30004: "Message blocked",
    30005: "Unknown destination handset",
    30006: "Landline or unreachable carrier",
    30007: "Message filtered",
    30008: "Unknown error",
    30034: "Message from an unregistered number",
    30036: "Validity period expired",
    30500: "Internal error",
}

# Twilio's test-credential magic numbers (docs: iam/test-credentials, SMS).
MAGIC_TO: dict[str, int] = {"+15005550001": 21211, "+15005550002": 21612,
                            "+15005550003": 21408, "+15005550004": 21610,
                            "+15005550009": 21614}
MAGIC_FROM: dict[str, int] = {"+15005550001": 21212, "+15005550007": 21606,
                              "+15005550008": 21611}
DEFAULT_ERRORS: dict[str, int] = {"undelivered": 30003, "failed": 30006, "invalid": 21211}


class TwilioError(Exception):
    """A synchronous API error: HTTP status and the §3.1 JSON body."""

    def __init__(self, status: int, code: int | None, message: str | None = None, **fmt: str):
        text = message or ERROR_MESSAGES.get(code or 0, "Error").format_map(_Blank(fmt))
        super().__init__(text)
        self.status = status
        self.code = code
        self.message = text

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"message": self.message, "status": self.status}
        if self.code is not None:
            out["code"] = self.code
            out["more_info"] = f"https://www.twilio.com/docs/errors/{self.code}"
        return out


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def rfc2822(when: datetime | None) -> str | None:
    return None if when is None else format_datetime(when.astimezone(UTC).replace(microsecond=0))


def is_e164(address: str) -> bool:
    """E.164, optionally behind a channel prefix (`whatsapp:+1...`)."""
    number = address.split(":", 1)[1] if ":" in address else address
    if not number.startswith("+") or not number[1:].isdigit():
        return False
    try:
        return bool(phonenumbers.is_possible_number(phonenumbers.parse(number, None)))
    except phonenumbers.NumberParseException:
        return False


def is_sender(address: str) -> bool:
    """E.164, a short code (3-8 digits) or an alphanumeric sender ID (<= 11, one letter)."""
    if is_e164(address):
        return True
    if address.isdigit():
        return 3 <= len(address) <= 8
    return (0 < len(address) <= 11 and any(c.isalpha() for c in address)
            and all(c.isalnum() or c == " " for c in address))


@dataclass
class FakeMessage:
    """One Message resource. `steps` are the statuses still to come, with their error codes."""

    sid: str
    seq: int
    to: str
    from_: str | None
    body: str
    status: str
    direction: str
    date_created: datetime
    date_updated: datetime
    messaging_service_sid: str | None = None
    num_segments: str = "1"
    num_media: str = "0"
    media_urls: tuple[str, ...] = ()
    error_code: int | None = None
    error_message: str | None = None
    price: str | None = None
    price_unit: str | None = None
    date_sent: datetime | None = None
    status_callback: str | None = None
    validity_period: int = MAX_VALIDITY
    send_at: datetime | None = None
    steps: list[tuple[str, int | None]] = field(default_factory=list)
    params: dict[str, list[str]] = field(default_factory=dict)  # the create request, as sent

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL

    def uri(self, account_sid: str) -> str:
        return f"/{API_VERSION}/Accounts/{account_sid}/Messages/{self.sid}.json"

    def resource(self, account_sid: str) -> dict[str, Any]:
        """The §2.3 JSON."""
        base = f"/{API_VERSION}/Accounts/{account_sid}/Messages/{self.sid}"
        return {
            "sid": self.sid, "account_sid": account_sid,
            "messaging_service_sid": self.messaging_service_sid,
            "from": self.from_, "to": self.to, "body": self.body, "status": self.status,
            "direction": self.direction, "num_segments": self.num_segments,
            "num_media": self.num_media, "error_code": self.error_code,
            "error_message": self.error_message, "price": self.price,
            "price_unit": self.price_unit, "api_version": API_VERSION,
            "date_created": rfc2822(self.date_created), "date_sent": rfc2822(self.date_sent),
            "date_updated": rfc2822(self.date_updated), "uri": base + ".json",
            "subresource_uris": {"media": base + "/Media.json",
                                 "feedback": base + "/Feedback.json"},
        }


@dataclass(frozen=True)
class Script:
    outcome: Outcome
    error_code: int | None


@dataclass
class Fault:
    """An injected failure for the next matching request. `status` None: answer normally but
    only after `delay`; `created`: the create is carried out before the failure is returned."""

    route: Route
    status: int | None
    code: int | None
    created: bool
    delay: float
    times: int
    released: threading.Event = field(default_factory=threading.Event)

    def error(self) -> TwilioError:
        assert self.status is not None
        code = self.code
        if code is None and self.status == 429:
            code = 20429
        message = ERROR_MESSAGES.get(code or 0) or "An internal server error has occurred"
        return TwilioError(self.status, code, message)


@dataclass
class Service:
    sid: str
    senders: list[str]
    inbound_url: str | None = None
    status_callback: str | None = None
    advanced_opt_out: bool = False


@dataclass(frozen=True)
class Callback:
    """A status callback that is due: where, what, and the event's idempotency token."""

    url: str
    params: dict[str, str]
    token: str
    sid: str
    status: str


def _plan(outcome: Outcome, code: int | None) -> list[tuple[str, int | None]]:
    if outcome == "failed":
        return [("failed", code)]
    steps: list[tuple[str, int | None]] = [("sending", None), ("sent", None)]
    if outcome == "delivered":
        steps.append(("delivered", None))
    elif outcome == "undelivered":
        steps.append(("undelivered", code))
    return steps


def _validity(raw: str | None) -> int:
    if raw is None:
        return MAX_VALIDITY
    try:
        value = int(raw)
    except ValueError:
        raise TwilioError(400, 21624) from None
    if not 1 <= value <= MAX_VALIDITY:
        raise TwilioError(400, 21624)
    return value


def _valid_callback(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname) and "_" not in (
        parts.hostname or "")


def _int(raw: str | None, default: int) -> int:
    try:
        return int(raw) if raw is not None else default
    except ValueError:
        return default


def _date_test(key: str, raw: str) -> Callable[[datetime | None], bool]:
    """A predicate on `date_sent` for DateSent / DateSent< / DateSent> given a day
    (`YYYY-MM-DD`) or an instant (`YYYY-MM-DDTHH:MM:SSZ`, as the SDK sends). Unsent messages
    (`date_sent` null) match no date filter."""
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            instant = None
        else:
            instant = datetime.fromisoformat(raw.replace("Z", "+00:00"))
            if instant.tzinfo is None:
                instant = instant.replace(tzinfo=UTC)
            day = instant.astimezone(UTC).date()
    except ValueError:
        raise TwilioError(400, 20001, f"Invalid {key}: {raw}") from None

    def test(sent: datetime | None) -> bool:
        if sent is None:
            return False
        if key == "DateSent" or instant is None:
            d = sent.astimezone(UTC).date()
            return d == day if key == "DateSent" else (d <= day if key.endswith("<") else d >= day)
        return sent <= instant if key.endswith("<") else sent >= instant

    return test
