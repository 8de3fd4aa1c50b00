"""A local fake of Twilio's Messages API that the real `twilio` SDK talks to (contract §12).

    with FakeTwilio(inbound_url="http://127.0.0.1:8000/webhooks/twilio/sms") as fake:
        client = fake.client(timeout=5)          # or Client(...); client.api.base_url = fake.url
        fake.script("+15558675310", outcome="undelivered", error_code=30003)
        msg = client.messages.create(to="+15558675310", from_="+15005550006", body="Hi",
                                     status_callback="http://127.0.0.1:8000/webhooks/twilio/status")
        fake.deliver_all()                       # signed callbacks: sending, sent, undelivered
        fake.send_inbound("+15558675310", "+15005550006", "STOP")   # signed, to inbound_url
        fake.fail_next(status=500, created=True) # the next create happens, the caller sees 500

Nothing moves by itself: `advance()` moves every message one status on and posts the callbacks
that causes; `deliver_all()` runs them to the end. `run_in_background()` does `advance()` on a
timer for the demo. The rules live in `twilio_state.py` and `twilio_records.py`, the API's HTTP
side in `twilio_app.py`, what the fake posts to us in `twilio_posting.py`.
"""

from __future__ import annotations

import base64
import hmac
import random
import threading
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable, Sequence
from typing import Any

from starlette.types import ASGIApp

from doorstep.clock import Clock, SystemClock
from doorstep.sim.fakes.serving import ServedFake
from doorstep.sim.fakes.twilio_posting import (
    CallbackOptions,
    Delivery,
    InboundResult,
    Posting,
    twiml_messages,
)
from doorstep.sim.fakes.twilio_records import (
    DEFAULT_REPLIES,
    Callback,
    FakeMessage,
    Fault,
    Outcome,
    Service,
    TwilioError,
)
from doorstep.sim.fakes.twilio_records import Route as FaultRoute
from doorstep.sim.fakes.twilio_state import TwilioState


