"""The state and rules of the fake Twilio Messages API (contracts/twilio.md §2-§5, §12).

No HTTP here: `TwilioState` validates and records messages, keeps the opt-out block list, the
scripted outcomes and the injected faults, moves messages through their statuses one step per
`advance()`, and returns the status callbacks that are due (unsigned; `twilio.py` signs and
posts them). Every method takes the one lock, so the server thread, the test thread and the
background driver can share it.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from typing import Any, Literal
from urllib.parse import urlencode, urlsplit

import phonenumbers

from doorstep.clock import Clock
from doorstep.messaging.segments import segments

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


class TwilioState:
    def __init__(self, account_sid: str, clock: Clock, rng: random.Random, *,
                 emit_sending: bool = True, owned_numbers: Iterable[str] | None = None) -> None:
        self.account_sid = account_sid
        self.clock = clock
        self.rng = rng
        self.emit_sending = emit_sending
        self.owned_numbers = None if owned_numbers is None else set(owned_numbers)
        self.lock = threading.RLock()
        self._messages: dict[str, FakeMessage] = {}
        self._seq = 0
        self._scripts: dict[str, Script] = {}
        self._faults: list[Fault] = []
        self._stalls: list[Fault] = []
        self._blocked: set[tuple[str, str]] = set()  # (recipient, number or MG sid)
        self._services: dict[str, Service] = {}
        self._due: list[Callback] = []  # callbacks raised outside advance() (cancel)

    # ---- ids, configuration ---------------------------------------------------------------

    def new_sid(self, prefix: str) -> str:
        with self.lock:
            return f"{prefix}{self.rng.getrandbits(128):032x}"

    def add_service(self, service: Service) -> None:
        with self.lock:
            self._services[service.sid] = service

    def service(self, sid: str) -> Service:
        """A service by sid; an unknown MG sid gets an empty pool (From or the default sender)."""
        with self.lock:
            return self._services.setdefault(sid, Service(sid, []))

    def service_of_number(self, number: str) -> Service | None:
        with self.lock:
            return next((s for s in self._services.values() if number in s.senders), None)

    def script(self, to: str, outcome: Outcome, error_code: int | None) -> None:
        with self.lock:
            self._scripts[to] = Script(outcome, error_code)

    def unscript(self, to: str) -> None:
        with self.lock:
            self._scripts.pop(to, None)

    def add_fault(self, fault: Fault) -> None:
        with self.lock:
            self._faults.append(fault)
            if fault.delay > 0:
                self._stalls.append(fault)

    def take_fault(self, route: Route) -> Fault | None:
        with self.lock:
            for fault in self._faults:
                if fault.route in (route, "any"):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
            return None

    def release_faults(self) -> None:
        """End every stall, pending or in progress."""
        with self.lock:
            for fault in self._stalls:
                fault.released.set()
            self._stalls = []

    # ---- opt-out ----------------------------------------------------------------------------

    def scope(self, sender: str) -> str:
        """What an opt-out binds to: the sender's Messaging Service if it has one, else itself."""
        service = self.service_of_number(sender)
        return service.sid if service else sender

    def set_opted_out(self, recipient: str, sender: str, opted_out: bool) -> None:
        with self.lock:
            key = (recipient, sender if sender.startswith("MG") else self.scope(sender))
            if opted_out:
                self._blocked.add(key)
            else:
                self._blocked.discard(key)

    def is_opted_out(self, recipient: str, sender: str | None, service_sid: str | None) -> bool:
        with self.lock:
            scopes = {service_sid} if service_sid else set()
            if sender:
                scopes.add(self.scope(sender))
            return any((recipient, s) in self._blocked for s in scopes)

    # ---- the Messages API -------------------------------------------------------------------

    def create(self, form: Mapping[str, Sequence[str]]) -> FakeMessage:
        """Validate a create request as Twilio does (first failure wins) and store the message;
        raises `TwilioError` with the §3.2 code."""
        with self.lock:
            return self._create(form)

    def _create(self, form: Mapping[str, Sequence[str]]) -> FakeMessage:
        one = {k: v[-1] for k, v in form.items() if v}
        to = one.get("To", "")
        from_ = one.get("From") or None
        service_sid = one.get("MessagingServiceSid") or None
        if from_ and from_.startswith("MG") and not service_sid:
            service_sid, from_ = from_, None
        body = one.get("Body", "")
        media = tuple(form.get("MediaUrl", ()))
        now = self.clock.now()
        if not to:
            raise TwilioError(400, 21604)
        if not is_e164(to):
            raise TwilioError(400, 21211, to=to)
        if not from_ and not service_sid:
            raise TwilioError(400, 21603)
        if from_ and not is_sender(from_):
            raise TwilioError(400, 21212, from_=from_)
        if from_ in MAGIC_FROM:
            raise TwilioError(400, MAGIC_FROM[from_], from_=from_)
        if from_ and self.owned_numbers is not None and from_ not in self.owned_numbers:
            raise TwilioError(400, 21606, from_=from_)
        if not body and not media and not one.get("ContentSid"):
            raise TwilioError(400, 21619)
        if len(body) > MAX_BODY:
            raise TwilioError(400, 21617)
        validity = _validity(one.get("ValidityPeriod"))
        send_at = self._schedule(one, service_sid, now)
        callback = one.get("StatusCallback") or None
        if callback is not None and not _valid_callback(callback):
            raise TwilioError(400, 21609)
        script = self._scripts.get(to)
        if to in MAGIC_TO:
            raise TwilioError(400, MAGIC_TO[to], to=to, from_=from_ or "")
        if script is not None and script.outcome == "invalid":
            raise TwilioError(400, script.error_code or DEFAULT_ERRORS["invalid"], to=to,
                              from_=from_ or "")
        if self.is_opted_out(to, from_, service_sid):
            raise TwilioError(400, 21610)
        service = self.service(service_sid) if service_sid else None
        status = ("scheduled" if send_at else "accepted") if service else "queued"
        outcome = script.outcome if script else "delivered"
        code = (script.error_code if script else None) or DEFAULT_ERRORS.get(outcome)
        steps = ([("queued", None)] if service else []) + _plan(outcome, code)
        message = FakeMessage(
            sid=self.new_sid("MM" if media else "SM"), seq=0, to=to, from_=from_,
            body=body, status=status, direction="outbound-api", date_created=now,
            date_updated=now, messaging_service_sid=service_sid,
            num_segments="0" if service else str(segments(body).count),
            num_media=str(len(media)), media_urls=media,
            status_callback=callback or (service.status_callback if service else None),
            validity_period=validity, send_at=send_at, steps=steps,
            params={k: list(v) for k, v in form.items()})
        return self._record(message)

    def _schedule(self, one: Mapping[str, str], service_sid: str | None,
                  now: datetime) -> datetime | None:
        kind = one.get("ScheduleType")
        if kind is None:
            return None
        if kind != "fixed":
            raise TwilioError(400, 35126)
        if not service_sid:
            raise TwilioError(400, 35118)
        raw = one.get("SendAt")
        if not raw:
            raise TwilioError(400, 35111)
        try:
            send_at = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise TwilioError(400, 35114) from None
        if send_at.tzinfo is None:
            raise TwilioError(400, 35114)
        if not SCHEDULE_MIN < send_at - now <= SCHEDULE_MAX:
            raise TwilioError(400, 35115)
        return send_at

    def _record(self, message: FakeMessage) -> FakeMessage:
        self._seq += 1
        message.seq = self._seq
        self._messages[message.sid] = message
        return replace(message)

    def receive(self, from_: str, to: str, body: str,
                media_urls: Sequence[str] = ()) -> tuple[FakeMessage, KeywordKind | None]:
        """An inbound message from a consumer to our number `to`: stored as `received`, and a
        default keyword (§5.1) applied to the block list of `to` (or of its service)."""
        now = self.clock.now()
        word = body.strip().upper()
        keyword: KeywordKind | None = (
            "STOP" if word in OPT_OUT_KEYWORDS else "START" if word in OPT_IN_KEYWORDS
            else "HELP" if word in HELP_KEYWORDS else None)
        with self.lock:
            service = self.service_of_number(to)
            message = FakeMessage(
                sid=self.new_sid("MM" if media_urls else "SM"), seq=0, to=to, from_=from_,
                body=body, status="received", direction="inbound", date_created=now,
                date_updated=now, messaging_service_sid=service.sid if service else None,
                num_segments=str(segments(body).count), num_media=str(len(media_urls)),
                media_urls=tuple(media_urls), date_sent=now)
            if keyword in ("STOP", "START"):
                self.set_opted_out(from_, to, keyword == "STOP")
            return self._record(message), keyword

    def reply(self, sender: str, to: str, body: str, *, status_callback: str | None = None,
              keyword_reply: bool = False) -> FakeMessage:
        """An `outbound-reply` (TwiML `<Message>` or Twilio's own keyword confirmation, which
        alone may reach an opted-out recipient). Follows the recipient's script."""
        now = self.clock.now()
        with self.lock:
            if not keyword_reply and self.is_opted_out(to, sender, None):
                raise TwilioError(400, 21610)
            script = self._scripts.get(to)
            outcome: Outcome = script.outcome if script else "delivered"
            outcome = "delivered" if outcome == "invalid" else outcome
            code = (script.error_code if script else None) or DEFAULT_ERRORS.get(outcome)
            service = self.service_of_number(sender)
            return self._record(FakeMessage(
                sid=self.new_sid("SM"), seq=0, to=to, from_=sender, body=body, status="queued",
                direction="outbound-reply", date_created=now, date_updated=now,
                messaging_service_sid=service.sid if service else None,
                num_segments=str(segments(body).count), status_callback=status_callback,
                steps=_plan(outcome, code)))

    def fetch(self, sid: str, path: str) -> FakeMessage:
        with self.lock:
            message = self._messages.get(sid)
            if message is None:
                raise TwilioError(404, 20404, path=path)
            return replace(message)

    def update(self, sid: str, form: Mapping[str, Sequence[str]], path: str) -> FakeMessage:
        one = {k: v[-1] for k, v in form.items() if v}
        with self.lock:
            message = self._messages.get(sid)
            if message is None:
                raise TwilioError(404, 20404, path=path)
            if ("Body" in one) == ("Status" in one):
                raise TwilioError(400, 30400)
            now = self.clock.now()
            if "Status" in one:
                if one["Status"] != "canceled":
                    raise TwilioError(400, 30400)
                if message.status != "scheduled":
                    raise TwilioError(400, 30409)
                message.steps = []
                self._set_status(message, "canceled", None, now)
                cb = self._callback(message)
                if cb is not None:
                    self._due.append(cb)
            else:
                if one["Body"] != "":
                    raise TwilioError(400, 30400)
                if message.status in IN_FLIGHT:
                    raise TwilioError(400, 30400, "A message can be redacted only once it has "
                                                  "left the queue")
                message.body = ""
                message.date_updated = now
            return replace(message)

    def delete(self, sid: str, path: str) -> None:
        with self.lock:
            message = self._messages.get(sid)
            if message is None:
                raise TwilioError(404, 20404, path=path)
            if message.status in IN_FLIGHT:
                raise TwilioError(400, 20009)
            del self._messages[sid]

    def snapshot(self) -> list[FakeMessage]:
        """Every message, oldest first, as copies."""
        with self.lock:
            return [replace(m, steps=list(m.steps)) for m in self._messages.values()]

    def page(self, query: Mapping[str, str], path: str) -> dict[str, Any]:
        """One §2.4 list page: newest first, filtered, with a `PageToken` cursor."""
        filters = [(k, query[k]) for k in ("To", "From", "DateSent", "DateSent<", "DateSent>")
                   if query.get(k)]
        tests = [_date_test(k, v) for k, v in filters if k.startswith("DateSent")]
        want_to, want_from = query.get("To"), query.get("From")
        size = min(max(_int(query.get("PageSize"), 50), 1), 1000)
        number = max(_int(query.get("Page"), 0), 0)
        token = query.get("PageToken", "")
        with self.lock:
            rows = sorted(self._messages.values(), key=lambda m: (m.date_created, m.seq),
                          reverse=True)
            rows = [m for m in rows
                    if (not want_to or m.to == want_to) and (not want_from or m.from_ == want_from)
                    and all(t(m.date_sent) for t in tests)]
            sids = [m.sid for m in rows]
            start = number * size
            if token[2:] in sids:
                at = sids.index(token[2:])
                start = at + 1 if token.startswith("PA") else max(at - size, 0)
            chunk = [m.resource(self.account_sid) for m in rows[start:start + size]]
            first_sid = rows[start].sid if chunk else None
            last_sid = rows[start + len(chunk) - 1].sid if chunk else None
            more = start + size < len(rows)

        def uri(page: int, page_token: str | None = None) -> str:
            pairs = [*filters, ("PageSize", str(size)), ("Page", str(page))]
            if page_token:
                pairs.append(("PageToken", page_token))
            return f"{path}?{urlencode(pairs)}"

        return {
            "messages": chunk, "page": number, "page_size": size, "start": number * size,
            "end": number * size + max(len(chunk) - 1, 0),
            "uri": uri(number, token or None), "first_page_uri": uri(0),
            "next_page_uri": uri(number + 1, f"PA{last_sid}") if more and last_sid else None,
            "previous_page_uri": (uri(number - 1, f"PB{first_sid}")
                                  if number > 0 and first_sid else None),
        }

    # ---- status progression -----------------------------------------------------------------

    def advance(self, sid: str | None = None) -> list[Callback]:
        """Move every message with a step to come (or just `sid`) one status on; scheduled
        messages move only once the clock reaches `SendAt`. Returns the callbacks now due."""
        now = self.clock.now()
        out: list[Callback] = []
        with self.lock:
            out, self._due = self._due, []
            for message in list(self._messages.values()):
                if sid is not None and message.sid != sid:
                    continue
                if not message.steps or (message.send_at and now < message.send_at):
                    continue
                if message.status in ("queued", "accepted", "scheduled") and self._expired(
                        message, now):
                    message.steps = [("failed", 30036)]
                status, code = message.steps.pop(0)
                self._set_status(message, status, code, now)
                cb = self._callback(message)
                if cb is not None and (status != "sending" or self.emit_sending):
                    out.append(cb)
        return out

    def has_steps(self) -> bool:
        """True while some message can still move (scheduled ones that are not due excluded)."""
        now = self.clock.now()
        with self.lock:
            return bool(self._due) or any(
                m.steps and not (m.send_at and now < m.send_at) for m in self._messages.values())

    def _expired(self, message: FakeMessage, now: datetime) -> bool:
        start = message.send_at or message.date_created
        return now - start > timedelta(seconds=message.validity_period)

    def _set_status(self, message: FakeMessage, status: str, code: int | None,
                    now: datetime) -> None:
        message.status = status
        message.date_updated = now
        if status == "queued" and message.messaging_service_sid:
            service = self.service(message.messaging_service_sid)
            if message.from_ is None:
                message.from_ = service.senders[0] if service.senders else DEFAULT_SENDER
            message.num_segments = str(segments(message.body).count)
        if status == "sent":
            message.date_sent = now
            message.price = f"-{float(PRICE_PER_SEGMENT) * int(message.num_segments):.5f}"
            message.price_unit = "USD"
        if code is not None:
            message.error_code = code
            message.error_message = ERROR_MESSAGES.get(code)

    def _callback(self, message: FakeMessage) -> Callback | None:
        if not message.status_callback:
            return None
        params = {
            "AccountSid": self.account_sid, "ApiVersion": API_VERSION,
            "From": message.from_ or "", "To": message.to, "MessageSid": message.sid,
            "SmsSid": message.sid, "MessageStatus": message.status, "SmsStatus": message.status,
        }
        if message.messaging_service_sid:
            params["MessagingServiceSid"] = message.messaging_service_sid
        if message.status in ("failed", "undelivered") and message.error_code is not None:
            params["ErrorCode"] = str(message.error_code)
        if message.status in ("delivered", "undelivered"):
            params["RawDlrDoneDate"] = message.date_updated.astimezone(UTC).strftime("%y%m%d%H%M")
        return Callback(message.status_callback, params, self.new_sid(""), message.sid,
                        message.status)


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
