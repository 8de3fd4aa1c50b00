"""The fake Twilio server, driven by the real `twilio` SDK (contracts/twilio.md §12).

Status callbacks and inbound messages go to a small real HTTP receiver, and every signature is
checked with the SDK's own `RequestValidator`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from doorstep.clock import VirtualClock
from doorstep.sim.fakes import CallbackOptions, FakeTwilio

SENDER = "+15005550006"
ALICE = "+15558675310"
BOB = "+15558675311"
WAIT = 5.0
SID = re.compile(r"^SM[0-9a-f]{32}$")
T0 = datetime(2026, 7, 14, 15, 4, 5, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _no_edge_or_region(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TWILIO_EDGE", "TWILIO_REGION"):  # §1.3: they would rewrite the host
        monkeypatch.delenv(name, raising=False)


# ---- a webhook receiver: a real HTTP server in a thread ------------------------------------


class Receiver:
    """Records every POST; answers 200 (TwiML `twiml` on /sms, empty elsewhere)."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict[str, str], list[tuple[str, str]]]] = []
        self.changed = threading.Condition()
        self.twiml = '<?xml version="1.0" encoding="UTF-8"?><Response />'
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                with receiver.changed:
                    receiver.posts.append((self.path, dict(self.headers.items()),
                                           parse_qsl(raw, keep_blank_values=True)))
                    receiver.changed.notify_all()
                body = receiver.twiml.encode() if self.path.startswith("/sms") else b""
                self.send_response(200)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                       daemon=True)

    def wait_for(self, count: int, timeout: float = WAIT) -> list[tuple[str, dict[str, str],
                                                                       list[tuple[str, str]]]]:
        with self.changed:
            assert self.changed.wait_for(lambda: len(self.posts) >= count, timeout), self.posts
            return list(self.posts)

    def statuses(self, sid: str) -> list[str]:
        return [dict(p)["MessageStatus"] for _, _, p in self.posts
                if dict(p).get("MessageSid") == sid]


def signature_ok(token: str, base: str, post: tuple[str, dict[str, str],
                                                    list[tuple[str, str]]]) -> bool:
    path, headers, pairs = post
    return bool(RequestValidator(token).validate(base + path, dict(pairs),
                                                 headers["X-Twilio-Signature"]))


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.thread.start()
    try:
        yield r
    finally:
        r.server.shutdown()
        r.server.server_close()


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with FakeTwilio(seed=7) as f:
        yield f


def sdk_client(fake: FakeTwilio, timeout: float = 5.0) -> Any:
    """§1.3 option A, spelled out: the real SDK with the domain's base URL moved to the fake."""
    client = Client(fake.account_sid, fake.auth_token,
                    http_client=TwilioHttpClient(timeout=timeout))
    client.api.base_url = fake.url
    return client


@pytest.fixture
def client(fake: FakeTwilio) -> Any:
    return sdk_client(fake)


def raw(fake: FakeTwilio, method: str, path: str, **kw: Any) -> httpx.Response:
    url = f"{fake.url}/2010-04-01/Accounts/{fake.account_sid}/{path}"
    return httpx.request(method, url, auth=(fake.account_sid, fake.auth_token), timeout=WAIT,
                         trust_env=False, **kw)


# ---- create, fetch ---------------------------------------------------------------------------


def test_create_answers_201_with_the_message_resource(fake: FakeTwilio, client: Any) -> None:
    msg = client.messages.create(to=ALICE, from_=SENDER, body="Acme: arriving 2-4pm.")
    assert SID.match(msg.sid)
    assert (msg.account_sid, msg.to, msg.from_, msg.body) == (
        fake.account_sid, ALICE, SENDER, "Acme: arriving 2-4pm.")
    assert (msg.status, msg.direction, msg.api_version) == ("queued", "outbound-api",
                                                            "2010-04-01")
    assert (msg.num_segments, msg.num_media) == ("1", "0")
    assert msg.error_code is None and msg.price is None and msg.date_sent is None
    assert msg.date_created.tzinfo is not None
    assert msg.uri == f"/2010-04-01/Accounts/{fake.account_sid}/Messages/{msg.sid}.json"
    assert [m.sid for m in fake.messages] == [msg.sid]
    assert fake.messages[0].params["Body"] == ["Acme: arriving 2-4pm."]