class FakeTwilio(Posting, ServedFake):
    def __init__(self, *, account_sid: str | None = None, auth_token: str | None = None,
                 clock: Clock | None = None, seed: int | None = None, host: str = "127.0.0.1",
                 port: int = 0, inbound_url: str | None = None,
                 callbacks: CallbackOptions | None = None, auto_replies: bool = True,
                 emit_sending: bool = True, owned_numbers: Iterable[str] | None = None) -> None:
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self.account_sid = account_sid or f"AC{self._rng.getrandbits(128):032x}"
        self.auth_token = auth_token or f"{self._rng.getrandbits(128):032x}"
        self.clock: Clock = clock or SystemClock()
        self.state = TwilioState(self.account_sid, self.clock,
                                 random.Random(self._rng.getrandbits(64)),
                                 emit_sending=emit_sending, owned_numbers=owned_numbers)
        self.callbacks = callbacks or CallbackOptions()
        self.inbound_url = inbound_url
        self.auto_replies = auto_replies
        self._inbound_urls: dict[str, str] = {}
        self._api_keys: dict[str, str] = {}
        self._deliveries: list[Delivery] = []
        self._host, self._port = host, port
        self._serve("fake Twilio", self._host, self._port)

    # ---- lifecycle ----------------------------------------------------------------------------

    def _app(self) -> ASGIApp:
        from doorstep.sim.fakes.twilio_app import build_app  # the HTTP side needs this class

        return build_app(self)

    def _tick(self) -> None:
        self.advance()

    def _release(self) -> None:
        self.state.release_faults()

    def client(self, timeout: float = 5.0) -> Any:
        """A real `twilio.rest.Client` pointed at this fake (§1.3 option A). Keep TWILIO_EDGE
        and TWILIO_REGION unset: the SDK would rewrite the host."""
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        client = Client(self.account_sid, self.auth_token,
                        http_client=TwilioHttpClient(timeout=timeout))
        client.api.base_url = self.url
        return client

    # ---- configuration --------------------------------------------------------------------------

    def add_api_key(self) -> tuple[str, str]:
        """An `SK...` key and its secret, accepted as Basic auth for this account."""
        sid, secret = self.state.new_sid("SK"), self.state.new_sid("")
        self._api_keys[sid] = secret
        return sid, secret

    def add_service(self, sid: str | None = None, *, senders: Sequence[str] = (),
                    inbound_url: str | None = None, status_callback: str | None = None,
                    advanced_opt_out: bool = False) -> str:
        """A Messaging Service: its sender pool, inbound URL, default status callback, and
        whether Advanced Opt-Out adds `OptOutType` to inbound keyword messages."""
        sid = sid or self.state.new_sid("MG")
        self.state.add_service(Service(sid, list(senders), inbound_url, status_callback,
                                       advanced_opt_out))
        return sid

    def set_inbound_url(self, number: str, url: str) -> None:
        """Where inbound messages to our `number` are posted (else the service's, else the
        fake's `inbound_url`)."""
        self._inbound_urls[number] = url

    def script(self, to: str, outcome: Outcome = "delivered",
               error_code: int | None = None) -> None:
        """What happens to every later message to `to`: `delivered` (default), `sent` (no
        receipt ever), `undelivered` / `failed` with `error_code` in the callback (defaults
        30003 / 30006), or `invalid`: create is refused with 400 and `error_code` (default
        21211; 21614, 21612, 21408 ...). Twilio's magic test numbers (+1500555000x) also work."""
        self.state.script(to, outcome, error_code)

    def unscript(self, to: str) -> None:
        self.state.unscript(to)

    def fail_next(self, status: int = 500, *, code: int | None = None, created: bool = False,
                  route: FaultRoute = "create", times: int = 1, delay: float = 0.0) -> None:
        """The next `times` requests of `route` fail with `status` (429 gets code 20429 and is
        never processed). `created=True`: the request is carried out first (the message exists
        and progresses) and the caller still sees the failure — an unknown outcome."""
        created = created and status != 429
        self.state.add_fault(Fault(route, status, code, created, delay, times))

    def stall_next(self, seconds: float, *, created: bool = True,
                   route: FaultRoute = "create", times: int = 1) -> None:
        """The next request of `route` is answered only after `seconds` (or `release()` or
        `stop()`): beyond a client timeout. `created=True` stores the message before stalling;
        `created=False` stalls and then answers 503 without storing it."""
        status = None if created else 503
        self.state.add_fault(Fault(route, status, None, created, seconds, times))

    def release(self) -> None:
        """Let every stalled request answer now."""
        self.state.release_faults()

    def opt_out(self, recipient: str, sender: str) -> None:
        """As if `recipient` had texted STOP to `sender` (a number or an MG sid)."""
        self.state.set_opted_out(recipient, sender, True)

    def opt_in(self, recipient: str, sender: str) -> None:
        self.state.set_opted_out(recipient, sender, False)

    def is_opted_out(self, recipient: str, sender: str) -> bool:
        if sender.startswith("MG"):
            return self.state.is_opted_out(recipient, None, sender)
        return self.state.is_opted_out(recipient, sender, None)

    # ---- inspection --------------------------------------------------------------------------

    @property
    def messages(self) -> list[FakeMessage]:
        """Every message (outbound, replies, inbound), oldest first, as copies."""
        return self.state.snapshot()

    def message(self, sid: str) -> FakeMessage:
        return self.state.fetch(sid, sid)

    @property
    def deliveries(self) -> list[Delivery]:
        """Every POST made so far (callbacks and inbound), in order."""
        with self._lock:
            return list(self._deliveries)

    # ---- driving -----------------------------------------------------------------------------

    def advance(self, sid: str | None = None) -> list[Delivery]:
        """Move every message (or `sid`) one status on; post the callbacks that are due."""
        return self._deliver(self.state.advance(sid))

    def deliver_all(self, max_rounds: int = 20) -> list[Delivery]:
        """Advance until no message can move, then post all the callbacks of the run as one
        batch (so `shuffle` can put one message's statuses out of order)."""
        due: list[Callback] = []
        for _ in range(max_rounds):
            if not self.state.has_steps():
                break
            due.extend(self.state.advance())
        return self._deliver(due)

    def send_inbound(self, from_: str, to: str, body: str, url: str | None = None, *,
                     media_urls: Sequence[str] = ()) -> InboundResult:
        """A consumer `from_` texts our number `to`: Twilio applies its default keywords,
        queues its confirmation, POSTs the signed §5 parameters to our webhook and sends the
        TwiML `<Message>` replies it gets back."""
        message, keyword = self.state.receive(from_, to, body, media_urls)
        service = self.state.service_of_number(to)
        replies: list[FakeMessage] = []
        if self.auto_replies and keyword is not None and not (
                keyword == "HELP" and self.state.is_opted_out(from_, to, None)):
            replies.append(self.state.reply(to, from_, DEFAULT_REPLIES[keyword],
                                            keyword_reply=True))
        params = self._inbound_params(message, keyword, service)
        target = url or (service.inbound_url if service else None) or self._inbound_urls.get(
            to) or self.inbound_url
        if target is None:
            return InboundResult(message, keyword, None, None, replies)
        delivery = self._post(target, params, None)
        if delivery.status_code is None or not 200 <= delivery.status_code < 300:
            return InboundResult(message, keyword, delivery.status_code, delivery.body, replies,
                                 f"11200: {delivery.error or delivery.status_code}")
        error = None
        try:
            for reply_to, sender, text, callback in twiml_messages(delivery.body, from_, to):
                try:
                    replies.append(self.state.reply(sender, reply_to, text,
                                                    status_callback=callback))
                except TwilioError as e:
                    error = f"{e.code}: {e.message}"
        except ElementTree.ParseError as e:
            error = f"12100: the response is not TwiML ({e})"
        return InboundResult(message, keyword, delivery.status_code, delivery.body, replies,
                             error)

    # ---- HTTP side ---------------------------------------------------------------------------

    def authorized(self, header: str) -> bool:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(value, validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        expected = self.auth_token if user == self.account_sid else self._api_keys.get(user)
        return expected is not None and hmac.compare_digest(password, expected)
