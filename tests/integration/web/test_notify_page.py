"""The Recipients page (/notify) and the held window on a delivery's page, over real HTTP:
figures computed from rows put in the database, for the operator and for one shipper."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from doorstep.domain import Channel, Direction, MessageStatus
from doorstep.domain.access import Role
from doorstep.sim.fakes.twilio import FakeTwilio
from doorstep.store.tables import held_windows, messages
from tests import factories as ev
from tests.conftest import START
from tests.integration.web.conftest import OTHER_SHIPPER, Site

NY = ZoneInfo("America/New_York")
TODAY, YESTERDAY, BEFORE = date(2026, 11, 24), date(2026, 11, 23), date(2026, 11, 22)
FRESHCART_NUMBER = "+12125550110"


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=NY)


def figures(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-figure="([^"]+)">([^<]*)<', html))


def window(delivery_id: str, day: date, start: int, minutes: int, *, updates: int = 0,
           arrived: int | None = None, hit: bool | None = None) -> dict[str, Any]:
    begin = at(day, start)
    return {"delivery_id": delivery_id, "route_id": "R1", "market_id": "nyc",
            "service_date": day, "first_start": begin - timedelta(minutes=30),
            "first_end": begin + timedelta(minutes=minutes - 30), "window_start": begin,
            "window_end": begin + timedelta(minutes=minutes), "sent_at": at(day, 6),
            "changed_at": at(day, 7) if updates else at(day, 6), "updates": updates,
            "arrived_at": at(day, arrived) if arrived is not None else None, "hit": hit}


def inbound(n: int, when: datetime, shipper: str, wismo: bool) -> dict[str, Any]:
    return {"id": f"msg_in_t{n}", "direction": Direction.INBOUND, "channel": Channel.SMS,
            "purpose": "reply.question", "created_at": when, "status": MessageStatus.RECEIVED,
            "language": "en", "shipper_id": shipper, "market_id": "nyc",
            "body": "where is my package?" if wismo else "thanks",
            "context": {"intent": "question", "wismo": wismo}}


@pytest.fixture
def fortnight(site: Site) -> Site:
    """Today: freshcart D-1..D-4 (three held windows: in, out, not arrived yet), homenest D-5
    (in). Yesterday: freshcart D-6, held, not arrived. The day before: nothing."""
    created = [ev.delivery_created(f"c{i}", START, f"D-{i}") for i in range(1, 5)]
    created.append(ev.delivery_created("c5", START, "D-5", shipper=OTHER_SHIPPER,
                                       phone="+12125557001"))
    created.append(ev.delivery_created("c6", START - timedelta(days=1), "D-6"))
    site.feed(created)
    with site.rt.db.transaction() as s:
        s.execute(sa.insert(held_windows), [
            window("D-1", TODAY, 10, 120, updates=2, arrived=11, hit=True),
            window("D-2", TODAY, 10, 60, arrived=12, hit=False),
            window("D-3", TODAY, 13, 60, updates=1),
            window("D-5", TODAY, 9, 90, updates=1, arrived=10, hit=True),
            window("D-6", YESTERDAY, 11, 60),
        ])
        s.execute(sa.insert(messages), [
            inbound(1, at(TODAY, 5), "freshcart", True),
            inbound(2, at(TODAY, 5, 30), OTHER_SHIPPER, True),
            inbound(3, at(TODAY, 5, 45), "freshcart", False),
            # 04:30 UTC on the 24th is still the 23rd in New York
            inbound(4, at(YESTERDAY, 23, 30), "freshcart", True),
        ])
    return site


def test_the_operator_sees_each_days_hit_rate_and_wismo_replies(fortnight: Site) -> None:
    page = fortnight.as_role(Role.DISPATCHER).get("/notify")
    shown = figures(page.text)

    assert page.status_code == 200
    today, yesterday, before = (f"nyc.{d.isoformat()}" for d in (TODAY, YESTERDAY, BEFORE))
    assert shown[f"{today}.deliveries"] == "5"
    assert (shown[f"{today}.arrivals"], shown[f"{today}.hits"]) == ("3", "2")
    assert shown[f"{today}.hit_rate"] == "66.7%"
    assert shown[f"{today}.median_width"] == "60 min"  # 60, 60, 90, 120
    assert shown[f"{today}.updates"] == "1.0"  # 4 updates over 4 windows held
    assert (shown[f"{today}.wismo"], shown[f"{today}.wismo_per_1000"]) == ("2", "400.0")
    # a day with a window held but no arrival yet, and a day with nothing at all
    assert (shown[f"{yesterday}.arrivals"], shown[f"{yesterday}.hit_rate"]) == ("0", "—")
    assert (shown[f"{yesterday}.wismo"], shown[f"{yesterday}.wismo_per_1000"]) == ("1", "1,000.0")
    assert shown[f"{before}.deliveries"] == "0" and shown[f"{before}.hit_rate"] == "—"
    assert shown[f"{before}.wismo_per_1000"] == "—"
    assert shown["nyc.hit_rate"] == "66.7%" and shown["nyc.wismo"] == "3"
    # fourteen days for each market, ending on its own local today
    assert len([k for k in shown if k.startswith("nyc.") and k.endswith(".deliveries")]) == 14
    assert "nyc.2026-11-11.deliveries" in shown and "nyc.2026-11-10.deliveries" not in shown
    assert shown["chi.hit_rate"] == "—" and shown["chi.wismo"] == "0"


def test_a_shipper_sees_its_own_deliveries_and_replies_only(fortnight: Site) -> None:
    page = fortnight.as_role(Role.SHIPPER, "freshcart").get("/notify")
    shown = figures(page.text)
    today = f"nyc.{TODAY.isoformat()}"

    assert shown[f"{today}.deliveries"] == "4"
    assert (shown[f"{today}.arrivals"], shown[f"{today}.hits"]) == ("2", "1")
    assert shown[f"{today}.hit_rate"] == "50.0%"
    assert shown[f"{today}.median_width"] == "60 min"  # 60, 60, 120
    assert (shown[f"{today}.wismo"], shown[f"{today}.wismo_per_1000"]) == ("1", "250.0")
    assert shown["nyc.wismo"] == "2"
    other = figures(fortnight.as_role(Role.SHIPPER, OTHER_SHIPPER).get("/notify").text)
    assert other[f"{today}.deliveries"] == "1" and other[f"{today}.hit_rate"] == "100.0%"
    assert other["nyc.wismo"] == "1"


def test_the_page_is_a_table_without_javascript_and_a_chart_with_it(fortnight: Site) -> None:
    c = fortnight.as_role(Role.LEADERSHIP)
    page = c.get("/notify")

    assert '<a href="/notify">Recipients</a>' in page.text
    assert "<table>" in page.text and "<script>" not in page.text  # no inline script (CSP)
    series = re.findall(r'data-chart="notify"[^>]*data-series=\'([^\']+)\'', page.text)
    assert len(series) == 3  # one chart a market: Chicago, New York, Phoenix
    assert '"hit_rate"' in series[1] and "66.7" in series[1] and "400.0" in series[1]
    assert c.get("/static/doorstep.js").text.count("notifyChart") >= 2


def test_the_page_needs_a_login(site: Site) -> None:
    answer = site.client().get("/notify", follow_redirects=False)
    assert answer.status_code in (302, 303) and "/login" in answer.headers["location"]


def test_a_delivery_shows_the_window_its_recipient_holds(fortnight: Site) -> None:
    page = fortnight.as_role(Role.DISPATCHER).get("/deliveries/D-1")
    shown = figures(page.text)

    assert shown["held.first"] == "09:30–11:30" and shown["held.now"] == "10:00–12:00"
    assert shown["held.updates"] == "2" and shown["held.hit"] == "yes"
    assert "arrival window sent" in page.text and "arrival window changed" in page.text
    assert figures(fortnight.as_role(Role.DISPATCHER).get("/deliveries/D-3").text)[
        "held.hit"] == "—"
    assert "held.now" not in figures(fortnight.as_role(Role.DISPATCHER)
                                     .get("/deliveries/D-4").text)
    shipper = fortnight.as_role(Role.SHIPPER, "freshcart")
    assert shipper.get("/deliveries/D-5").status_code == 404


def test_an_incoming_text_is_marked_wismo_and_put_in_the_senders_latest_market(
        site: Site, fake: FakeTwilio) -> None:
    site.feed([ev.delivery_created("c1", START - timedelta(days=2), "D-CHI", depot="chi-w"),
               ev.delivery_created("c2", START, "D-NYC")])
    for body in ("Where's my package??", "yes"):
        assert fake.send_inbound(ev.PHONE, FRESHCART_NUMBER, body).status_code == 200
    fake.send_inbound("+12125550999", FRESHCART_NUMBER, "dónde está mi pedido")

    with site.rt.db.reading() as s:
        rows = {r.body: r for r in s.execute(sa.select(messages).where(
            messages.c.direction == Direction.INBOUND))}
    assert rows["Where's my package??"].context["wismo"] is True
    assert rows["Where's my package??"].market_id == "nyc"
    assert rows["yes"].context["wismo"] is False and rows["yes"].market_id == "nyc"
    unknown = rows["dónde está mi pedido"]
    assert unknown.context["wismo"] is True and unknown.market_id is None
