"""The dashboard and API served by a real uvicorn on a real port, on the virtual clock.

The app runs in a thread of the test process so that its clock is the test's: sessions, the
login throttle and "today" follow `clock.advance`, not the wall clock.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
import pytest
import uvicorn

from doorstep.access import api_tokens, users
from doorstep.clock import VirtualClock
from doorstep.domain.access import Role
from doorstep.messaging.channels.twilio_sms import TwilioSms
from doorstep.runtime import Runtime
from doorstep.sim.fakes.twilio import FakeTwilio
from doorstep.web.app import create_app
from tests import factories as ev
from tests.conftest import TWILIO_AUTH_TOKEN
from tests.integration.http.processes import free_port

PASSWORD = "correct horse battery"
OTHER_SHIPPER = "homenest"


@dataclass
class Site:
    rt: Runtime
    clock: VirtualClock
    base_url: str
    clients: list[httpx.Client] = field(default_factory=list)

    def client(self, **kw: object) -> httpx.Client:
        c = httpx.Client(base_url=self.base_url, timeout=30.0, **kw)  # type: ignore[arg-type]
        self.clients.append(c)
        return c

    def add_user(self, email: str, role: Role, shipper: str | None = None,
                 password: str = PASSWORD) -> str:
        with self.rt.db.transaction() as s:
            users.create(s, email=email, name=email.split("@")[0].title(), role=role,
                         password=password, shipper_id=shipper, now=self.clock.now())
        return email

    def login(self, email: str, password: str = PASSWORD) -> httpx.Client:
        c = self.client()
        answer = login(c, email, password)
        assert answer.status_code == 303, answer.text
        return c

    def as_role(self, role: Role, shipper: str | None = None) -> httpx.Client:
        email = f"{role.value}-{shipper or 'op'}-{len(self.clients)}@example.com"
        return self.login(self.add_user(email, role, shipper))

    def token(self, role: Role, shipper: str | None = None) -> str:
        with self.rt.db.transaction() as s:
            secret, _ = api_tokens.create(s, role=role, shipper_id=shipper, name="test",
                                          now=self.clock.now())
        return secret

    def bearer(self, role: Role, shipper: str | None = None) -> httpx.Client:
        return self.client(headers={"Authorization": f"Bearer {self.token(role, shipper)}"})

    def feed(self, events: list[dict]) -> None:
        for e in events:
            self.rt.intake.accept("test", [e])


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def login(c: httpx.Client, email: str, password: str, next_path: str = "/today") -> httpx.Response:
    form = c.get("/login")
    return c.post("/login", data={"email": email, "password": password,
                                  "csrf_token": csrf_of(form.text), "next": next_path})


@pytest.fixture
def site(runtime: Runtime, clock: VirtualClock) -> Iterator[Site]:
    app = create_app(runtime)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None,
                                           access_log=False, lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    started = threading.Event()

    def wait() -> bool:
        return server.started

    # uvicorn sets `started` once it listens; poll it on an Event so no sleep is involved.
    while not wait():
        if not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        started.wait(0.01)
    s = Site(runtime, clock, f"http://127.0.0.1:{port}")
    try:
        yield s
    finally:
        for c in s.clients:
            c.close()
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def fake(site: Site) -> Iterator[FakeTwilio]:
    """A fake Twilio that posts incoming texts to this site's webhook."""
    for name in ("TWILIO_EDGE", "TWILIO_REGION"):  # the SDK would rewrite the fake's host
        os.environ.pop(name, None)
    with FakeTwilio(auth_token=TWILIO_AUTH_TOKEN, clock=site.clock, seed=8,
                    inbound_url=f"{site.base_url}/webhooks/twilio/sms") as f:
        yield f


@pytest.fixture
def sms(site: Site, fake: FakeTwilio) -> TwilioSms:
    """The real Twilio channel, pointed at the fake, receipts back to this site."""
    return TwilioSms(fake.account_sid, fake.auth_token, base_url=fake.url,
                     status_callback=f"{site.base_url}/webhooks/twilio/status", timeout=2.0)


def two_shippers_day(clock: VirtualClock) -> list[dict]:
    """A morning in NYC: two routes; route R-A carries freshcart's D-A1..3 and homenest's D-B1;
    route R-B homenest's D-B2..3. One delivery of each shipper delivered, one failed."""
    t0 = clock.now()
    at: Callable[[int], object] = lambda m: t0 + timedelta(minutes=m)  # noqa: E731
    return [
        ev.driver_upserted("dr1", at(0), "DR1"),
        ev.driver_upserted("dr2", at(0), "DR2"),
        ev.delivery_created("ca1", at(1), "D-A1"),
        ev.delivery_created("ca2", at(1), "D-A2"),
        ev.delivery_created("ca3", at(1), "D-A3"),
        ev.delivery_created("cb1", at(1), "D-B1", shipper=OTHER_SHIPPER, name="Bea Other",
                            line1="9 Other Ave", phone="+12125557001"),
        ev.delivery_created("cb2", at(1), "D-B2", shipper=OTHER_SHIPPER, name="Bo Other",
                            line1="8 Other Ave", phone="+12125557002"),
        ev.delivery_created("cb3", at(1), "D-B3", shipper=OTHER_SHIPPER, name="Bi Other",
                            line1="7 Other Ave", phone="+12125557003"),
        ev.route_planned("ra", at(2), "R-A", ("D-A1", "D-B1", "D-A2", "D-A3"), driver_id="DR1"),
        ev.route_planned("rb", at(2), "R-B", ("D-B2", "D-B3"), driver_id="DR2"),
        ev.route_started("sa", at(3), "R-A"),
        ev.route_started("sb", at(3), "R-B"),
        ev.delivered("da1", at(10), "D-A1"),
        ev.failed("fb1", at(12), "D-B1", reason="access"),
        ev.failed("fa2", at(14), "D-A2", reason="not_home"),
        ev.delivered("db2", at(15), "D-B2"),
        ev.exception_reported("x1", at(16), "X1", severity="high", route_id="R-B"),
    ]