def test_the_json_on_the_wire(fake: FakeTwilio) -> None:
    r = raw(fake, "POST", "Messages.json", data={"To": ALICE, "From": SENDER, "Body": "x" * 161})
    assert r.status_code == 201
    body = r.json()
    assert set(body) >= {"sid", "account_sid", "messaging_service_sid", "from", "to", "body",
                         "status", "direction", "num_segments", "num_media", "error_code",
                         "error_message", "price", "price_unit", "api_version", "date_created",
                         "date_sent", "date_updated", "uri", "subresource_uris"}
    assert body["num_segments"] == "2"
    assert re.match(r"^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$",
                    body["date_created"])
    assert parsedate_to_datetime(body["date_created"]).tzinfo is not None
    assert body["subresource_uris"]["media"].endswith(f"/Messages/{body['sid']}/Media.json")


@pytest.mark.parametrize(("body", "segments"), [
    ("A" * 160, "1"), ("A" * 161, "2"), ("€" * 81, "2"), ("Tu pedido llegará hoy.", "1"),
    ("á" * 71, "2"), ("\N{GRINNING FACE}" * 36, "2"),
])
def test_num_segments_follows_the_segment_rules(client: Any, body: str, segments: str) -> None:
    assert client.messages.create(to=ALICE, from_=SENDER, body=body).num_segments == segments


def test_fetch_and_an_unknown_sid(client: Any) -> None:
    sent = client.messages.create(to=ALICE, from_=SENDER, body="hello")
    got = client.messages(sent.sid).fetch()
    assert (got.sid, got.body, got.status) == (sent.sid, "hello", "queued")
    with pytest.raises(TwilioRestException) as e:
        client.messages("SM" + "0" * 32).fetch()
    assert (e.value.status, e.value.code) == (404, 20404)


def test_the_convenience_client_and_an_api_key(fake: FakeTwilio) -> None:
    assert fake.client(timeout=2).messages.create(to=ALICE, from_=SENDER, body="a").sid
    key, secret = fake.add_api_key()
    client = Client(key, secret, account_sid=fake.account_sid,
                    http_client=TwilioHttpClient(timeout=WAIT))
    client.api.base_url = fake.url
    assert client.messages.create(to=ALICE, from_=SENDER, body="b").status == "queued"


def test_concurrent_creates_are_all_recorded(fake: FakeTwilio) -> None:
    start = threading.Barrier(8)
    sids: list[str] = []
    lock = threading.Lock()

    def send(n: int) -> None:
        client = sdk_client(fake)
        start.wait(WAIT)
        for i in range(10):
            sid = client.messages.create(to=ALICE, from_=SENDER, body=f"{n}-{i}").sid
            with lock:
                sids.append(sid)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT * 4)
    assert len(sids) == len(set(sids)) == 80
    assert sorted(m.sid for m in fake.messages) == sorted(sids)


# ---- list and paging -------------------------------------------------------------------------


def test_list_pages_through_newest_first(fake: FakeTwilio, client: Any) -> None:
    sids = [client.messages.create(to=ALICE if i % 2 else BOB, from_=SENDER, body=f"n{i}").sid
            for i in range(7)]
    assert [m.sid for m in client.messages.list(page_size=2)] == sids[::-1]
    assert [m.sid for m in client.messages.list(limit=5, page_size=2)] == sids[::-1][:5]
    assert [m.body for m in client.messages.list(to=ALICE, page_size=1)] == ["n5", "n3", "n1"]
    assert len(client.messages.list(from_=SENDER, limit=100, page_size=1000)) == 7
    assert client.messages.list(from_=BOB) == []


