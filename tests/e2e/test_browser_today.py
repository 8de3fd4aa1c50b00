"""Today in a real browser (Playwright driving Debian's Chromium), while the simulator plays:
a dispatcher logs in through the form, and the figures shown equal the database's and change
without a reload."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from doorstep.config import Settings
from doorstep.domain import DeliveryStatus
from doorstep.read.days import local_today
from doorstep.runtime import Runtime
from doorstep.sim.demo import demo_feed
from doorstep.store.db import Database
from doorstep.store.tables import attempts, deliveries, events
from tests.conftest import need
from tests.integration.http.processes import (
    OPERATOR_FILE,
    SECRET,
    Service,
    doorstep_bin,
    doorstep_env,
    free_port,
)

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
EMAIL, PASSWORD = "dispatch@example.com", "a long enough password"
MARKET, TZ = "nyc", "America/New_York"
SETTLE_TIMEOUT = 60.0
UNSETTLED = ("stored", "deferred")


@pytest.fixture
def browser() -> Iterator[Any]:
    need(Path(CHROMIUM).exists(), "Chromium (/usr/bin/chromium, Debian package chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run", "--disable-sync"])
        yield browser
        browser.close()


class Stack:
    """`doorstep serve --no-simulator` as a process, and the demo feed played into it over HTTP
    from this test, started and paused at will (it resumes where it stopped)."""

    def __init__(self, tmp: Path) -> None:
        url = f"sqlite:///{tmp / 'doorstep.db'}"
        self.env = doorstep_env(tmp / "var", url)
        self.service = Service(["serve", "--no-simulator"], self.env, tmp, port=free_port())
        self.db = Database(url)
        self.rt: Runtime | None = None
        self.settings = Settings(database_url=url, data_dir=tmp / "feeder",
                                 config_file=OPERATOR_FILE,
                                 generic_webhook_secret=SECRET)  # type: ignore[arg-type]
        self.feed = demo_feed(seed=11, deliveries=400, speed=3000.0, scenario=None)

    def start(self) -> None:
        self.service.start().wait_healthy()
        self.rt = Runtime.build(self.settings)

    def play_until(self, more_attempts: int) -> None:
        """Play until at least `more_attempts` more delivery attempts are stored, then pause
        and wait until every event sent has been processed."""
        assert self.rt is not None
        target = self.attempts() + more_attempts
        stop = threading.Event()
        thread = threading.Thread(target=self.feed, args=(self.rt, self.service.base_url, stop))
        thread.start()
        try:
            self._wait(lambda: self.attempts() >= target or not thread.is_alive(),
                       f"{more_attempts} more attempts")
        finally:
            stop.set()
            thread.join(timeout=30)
        self._wait(lambda: self.unsettled() == 0, "every event processed")

    def _wait(self, condition: Any, what: str) -> None:
        deadline = time.monotonic() + SETTLE_TIMEOUT
        while not condition():
            assert time.monotonic() < deadline, f"not reached in {SETTLE_TIMEOUT}s: {what}"
            time.sleep(0.1)

    def attempts(self) -> int:
        with self.db.reading() as s:
            return int(s.scalar(sa.select(sa.func.count()).select_from(attempts)) or 0)

    def unsettled(self) -> int:
        with self.db.reading() as s:
            return int(s.scalar(sa.select(sa.func.count()).select_from(events)
                                .where(events.c.status.in_(UNSETTLED))) or 0)

    def today_in_db(self) -> dict[str, int]:
        day: date = local_today(self.service_now(), TZ)
        counts = {s.value: 0 for s in DeliveryStatus}
        with self.db.reading() as s:
            for status, n in s.execute(
                    sa.select(deliveries.c.status, sa.func.count())
                    .where(deliveries.c.market_id == MARKET, deliveries.c.service_date == day)
                    .group_by(deliveries.c.status)):
                counts[str(getattr(status, "value", status))] = int(n)
        counts["total"] = sum(counts.values())
        return counts

    @staticmethod
    def service_now() -> Any:
        from doorstep.clock import SystemClock

        return SystemClock().now()

    def stop(self) -> None:
        if self.rt is not None:
            self.rt.db.dispose()
        self.db.dispose()
        self.service.stop()


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    s = Stack(tmp_path)
    try:
        s.start()
        yield s
    finally:
        s.stop()


SHOWN_JS = """() => Object.fromEntries([...document.querySelectorAll('#live [data-figure]')]
    .map(el => [el.dataset.figure, el.textContent.trim().replace(/,/g, '')]))"""


def shown_equals(page: Any, expected: dict[str, int]) -> None:
    """Wait (bounded) until the live part shows exactly `expected` (HTMX refreshes it)."""
    page.wait_for_function(
        """(expected) => Object.entries(expected).every(([k, v]) => {
             const el = document.querySelector(`#live [data-figure="${k}"]`);
             return el && Number(el.textContent.trim().replace(/,/g, '')) === v; })""",
        arg=expected, timeout=30_000)


def test_a_dispatcher_watches_today_change_live_while_the_simulator_plays(
        browser: Any, stack: Stack) -> None:
    created = subprocess.run([doorstep_bin(), "users", "create", EMAIL, "--role", "dispatcher",
                              "--name", "Dana Dispatch", "--password-stdin"],
                             input=PASSWORD + "\n", env=stack.env, capture_output=True,
                             text=True, timeout=60)
    assert created.returncode == 0, created.stderr

    page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(stack.service.base_url + f"/today/{MARKET}")
    assert "/login" in page.url
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**/today/{MARKET}")
    assert "Dana Dispatch" in page.content()

    stack.play_until(more_attempts=25)
    first = stack.today_in_db()
    assert first["total"] > 0
    shown_equals(page, first)
    page.evaluate("() => { window.__sameDocument = true; }")
    # uPlot draws the hourly chart once HTMX has settled the part it swapped in.
    page.wait_for_selector(".chart canvas", timeout=10_000)
    assert page.locator(".chart canvas").count() == 1 and errors == []

    stack.play_until(more_attempts=25)
    second = stack.today_in_db()
    assert second != first
    shown_equals(page, second)

    assert page.evaluate("() => window.__sameDocument === true"), "the page was reloaded"
    shown = page.evaluate(SHOWN_JS)
    assert {k: int(shown[k]) for k in second} == second, json.dumps(shown)
