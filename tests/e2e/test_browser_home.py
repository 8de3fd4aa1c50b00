"""The home page in a real browser (Playwright driving Debian's Chromium) shows the database's
figures, and new figures after new events."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from doorstep.store.db import Database
from doorstep.store.tables import deliveries
from tests.conftest import need
from tests.integration.http.processes import (
    Service,
    delivery_event,
    doorstep_env,
    encode,
    free_port,
    signed,
    wait_for_status,
)

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
def browser() -> Iterator[object]:
    need(Path(CHROMIUM).exists(), "Chromium (/usr/bin/chromium, Debian package chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run", "--disable-sync"])
        yield browser
        browser.close()


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[Service, Database]]:
    url = f"sqlite:///{tmp_path / 'doorstep.db'}"
    svc = Service(["serve", "--no-simulator"], doorstep_env(tmp_path / "var", url), tmp_path,
                  port=free_port()).start()
    try:
        svc.wait_healthy()
        db = Database(url)
        yield svc, db
        db.dispose()
    finally:
        svc.stop()


def pending_in_db(db: Database) -> int:
    with db.reading() as s:
        return int(s.scalar(sa.select(sa.func.count()).select_from(deliveries)
                            .where(deliveries.c.status == "pending")) or 0)


def post(svc: Service, events: list[dict]) -> None:
    import httpx

    body = encode(events)
    answer = httpx.post(svc.base_url + "/webhooks/generic", content=body, headers=signed(body))
    assert answer.status_code == 202, answer.text


def test_home_page_shows_the_database_figures(browser, service) -> None:
    svc, db = service
    first = [delivery_event() for _ in range(3)]
    post(svc, first)
    wait_for_status(db, [e["id"] for e in first])

    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(svc.base_url + "/")
    shown = page.locator("[data-count='deliveries.pending']")
    assert int(shown.inner_text()) == pending_in_db(db) == 3

    more = [delivery_event() for _ in range(2)]
    post(svc, more)
    wait_for_status(db, [e["id"] for e in more])
    page.reload()
    assert int(page.locator("[data-count='deliveries.pending']").inner_text()) \
        == pending_in_db(db) == 5