def test_list_page_shape_and_cursor(fake: FakeTwilio, client: Any) -> None:
    for i in range(5):
        client.messages.create(to=ALICE, from_=SENDER, body=f"n{i}")
    first = raw(fake, "GET", "Messages.json", params={"To": ALICE, "PageSize": 2})
    assert first.status_code == 200
    page = first.json()
    assert set(page) == {"messages", "page", "page_size", "start", "end", "uri",
                         "first_page_uri", "next_page_uri", "previous_page_uri"}
    assert (page["page"], page["page_size"], page["start"], page["end"]) == (0, 2, 0, 1)
    assert page["previous_page_uri"] is None
    nxt = page["next_page_uri"]
    assert nxt.startswith(f"/2010-04-01/Accounts/{fake.account_sid}/Messages.json?")
    assert "To=%2B15558675310" in nxt and "Page=1" in nxt and "PageToken=PASM" in nxt
    # a message created between pages does not shift the cursor
    client.messages.create(to=ALICE, from_=SENDER, body="newer")
    second = httpx.get(fake.url + nxt, auth=(fake.account_sid, fake.auth_token),
                       trust_env=False).json()
    assert [m["body"] for m in second["messages"]] == ["n2", "n1"]
    assert second["previous_page_uri"] and "PageToken=PBSM" in second["previous_page_uri"]
    third = httpx.get(fake.url + second["next_page_uri"],
                      auth=(fake.account_sid, fake.auth_token), trust_env=False).json()
    assert [m["body"] for m in third["messages"]] == ["n0"]
    assert third["next_page_uri"] is None


def test_date_sent_filters_take_a_day_or_an_instant() -> None:
    clock = VirtualClock(T0)
    with FakeTwilio(seed=1, clock=clock) as f:
        client = sdk_client(f)
        a = client.messages.create(to=ALICE, from_=SENDER, body="a")
        f.deliver_all()
        clock.advance(timedelta(days=1))
        b = client.messages.create(to=ALICE, from_=SENDER, body="b")
        f.deliver_all()
        unsent = client.messages.create(to=ALICE, from_=SENDER, body="c")
        assert unsent.date_sent is None
        day2 = T0 + timedelta(days=1)
        assert [m.sid for m in client.messages.list(date_sent=day2)] == [b.sid]
        assert [m.sid for m in client.messages.list(date_sent_before=T0)] == [a.sid]
        assert [m.sid for m in client.messages.list(date_sent_after=T0)] == [b.sid, a.sid]
        r = httpx.get(f"{f.url}/2010-04-01/Accounts/{f.account_sid}/Messages.json",
                      params={"DateSent>": day2.date().isoformat()},
                      auth=(f.account_sid, f.auth_token), trust_env=False)
        assert [m["sid"] for m in r.json()["messages"]] == [b.sid]


# ---- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"to": "", "from_": SENDER, "body": "x"}, 21604),
    ({"to": "+1555", "from_": SENDER, "body": "x"}, 21211),
    ({"to": "14155550100", "from_": SENDER, "body": "x"}, 21211),
    ({"to": ALICE, "body": "x"}, 21603),
    ({"to": ALICE, "from_": "not a sender!", "body": "x"}, 21212),
    ({"to": ALICE, "from_": SENDER}, 21619),
    ({"to": ALICE, "from_": SENDER, "body": "x" * 1601}, 21617),
    ({"to": ALICE, "from_": SENDER, "body": "x", "validity_period": 0}, 21624),
    ({"to": ALICE, "from_": SENDER, "body": "x", "validity_period": 36001}, 21624),
    ({"to": ALICE, "from_": SENDER, "body": "x", "status_callback": "https://my_host/cb"},
     21609),
    ({"to": ALICE, "from_": SENDER, "body": "x", "schedule_type": "fixed",
      "send_at": T0}, 35118),
    ({"to": "+15005550001", "from_": SENDER, "body": "x"}, 21211),
    ({"to": "+15005550002", "from_": SENDER, "body": "x"}, 21612),
    ({"to": "+15005550003", "from_": SENDER, "body": "x"}, 21408),
    ({"to": "+15005550004", "from_": SENDER, "body": "x"}, 21610),
    ({"to": "+15005550009", "from_": SENDER, "body": "x"}, 21614),
    ({"to": ALICE, "from_": "+15005550007", "body": "x"}, 21606),
    ({"to": ALICE, "from_": "+15005550008", "body": "x"}, 21611),
])
def test_create_refusals(fake: FakeTwilio, client: Any, kwargs: dict[str, Any],
                         code: int) -> None:
    with pytest.raises(TwilioRestException) as e:
        client.messages.create(**kwargs)
    assert (e.value.status, e.value.code) == (400, code)
    assert e.value.msg.startswith("Unable to create record: ")
    assert fake.messages == []


