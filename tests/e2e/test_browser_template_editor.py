"""The template editor in a real browser (Playwright driving Debian's Chromium): typing in the
editor updates the preview without a reload, under the dashboard's CSP, and picking another
delivery re-renders it with that delivery's values."""

from __future__ import annotations

from typing import Any

from doorstep.domain.access import Role
from tests.e2e.test_browser_today import browser  # noqa: F401 - the fixture
from tests.integration.web.conftest import PASSWORD, Site, site, two_shippers_day  # noqa: F401

PREVIEW_IS = """([text, encoding]) => {
    const shown = document.querySelector('#preview [data-preview="text"]');
    const enc = document.querySelector('#preview [data-figure="encoding"]');
    return shown && shown.textContent === text && enc && enc.textContent === encoding; }"""


def test_typing_in_the_editor_updates_the_preview(browser: Any, site: Site) -> None:  # noqa: F811
    site.feed(two_shippers_day(site.clock))
    email = site.add_user("editor@example.com", Role.DISPATCHER)
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    page.goto(site.base_url + "/templates/failed_attempt?scope=freshcart")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/templates/failed_attempt?scope=freshcart")
    assert "no one was home" in page.inner_text("#preview")
    page.evaluate("() => { window.__sameDocument = true; }")

    page.fill("#source", "{{ shipper }}, attempt {{ attempt }}: {{ reason_text }} 📦")
    page.wait_for_function(PREVIEW_IS, arg=["FreshCart Grocery, attempt 1: no one was home 📦",
                                             "UCS-2"], timeout=10_000)

    page.select_option("#delivery", "D-A1")  # delivered: no failure reason
    page.wait_for_function(PREVIEW_IS, arg=["FreshCart Grocery, attempt 1: we could not "
                                             "deliver it 📦", "UCS-2"], timeout=10_000)

    page.fill("#source", "{{ shipper }}\n{{ nope }}")
    page.wait_for_selector("#preview [data-preview=errors]", timeout=10_000)
    assert "Line 2: unknown variable 'nope'" in page.inner_text("#preview")

    assert page.evaluate("() => window.__sameDocument === true"), "the page was reloaded"
    assert errors == []
