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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from doorstep.clock import Clock
from doorstep.messaging.segments import segments
from doorstep.sim.fakes.twilio_records import (
    API_VERSION,
    DEFAULT_ERRORS,
    DEFAULT_SENDER,
    ERROR_MESSAGES,
    HELP_KEYWORDS,
    IN_FLIGHT,
    MAGIC_FROM,
    MAGIC_TO,
    MAX_BODY,
    OPT_IN_KEYWORDS,
    OPT_OUT_KEYWORDS,
    PRICE_PER_SEGMENT,
    SCHEDULE_MAX,
    SCHEDULE_MIN,
    Callback,
    FakeMessage,
    Fault,
    KeywordKind,
    Outcome,
    Route,
    Script,
    Service,
    TwilioError,
    _date_test,
    _int,
    _plan,
    _valid_callback,
    _validity,
    is_e164,
    is_sender,
)


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