def test_a_body_of_exactly_1600_is_accepted(client: Any) -> None:
    assert client.messages.create(to=ALICE, from_=SENDER, body="x" * 1600).num_segments == "11"


def test_scripted_invalid_numbers(fake: FakeTwilio, client: Any) -> None:
    fake.script(BOB, outcome="invalid", error_code=21614)
    fake.script(ALICE, outcome="invalid")
    for to, code in ((BOB, 21614), (ALICE, 21211)):
        with pytest.raises(TwilioRestException) as e:
            client.messages.create(to=to, from_=SENDER, body="x")
        assert (e.value.status, e.value.code) == (400, code)
    fake.unscript(ALICE)
    assert client.messages.create(to=ALICE, from_=SENDER, body="x").status == "queued"


def test_bad_credentials_and_another_account(fake: FakeTwilio) -> None:
    wrong = Client(fake.account_sid, "not-the-token", http_client=TwilioHttpClient(timeout=WAIT))
    wrong.api.base_url = fake.url
    with pytest.raises(TwilioRestException) as e:
        wrong.messages.create(to=ALICE, from_=SENDER, body="x")
    assert (e.value.status, e.value.code) == (401, 20003)
    other = Client(fake.account_sid, fake.auth_token, account_sid="AC" + "1" * 32,
                   http_client=TwilioHttpClient(timeout=WAIT))
    other.api.base_url = fake.url
    with pytest.raises(TwilioRestException) as e:
        other.messages.create(to=ALICE, from_=SENDER, body="x")
    assert (e.value.status, e.value.code) == (404, 20404)


def test_scheduling_needs_a_window() -> None:
    clock = VirtualClock(T0)
    with FakeTwilio(seed=2, clock=clock) as f:
        client = sdk_client(f)
        service = f.add_service(senders=[SENDER])
        for send_at, code in ((T0 + timedelta(seconds=299), 35115),
                              (T0 + timedelta(days=36), 35115)):
            with pytest.raises(TwilioRestException) as e:
                client.messages.create(to=ALICE, messaging_service_sid=service, body="x",
                                       schedule_type="fixed", send_at=send_at)
            assert (e.value.status, e.value.code) == (400, code)
        msg = client.messages.create(to=ALICE, messaging_service_sid=service, body="x",
                                     schedule_type="fixed", send_at=T0 + timedelta(hours=1))
        assert msg.status == "scheduled"
        assert f.advance() == [] and client.messages(msg.sid).fetch().status == "scheduled"
        clock.advance(timedelta(hours=1))
        f.deliver_all()
        assert client.messages(msg.sid).fetch().status == "delivered"


# ---- opt-out through inbound keywords --------------------------------------------------------


def test_stop_blocks_the_pair_and_start_lifts_it(fake: FakeTwilio, client: Any,
                                                 receiver: Receiver) -> None:
    result = fake.send_inbound(ALICE, SENDER, "stop", receiver.base + "/sms")
    assert result.keyword == "STOP" and result.status_code == 200
    assert [r.body for r in result.replies] == [
        "You have successfully been unsubscribed. You will not receive any more messages from "
        "this number. Reply START to resubscribe."]
    with pytest.raises(TwilioRestException) as e:
        client.messages.create(to=ALICE, from_=SENDER, body="Your parcel")
    assert (e.value.status, e.value.code) == (400, 21610)
    # another of our numbers, and another recipient, are not blocked
    assert client.messages.create(to=ALICE, from_="+15005550010", body="x").sid
    assert client.messages.create(to=BOB, from_=SENDER, body="x").sid
    assert fake.send_inbound(ALICE, SENDER, " START ", receiver.base + "/sms").keyword == "START"
    assert client.messages.create(to=ALICE, from_=SENDER, body="Your parcel").status == "queued"


