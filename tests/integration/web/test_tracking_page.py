"""The recipient's tracking page over real HTTP (uvicorn on the virtual clock, SQLite): it
shows one delivery in its shipper's brand, takes instructions and a rating, and nothing else."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from doorstep.store import platform_links, tracking
from doorstep.store.tables import (
    deliveries,
    held_windows,
    platform_writes,
    ratings,
    shippers,
    tracking_tokens,
)
from doorstep.web.templating import local_time
from tests import factories as ev
from tests.integration.web.conftest import Site, two_shippers_day


@pytest.fixture
def day(site: Site) -> Site:
    t0 = site.clock.now()
    events = two_shippers_day(site.clock)
    # D-A3 gets a window, so the page has one to show.
    events[4] = ev.delivery_created("ca3", t0 + timedelta(minutes=1), "D-A3",
                                    window_start=(t0 + timedelta(hours=3)).isoformat(),
                                    window_end=(t0 + timedelta(hours=4)).isoformat())
    site.feed(events)
    return site


def issue(site: Site, delivery_id: str) -> str:
    with site.rt.db.transaction() as s:
        return tracking.issue(s, delivery_id, site.clock.now())


def delivery(site: Site, delivery_id: str) -> sa.Row:
    with site.rt.db.reading() as s:
        return s.execute(sa.select(deliveries).where(deliveries.c.id == delivery_id)).one()


def writes(site: Site) -> list[sa.Row]:
    with site.rt.db.reading() as s:
        return list(s.execute(sa.select(platform_writes)))


def test_the_page_shows_status_window_and_brand_and_nothing_of_anyone_else(day: Site) -> None:
    token = issue(day, "D-A3")
    page = day.client().get(f"/t/{token}")
    assert page.status_code == 200
    with day.rt.db.reading() as s:
        brand = s.execute(sa.select(shippers).where(shippers.c.id == "freshcart")).one()
    assert brand.name in page.text and brand.brand_primary in page.text
    assert "on its way" in page.text
    # The window shown is the one the recipient was sent when R-A started, not the shipper's.
    with day.rt.db.reading() as s:
        held = s.execute(sa.select(held_windows).where(held_windows.c.delivery_id == "D-A3")).one()
    assert held.window_start != delivery(day, "D-A3").window_start
    assert f"<strong>{local_time(held.window_start, 'America/New_York')}</strong>" in page.text
    assert "data-stops-away" in page.text  # R-A is under way; D-A3 is on it
    # No contact details, no other delivery, no other shipper (the link may be forwarded).
    for leak in ("+1", "Robin", "@", "D-A1", "D-A2", "D-B", "homenest", "Other Ave", "R-A"):
        assert leak not in page.text, leak
    assert "no-store" in page.headers["cache-control"]


def test_an_unknown_or_expired_token_is_a_404_that_says_so(day: Site) -> None:
    token = issue(day, "D-A3")
    c = day.client()
    for url in ("/t/not-a-token", f"/t/{token}x"):
        answer = c.get(url)
        assert answer.status_code == 404 and "expired" in answer.text
    day.clock.advance(timedelta(days=9))  # the service day plus the week's policy
    answer = c.get(f"/t/{token}")
    assert answer.status_code == 404 and "expired" in answer.text
    assert "FreshCart" not in answer.text and "D-A3" not in answer.text
    assert c.post(f"/t/{token}/instructions", data={"instructions": "x"}).status_code == 404


def test_instructions_are_saved_and_written_back_to_the_platform(day: Site) -> None:
    with day.rt.db.transaction() as s:
        platform_links.put(s, "onfleet", "delivery", "D-A3", "task-a3", day.clock.now())
    token = issue(day, "D-A3")
    c = day.client()
    answer = c.post(f"/t/{token}/instructions", data={"instructions": "  Gate code 4412  "})
    assert answer.status_code == 303 and answer.headers["location"].startswith(f"/t/{token}")
    page = c.get(answer.headers["location"])
    assert "Your instructions are saved." in page.text and "Gate code 4412" in page.text
    d = delivery(day, "D-A3")
    assert d.instructions == "Gate code 4412" and d.details_at == day.clock.now()
    queued = writes(day)
    assert [(w.platform, w.kind, w.subject_id, w.payload["instructions"]) for w in queued] == [
        ("onfleet", "instructions", "D-A3", "Gate code 4412")]
    c.post(f"/t/{token}/instructions", data={"instructions": "Gate code 4412"})
    assert len(writes(day)) == 1  # the same words twice are one write


@pytest.mark.parametrize("text", ["", "   ", "x" * 501])
def test_bad_instructions_are_refused_and_change_nothing(day: Site, text: str) -> None:
    token = issue(day, "D-A3")
    answer = day.client().post(f"/t/{token}/instructions", data={"instructions": text})
    assert answer.status_code == 422 and "data-error" in answer.text
    assert delivery(day, "D-A3").instructions is None
    assert writes(day) == []


def test_one_rating_per_delivery_a_later_tap_replaces_it(day: Site) -> None:
    token, second = issue(day, "D-A1"), issue(day, "D-A1")  # delivered
    c = day.client()
    assert c.post(f"/t/{token}/rating", data={"rating": "4"}).status_code == 303
    assert c.post(f"/t/{second}/rating", data={"rating": "5"}).status_code == 303
    for bad in ("0", "6", "x", ""):
        assert c.post(f"/t/{token}/rating", data={"rating": bad}).status_code == 422
    with day.rt.db.reading() as s:
        assert [tuple(r) for r in s.execute(sa.select(ratings.c.delivery_id, ratings.c.rating))
                ] == [("D-A1", 5)]
    not_yet = issue(day, "D-A3")  # still on its way: nothing to rate
    assert c.post(f"/t/{not_yet}/rating", data={"rating": "5"}).status_code == 409
    page = c.get(f"/t/{token}")
    assert 'aria-pressed="true"' in page.text and "data-pod" in page.text
    assert "https://pod.example/p.jpg" in page.text


def test_a_token_is_long_random_and_only_its_hash_is_stored(day: Site) -> None:
    token = issue(day, "D-A3")
    assert len(token) >= 32  # 24 random bytes, base64url: 192 bits
    assert issue(day, "D-A3") != token
    with day.rt.db.reading() as s:
        stored = [tuple(r) for r in s.execute(sa.select(tracking_tokens.c.token_hash,
                                                         tracking_tokens.c.delivery_id))]
    assert (tracking.hash_token(token), "D-A3") in stored
    assert all(token not in h for h, _ in stored)


def test_stops_away_counts_the_unfinished_stops_before_it_on_a_route_under_way(
        site: Site) -> None:
    events = two_shippers_day(site.clock)
    site.feed(events[:10])  # R-A planned (D-A1, D-B1, D-A2, D-A3), not started
    token = issue(site, "D-A3")
    c = site.client()
    assert "data-stops-away" not in c.get(f"/t/{token}").text
    site.feed(events[10:12])  # both routes start
    assert "The driver is 3 stops away." in c.get(f"/t/{token}").text
    site.feed(events[12:14])  # D-A1 delivered, D-B1 failed
    assert "The driver is 1 stop away." in c.get(f"/t/{token}").text
