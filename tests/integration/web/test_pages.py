"""The dashboard's pages over real HTTP, for each role: what they show and what they hide."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from doorstep.domain.access import Role
from doorstep.store.tables import deliveries
from tests.integration.web.conftest import OTHER_SHIPPER, Site, two_shippers_day

OPERATOR_ROLES = [Role.ADMIN, Role.DISPATCHER, Role.SUPERVISOR, Role.LEADERSHIP]


def figures(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-figure="([^"]+)">([^<]*)<', html))


def db_counts(site: Site, shipper: str | None = None) -> dict[str, int]:
    stmt = (sa.select(deliveries.c.status, sa.func.count())
            .where(deliveries.c.market_id == "nyc").group_by(deliveries.c.status))
    if shipper:
        stmt = stmt.where(deliveries.c.shipper_id == shipper)
    with site.rt.db.reading() as s:
        return {str(getattr(k, "value", k)): int(n) for k, n in s.execute(stmt)}


@pytest.fixture
def day(site: Site) -> Site:
    site.feed(two_shippers_day(site.clock))
    return site


@pytest.mark.parametrize("role", OPERATOR_ROLES)
def test_operator_roles_see_the_whole_market_today(day: Site, role: Role) -> None:
    page = day.as_role(role).get("/today/nyc")
    shown = figures(page.text)
    counts = db_counts(day)

    assert page.status_code == 200
    assert int(shown["total"]) == sum(counts.values()) == 6
    assert {k: int(shown[k]) for k in counts} == counts
    assert shown["routes_in_progress"] == "2" and shown["drivers_on_duty"] == "0"
    assert shown["open_exceptions"] == "1"
    assert "D-B1" in page.text and "D-A2" in page.text  # the failed ones, both shippers


def test_a_shipper_sees_its_own_deliveries_only_and_no_operations(day: Site) -> None:
    c = day.as_role(Role.SHIPPER, "freshcart")
    page = c.get("/today/nyc")
    shown = figures(page.text)

    assert {k: int(shown[k]) for k in db_counts(day, "freshcart")} == db_counts(day, "freshcart")
    assert int(shown["total"]) == 3
    assert "D-A2" in page.text and "D-B1" not in page.text and "homenest" not in page.text
    assert shown["routes_in_progress"] == "1"  # R-A carries its parcels; R-B does not
    assert "drivers_on_duty" not in shown and "open_exceptions" not in shown
    assert "van will not start" not in page.text


def test_all_markets_adds_up_each_market_on_its_own_date(day: Site) -> None:
    shown = figures(day.as_role(Role.LEADERSHIP).get("/today").text)
    shipper = figures(day.as_role(Role.SHIPPER, OTHER_SHIPPER).get("/today").text)

    assert shown["nyc.total"] == "6" and shown["chi.total"] == "0"
    assert shown["all.total"] == "6" and shown["all.delivered"] == "2"
    assert shipper["all.total"] == "3" and shipper["nyc.failed"] == "1"
    assert "nyc.drivers_on_duty" not in shipper


def test_the_live_part_is_a_fragment_with_the_same_figures(day: Site) -> None:
    c = day.as_role(Role.DISPATCHER)
    live = c.get("/today/nyc/live", headers={"HX-Request": "true"})

    assert live.status_code == 200 and "<html" not in live.text
    assert figures(live.text)["total"] == "6"
    assert 'hx-get="/today/nyc/live"' in live.text


def test_the_delivery_page_shows_its_timeline_in_the_market_time_zone(day: Site) -> None:
    page = day.as_role(Role.DISPATCHER).get("/deliveries/D-A2")

    assert page.status_code == 200
    assert "delivery created" in page.text and "attempt 1 — failed: not home" in page.text
    assert "America/New_York" in page.text
    assert "06:14:00" in page.text  # the failure, at 06:14 New York time (11:14 UTC)
    assert figures(page.text)["status"] == "failed"


def test_the_route_page_lists_the_stops_in_order(day: Site) -> None:
    page = day.as_role(Role.SUPERVISOR).get("/routes/R-A")
    order = re.findall(r'data-stop="(\d+)"', page.text)
    shipper = day.as_role(Role.SHIPPER, "freshcart").get("/routes/R-A")

    assert page.status_code == 200 and order == ["1", "2", "3", "4"]
    assert page.text.index("D-A1") < page.text.index("D-B1") < page.text.index("D-A2")
    assert shipper.status_code == 200 and "D-A1" in shipper.text and "D-B1" not in shipper.text
    assert re.findall(r'data-stop="(\d+)"', shipper.text) == ["1", "3", "4"]


@pytest.mark.parametrize("path", ["/deliveries/D-B1", "/routes/R-B", "/deliveries/NOPE",
                                  "/routes/NOPE"])
def test_another_shippers_delivery_or_route_is_not_found_like_a_missing_one(
        day: Site, path: str) -> None:
    answer = day.as_role(Role.SHIPPER, "freshcart").get(path)

    assert answer.status_code == 404
    assert "Bea Other" not in answer.text and "Other Ave" not in answer.text


def test_an_unknown_market_is_not_found_and_a_bad_date_is_a_clear_error(day: Site) -> None:
    c = day.as_role(Role.DISPATCHER)

    assert c.get("/today/atlantis").status_code == 404
    bad = c.get("/today/nyc?date=yesterday")
    assert bad.status_code == 422 and "date" in bad.text


def test_another_date_shows_that_days_figures(day: Site) -> None:
    c = day.as_role(Role.DISPATCHER)

    assert figures(c.get("/today/nyc?date=2026-11-23").text)["total"] == "0"
    assert figures(c.get("/today/nyc?date=2026-11-24").text)["total"] == "6"


def test_pages_carry_a_strict_content_security_policy(day: Site) -> None:
    page = day.as_role(Role.DISPATCHER).get("/today/nyc")

    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert "<script>" not in page.text  # no inline script: the CSP would block it
    for asset in ("/static/htmx.min.js", "/static/uPlot.iife.min.js", "/static/doorstep.js"):
        assert asset in page.text
        assert day.client().get(asset).status_code == 200


def test_in_development_the_messages_sent_show_on_the_delivery_page(day: Site) -> None:
    from datetime import timedelta

    from doorstep.messaging import sender
    from doorstep.messaging.channels.console import ConsoleChannel

    page = day.as_role(Role.DISPATCHER)
    before = page.get("/deliveries/D-A2").text
    assert "outbound sms: recover.reach_out" in before and "queued" in before

    day.clock.advance(timedelta(hours=2))  # past 08:00 in New York: daytime for a text
    console = ConsoleChannel()
    assert sender.send_due(day.rt.db, lambda _c: console, day.clock.now) >= 2  # D-A2, D-B1 …

    after = page.get("/deliveries/D-A2").text
    # FreshCart is time-sensitive: its reach-out is the time-sensitive one.
    assert "sent · “FreshCart Grocery: we could not deliver your order, which cannot wait, " \
           "because no one was home." in after