@pytest.mark.parametrize("word", ["STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "Revoke",
                                  "optout"])
def test_every_default_opt_out_keyword(fake: FakeTwilio, word: str) -> None:
    fake.send_inbound(ALICE, SENDER, word)
    assert fake.is_opted_out(ALICE, SENDER)
    fake.send_inbound(ALICE, SENDER, "unstop")
    assert not fake.is_opted_out(ALICE, SENDER)


@pytest.mark.parametrize("body", ["Stop please", "STOP ALL", "opt out", "no more texts"])
def test_only_a_single_word_keyword_blocks(fake: FakeTwilio, client: Any, body: str) -> None:
    result = fake.send_inbound(ALICE, SENDER, body)
    assert result.keyword is None and result.replies == []
    assert client.messages.create(to=ALICE, from_=SENDER, body="x").sid


def test_a_service_opt_out_covers_the_whole_service(fake: FakeTwilio, client: Any,
                                                    receiver: Receiver) -> None:
    pool = ["+15005550011", "+15005550012"]
    service = fake.add_service(senders=pool, inbound_url=receiver.base + "/sms",
                               advanced_opt_out=True)
    fake.send_inbound(ALICE, pool[1], "STOP")
    (_, _, params), = receiver.wait_for(1)
    assert dict(params)["OptOutType"] == "STOP"
    assert dict(params)["MessagingServiceSid"] == service
    for kwargs in ({"messaging_service_sid": service}, {"from_": pool[0]}):
        with pytest.raises(TwilioRestException) as e:
            client.messages.create(to=ALICE, body="x", **kwargs)
        assert e.value.code == 21610


def test_help_is_answered_unless_opted_out(fake: FakeTwilio) -> None:
    assert [r.direction for r in fake.send_inbound(ALICE, SENDER, "HELP").replies] == [
        "outbound-reply"]
    fake.send_inbound(ALICE, SENDER, "STOP")
    assert fake.send_inbound(ALICE, SENDER, "info").replies == []


def test_inbound_is_posted_signed_and_twiml_replies_are_sent(fake: FakeTwilio,
                                                             receiver: Receiver) -> None:
    receiver.twiml = ('<?xml version="1.0" encoding="UTF-8"?><Response>'
                      "<Message>Thanks, a dispatcher will text you back.</Message></Response>")
    result = fake.send_inbound(ALICE, SENDER, "¿Puede dejarlo con el portero?",
                               receiver.base + "/sms?tenant=acme")
    post, = receiver.wait_for(1)
    assert post[0] == "/sms?tenant=acme"
    assert signature_ok(fake.auth_token, receiver.base, post)
    params = dict(post[2])
    assert params["Body"] == "¿Puede dejarlo con el portero?"
    assert (params["From"], params["To"], params["AccountSid"]) == (ALICE, SENDER,
                                                                    fake.account_sid)
    assert params["MessageSid"] == params["SmsSid"] == params["SmsMessageSid"] == \
        result.message.sid
    assert (params["NumMedia"], params["NumSegments"], params["SmsStatus"]) == ("0", "1",
                                                                                "received")
    assert params["FromCountry"] == "US"
    assert "OptOutType" not in params
    assert result.error is None
    reply, = result.replies
    assert (reply.to, reply.from_, reply.body, reply.direction) == (
        ALICE, SENDER, "Thanks, a dispatcher will text you back.", "outbound-reply")
    assert [m.direction for m in fake.messages] == ["inbound", "outbound-reply"]


def test_a_non_twiml_answer_is_an_error(fake: FakeTwilio, receiver: Receiver) -> None:
    receiver.twiml = "ok"
    result = fake.send_inbound(ALICE, SENDER, "hi", receiver.base + "/sms")
    assert result.status_code == 200 and result.error and result.replies == []


