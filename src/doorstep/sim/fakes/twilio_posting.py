"""What the fake Twilio posts to us: status callbacks and incoming texts, signed as Twilio
signs them (§6), delivered and retried as §7 says, each kept as a `Delivery` for the tests."""

from __future__ import annotations

import random
import threading
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field

import httpx
import phonenumbers
from twilio.request_validator import RequestValidator

from doorstep.sim.fakes.twilio_records import (
    API_VERSION,
    Callback,
    FakeMessage,
    KeywordKind,
    Service,
)


def twilio_signature(auth_token: str, url: str, params: dict[str, str]) -> str:
    """`X-Twilio-Signature` for a form POST (§6), computed by the SDK's own validator."""
    return str(RequestValidator(auth_token).compute_signature(url, params))


@dataclass
class CallbackOptions:
    """How status callbacks are delivered. `duplicate`: chance (0-1) that a callback is sent a
    second time with the same idempotency token; `shuffle`: each batch in random order (so a
    late `sent` can follow `delivered`); `retries`: retries after a failed connection (Twilio's
    `rc`, default 1)."""

    duplicate: float = 0.0
    shuffle: bool = False
    idempotency_token: bool = True
    retries: int = 1
    timeout: float = 5.0


@dataclass(frozen=True)
class Delivery:
    """One POST the fake made (a status callback or an inbound message)."""

    url: str
    params: dict[str, str]
    headers: dict[str, str]
    status_code: int | None
    error: str | None = None
    body: str = ""


@dataclass(frozen=True)
class InboundResult:
    """What `send_inbound` did: the stored inbound message, the default keyword it matched, our
    webhook's answer (None when no URL), and the replies Twilio queued (keyword confirmation,
    TwiML `<Message>`s). `error` is set as Twilio's debugger would (11200, or 21610 for a
    reply to an opted-out recipient)."""

    message: FakeMessage
    keyword: KeywordKind | None
    status_code: int | None
    twiml: str | None
    replies: list[FakeMessage] = field(default_factory=list)
    error: str | None = None


class Posting:
    """The posting half of `FakeTwilio`."""

    account_sid: str
    auth_token: str
    callbacks: CallbackOptions
    _lock: threading.Lock
    _rng: random.Random
    _http: httpx.Client | None
    _deliveries: list[Delivery]

    def _inbound_params(self, message: FakeMessage, keyword: KeywordKind | None,
                        service: Service | None) -> dict[str, str]:
        params = {
            "AccountSid": self.account_sid, "ApiVersion": API_VERSION, "Body": message.body,
            "From": message.from_ or "", "To": message.to, "MessageSid": message.sid,
            "SmsSid": message.sid, "SmsMessageSid": message.sid,
            "NumMedia": message.num_media, "NumSegments": message.num_segments,
            "SmsStatus": "received",
        }
        for side, number in (("From", message.from_), ("To", message.to)):
            country = country_of(number or "")
            if country:
                params[f"{side}Country"] = country
        for i, media in enumerate(message.media_urls):
            params[f"MediaUrl{i}"] = media
            params[f"MediaContentType{i}"] = "image/jpeg"
        if service is not None:
            params["MessagingServiceSid"] = service.sid
            if service.advanced_opt_out and keyword is not None:
                params["OptOutType"] = keyword
        return params

    def _deliver(self, due: list[Callback]) -> list[Delivery]:
        with self._lock:
            batch: list[Callback] = []
            for cb in due:
                batch.append(cb)
                if self.callbacks.duplicate and self._rng.random() < self.callbacks.duplicate:
                    batch.append(cb)
            if self.callbacks.shuffle:
                self._rng.shuffle(batch)
        token = self.callbacks.idempotency_token
        return [self._post(cb.url, cb.params, cb.token if token else None) for cb in batch]

    def _post(self, url: str, params: dict[str, str], token: str | None) -> Delivery:
        headers = {"X-Twilio-Signature": twilio_signature(self.auth_token, url, params),
                   "User-Agent": "TwilioProxy/1.1"}
        if token is not None:
            headers["I-Twilio-Idempotency-Token"] = token
        http = self._http or httpx.Client(trust_env=False)
        delivery = Delivery(url, params, headers, None, "not sent")
        for _ in range(1 + max(self.callbacks.retries, 0)):
            try:
                r = http.post(url, data=params, headers=headers, timeout=self.callbacks.timeout)
            except httpx.ConnectError as e:  # Twilio retries a failed connection (§7 rc)
                delivery = Delivery(url, params, headers, None, f"connect: {e}")
                self._record(delivery)
                continue
            except httpx.HTTPError as e:
                delivery = Delivery(url, params, headers, None, f"{type(e).__name__}: {e}")
            else:
                delivery = Delivery(url, params, headers, r.status_code, None, r.text)
            self._record(delivery)
            break
        if http is not self._http:
            http.close()
        return delivery

    def _record(self, delivery: Delivery) -> None:
        with self._lock:
            self._deliveries.append(delivery)


def country_of(number: str) -> str | None:
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return None
    region = phonenumbers.region_code_for_number(parsed)  # None for unassigned numbers
    if region is None and parsed.country_code:
        region = phonenumbers.region_code_for_country_code(parsed.country_code)
    return None if region in (None, phonenumbers.UNKNOWN_REGION) else str(region)


def twiml_messages(text: str, consumer: str,
                    ours: str) -> list[tuple[str, str, str, str | None]]:
    """(to, from, body, statusCallback) of each `<Message>` of a TwiML `<Response>`."""
    root = ElementTree.fromstring(text)
    if root.tag != "Response":
        raise ElementTree.ParseError(f"root element is <{root.tag}>, not <Response>")
    out = []
    for element in root.iter("Message"):
        body = element.find("Body")
        content = (body.text if body is not None else element.text) or ""
        out.append((element.get("to") or consumer, element.get("from") or ours, content.strip(),
                    element.get("statusCallback")))
    return out
