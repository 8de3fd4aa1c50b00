"""The recipient's tracking page in a real browser (Playwright driving Debian's Chromium) on a
phone-sized screen: instructions saved through the form, then proof of delivery once the
parcel is delivered. JavaScript is off: the essentials must work without it."""

from __future__ import annotations

import base64
from datetime import timedelta
from pathlib import Path
from typing import Any

from doorstep.store import tracking
from tests import factories as ev
from tests.e2e.test_browser_today import browser  # noqa: F401 - the fixture
from tests.integration.web.conftest import Site, site, two_shippers_day  # noqa: F401

PHONE = {"width": 390, "height": 844}
# The shipper's logo lives on their own site; the test machine may be offline, so any https
# request is answered with a 1x1 PNG instead.
PIXEL = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=")


def test_a_recipient_saves_instructions_and_then_sees_the_proof_of_delivery(
        browser: Any, site: Site, tmp_path: Path) -> None:  # noqa: F811
    site.feed(two_shippers_day(site.clock))
    with site.rt.db.transaction() as s:
        token = tracking.issue(s, "D-A3", site.clock.now())
    context = browser.new_context(viewport=PHONE, java_script_enabled=False,
                                  is_mobile=True, has_touch=True)
    context.route("https://**/*", lambda route: route.fulfill(status=200, body=PIXEL,
                                                              content_type="image/png"))
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    page.goto(f"{site.base_url}/t/{token}")
    assert "on its way" in page.inner_text("h1")
    page.fill("#instructions", "Gate code 4412, leave it by the blue door")
    page.click("button[type=submit]")
    page.wait_for_selector("[data-saved]")
    assert "saved" in page.inner_text("[data-saved]")
    assert page.input_value("#instructions") == "Gate code 4412, leave it by the blue door"
    # Nothing wider than the phone: no sideways scrolling for the recipient.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]

    site.feed([ev.delivered("da3", site.clock.now() + timedelta(minutes=30), "D-A3",
                            photo_url="https://pod.example/a3.jpg")])
    page.goto(f"{site.base_url}/t/{token}")
    assert page.inner_text("h1").startswith("Delivered")
    assert page.get_attribute("[data-pod] a", "href") == "https://pod.example/a3.jpg"
    page.click("button[name=rating][value='5']")
    page.wait_for_selector("[data-saved]")
    assert page.get_attribute("button[aria-pressed=true]", "value") == "5"

    shot = tmp_path / "tracking-page-phone.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.exists() and shot.stat().st_size > 1000
    assert errors == []
    context.close()