# ---- status callbacks ------------------------------------------------------------------------


def test_callbacks_progress_and_are_signed(fake: FakeTwilio, client: Any,
                                           receiver: Receiver) -> None:
    url = receiver.base + "/status?n=42"
    msg = client.messages.create(to=ALICE, from_=SENDER, body="hi", status_callback=url)
    assert receiver.posts == []  # no callback for the initial status
    fake.advance()
    assert receiver.statuses(msg.sid) == ["sending"]
    assert client.messages(msg.sid).fetch().status == "sending"
    fake.deliver_all()
    posts = receiver.wait_for(3)
    assert receiver.statuses(msg.sid) == ["sending", "sent", "delivered"]
    for post in posts:
        assert post[0] == "/status?n=42"
        assert signature_ok(fake.auth_token, receiver.base, post)
        assert post[1]["Content-Type"] == "application/x-www-form-urlencoded"
        assert post[1]["I-Twilio-Idempotency-Token"]
    delivered = dict(posts[-1][2])
    assert delivered["MessageSid"] == delivered["SmsSid"] == msg.sid
    assert delivered["SmsStatus"] == "delivered"
    assert (delivered["AccountSid"], delivered["From"], delivered["To"]) == (
        fake.account_sid, SENDER, ALICE)
    assert delivered["ApiVersion"] == "2010-04-01"
    assert re.match(r"^\d{10}$", delivered["RawDlrDoneDate"])
    assert "ErrorCode" not in delivered
    final = client.messages(msg.sid).fetch()
    assert final.status == "delivered" and final.date_sent is not None
    assert final.price == "-0.00790" and final.price_unit == "USD"
    # a tampered parameter fails the SDK's validation
    path, headers, pairs = posts[-1]
    assert not RequestValidator(fake.auth_token).validate(
        receiver.base + path, {**dict(pairs), "MessageStatus": "failed"},
        headers["X-Twilio-Signature"])


@pytest.mark.parametrize(("outcome", "code", "statuses", "expected_code"), [
    ("undelivered", 30003, ["sending", "sent", "undelivered"], 30003),
    ("undelivered", None, ["sending", "sent", "undelivered"], 30003),
    ("failed", 30005, ["failed"], 30005),
    ("failed", None, ["failed"], 30006),
    ("sent", None, ["sending", "sent"], None),
])
def test_scripted_outcomes(fake: FakeTwilio, client: Any, receiver: Receiver, outcome: Any,
                           code: int | None, statuses: list[str],
                           expected_code: int | None) -> None:
    fake.script(ALICE, outcome=outcome, error_code=code)
    msg = client.messages.create(to=ALICE, from_=SENDER, body="x",
                                 status_callback=receiver.base + "/status")
    fake.deliver_all()
    receiver.wait_for(len(statuses))
    assert receiver.statuses(msg.sid) == statuses
    last = dict(receiver.posts[-1][2])
    assert last.get("ErrorCode") == (str(expected_code) if expected_code else None)
    fetched = client.messages(msg.sid).fetch()
    assert (fetched.status, fetched.error_code) == (statuses[-1], expected_code)


def test_without_sending_callbacks(receiver: Receiver) -> None:
    with FakeTwilio(seed=3, emit_sending=False) as f:
        msg = sdk_client(f).messages.create(to=ALICE, from_=SENDER, body="x",
                                            status_callback=receiver.base + "/s")
        f.deliver_all()
        assert receiver.statuses(msg.sid) == ["sent", "delivered"]


def test_duplicates_keep_the_idempotency_token(fake: FakeTwilio, client: Any,
                                               receiver: Receiver) -> None:
    fake.callbacks.duplicate = 1.0
    msg = client.messages.create(to=ALICE, from_=SENDER, body="x",
                                 status_callback=receiver.base + "/status")
    fake.deliver_all()
    posts = receiver.wait_for(6)
    assert receiver.statuses(msg.sid) == ["sending", "sending", "sent", "sent", "delivered",
                                          "delivered"]
    tokens = [h["I-Twilio-Idempotency-Token"] for _, h, _ in posts]
    assert tokens[0] == tokens[1] != tokens[2] == tokens[3] != tokens[4] == tokens[5]
    assert all(signature_ok(fake.auth_token, receiver.base, p) for p in posts)


