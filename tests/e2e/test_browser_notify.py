"""The Recipients page in a real browser (Playwright driving Debian's Chromium): a supervisor
logs in through the form and each market's chart draws, with the table beside it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from doorstep.domain.access import Role
from tests.e2e.test_browser_today import browser  # noqa: F401 - the fixture
from tests.integration.web.conftest import PASSWORD, Site, site  # noqa: F401
from tests.integration.web.test_notify_page import fortnight  # noqa: F401


def test_each_markets_chart_draws_on_the_recipients_page(
        browser: Any, fortnight: Site, tmp_path: Path) -> None:  # noqa: F811
    email = fortnight.add_user("sam.supervisor@example.com", Role.SUPERVISOR)
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    page.goto(f"{fortnight.base_url}/notify")
    assert "/login" in page.url
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/notify")

    page.wait_for_selector(".chart[data-chart='notify'] canvas", timeout=10_000)
    assert page.locator(".chart[data-chart='notify'] canvas").count() == 3  # one a market
    assert page.locator("section[data-market='nyc'] .u-legend").count() == 1
    assert page.inner_text("[data-figure='nyc.hit_rate']") == "66.7%"
    shot = tmp_path / "recipients-page.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 1000
    assert errors == []
    page.close()