def test_without_idempotency_tokens(fake: FakeTwilio, client: Any, receiver: Receiver) -> None:
    fake.callbacks.idempotency_token = False
    client.messages.create(to=ALICE, from_=SENDER, body="x",
                           status_callback=receiver.base + "/status")
    fake.deliver_all()
    assert all("I-Twilio-Idempotency-Token" not in h for _, h, _ in receiver.wait_for(3))


def test_shuffle_puts_one_messages_statuses_out_of_order(receiver: Receiver) -> None:
    with FakeTwilio(seed=11, callbacks=CallbackOptions(shuffle=True)) as f:
        client = sdk_client(f)
        sids = [client.messages.create(to=ALICE, from_=SENDER, body=str(i),
                                       status_callback=receiver.base + "/status").sid
                for i in range(6)]
        f.deliver_all()
        receiver.wait_for(18)
        orders = [receiver.statuses(sid) for sid in sids]
        assert all(sorted(o) == ["delivered", "sending", "sent"] for o in orders)
        assert any(o != ["sending", "sent", "delivered"] for o in orders)
        assert all(signature_ok(f.auth_token, receiver.base, p) for p in receiver.posts)


def test_a_messaging_service_message(fake: FakeTwilio, client: Any, receiver: Receiver) -> None:
    service = fake.add_service(senders=["+15005550013"],
                               status_callback=receiver.base + "/service-status")
    msg = client.messages.create(to=ALICE, messaging_service_sid=service, body="x" * 200)
    assert (msg.status, msg.num_segments, msg.from_, msg.messaging_service_sid) == (
        "accepted", "0", None, service)
    fake.advance()
    queued = client.messages(msg.sid).fetch()
    assert (queued.status, queued.from_, queued.num_segments) == ("queued", "+15005550013", "2")
    fake.deliver_all()
    assert receiver.statuses(msg.sid) == ["queued", "sending", "sent", "delivered"]
    assert all(dict(p)["MessagingServiceSid"] == service for _, _, p in receiver.posts)
    assert {path for path, _, _ in receiver.posts} == {"/service-status"}


def test_cancel_a_scheduled_message(receiver: Receiver) -> None:
    with FakeTwilio(seed=4, clock=VirtualClock(T0)) as f:
        client = sdk_client(f)
        service = f.add_service(senders=[SENDER])
        msg = client.messages.create(to=ALICE, messaging_service_sid=service, body="x",
                                     schedule_type="fixed", send_at=T0 + timedelta(hours=2),
                                     status_callback=receiver.base + "/status")
        assert client.messages(msg.sid).update(status="canceled").status == "canceled"
        f.advance()
        assert receiver.statuses(msg.sid) == ["canceled"]
        with pytest.raises(TwilioRestException) as e:
            client.messages(msg.sid).update(status="canceled")
        assert (e.value.status, e.value.code) == (400, 30409)


def test_validity_period_expires_in_the_queue(receiver: Receiver) -> None:
    clock = VirtualClock(T0)
    with FakeTwilio(seed=5, clock=clock) as f:
        msg = sdk_client(f).messages.create(to=ALICE, from_=SENDER, body="x",
                                            validity_period=60,
                                            status_callback=receiver.base + "/status")
        clock.advance(timedelta(seconds=61))
        f.deliver_all()
        assert receiver.statuses(msg.sid) == ["failed"]
        assert dict(receiver.posts[0][2])["ErrorCode"] == "30036"


def test_redact_and_delete(fake: FakeTwilio, client: Any) -> None:
    msg = client.messages.create(to=ALICE, from_=SENDER, body="secret code 1234")
    for call in (lambda: client.messages(msg.sid).update(body=""),
                 lambda: client.messages(msg.sid).delete()):
        with pytest.raises(TwilioRestException) as e:  # still in flight
            call()
        assert e.value.status == 400
    fake.deliver_all()
    assert client.messages(msg.sid).update(body="").body == ""
    assert client.messages(msg.sid).delete() is True
    with pytest.raises(TwilioRestException) as e:
        client.messages(msg.sid).fetch()
    assert e.value.code == 20404


def test_background_mode_moves_messages_on_its_own(receiver: Receiver) -> None:
    with FakeTwilio(seed=6) as f:
        msg = sdk_client(f).messages.create(to=ALICE, from_=SENDER, body="x",
                                            status_callback=receiver.base + "/status")
        f.run_in_background(interval=0.01)
        receiver.wait_for(3)
        assert receiver.statuses(msg.sid) == ["sending", "sent", "delivered"]


def test_callbacks_to_a_dead_url_are_retried_once_and_recorded(fake: FakeTwilio,
                                                               client: Any) -> None:
    dead = Receiver()  # bound, then closed: nothing listens on its port
    dead.server.server_close()
    client.messages.create(to=ALICE, from_=SENDER, body="x", status_callback=dead.base + "/s")
    delivered = fake.advance()
    assert len(delivered) == 1 and delivered[0].status_code is None
    assert [d.error is not None for d in fake.deliveries] == [True, True]  # 1 + 1 retry


# ---- fault injection -------------------------------------------------------------------------


def test_429_is_not_processed(fake: FakeTwilio, client: Any) -> None:
    fake.fail_next(429)
    with pytest.raises(TwilioRestException) as e:
        client.messages.create(to=ALICE, from_=SENDER, body="x")
    assert (e.value.status, e.value.code) == (429, 20429)
    assert fake.messages == []
    assert client.messages.create(to=ALICE, from_=SENDER, body="x").status == "queued"


def test_500_without_and_with_the_message_created(fake: FakeTwilio, client: Any,
                                                  receiver: Receiver) -> None:
    fake.fail_next(500)
    with pytest.raises(TwilioRestException) as e:
        client.messages.create(to=ALICE, from_=SENDER, body="lost")
    assert e.value.status == 500 and e.value.code == 500  # no Twilio code: the SDK uses 500
    assert fake.messages == []
    fake.fail_next(500, created=True)
    with pytest.raises(TwilioRestException) as e:
        client.messages.create(to=ALICE, from_=SENDER, body="made it",
                               status_callback=receiver.base + "/status?n=7")
    assert e.value.status == 500
    # the outcome was unknown to the caller; reconciliation finds it, and callbacks come
    found, = client.messages.list(to=ALICE, from_=SENDER)
    assert found.body == "made it"
    fake.deliver_all()
    assert receiver.statuses(found.sid) == ["sending", "sent", "delivered"]


def test_a_response_slower_than_the_client_timeout(fake: FakeTwilio) -> None:
    client = sdk_client(fake, timeout=0.5)
    fake.stall_next(30, created=True)
    with pytest.raises(requests.exceptions.ReadTimeout):
        client.messages.create(to=ALICE, from_=SENDER, body="slow")
    fake.release()
    assert [m.body for m in fake.messages] == ["slow"]
    fake.stall_next(30, created=False)
    with pytest.raises(requests.exceptions.ReadTimeout):
        client.messages.create(to=ALICE, from_=SENDER, body="never")
    fake.release()
    assert [m.body for m in fake.messages] == ["slow"]


def test_faults_on_other_routes(fake: FakeTwilio, client: Any) -> None:
    msg = client.messages.create(to=ALICE, from_=SENDER, body="x")
    fake.fail_next(503, route="list")
    with pytest.raises(TwilioException) as e:
        client.messages.list()
    assert not isinstance(e.value, TwilioRestException)  # §1.4: a page is exactly 200 or this
    fake.fail_next(500, route="fetch", times=2)
    for _ in range(2):
        with pytest.raises(TwilioRestException):
            client.messages(msg.sid).fetch()
    assert client.messages(msg.sid).fetch().sid == msg.sid
