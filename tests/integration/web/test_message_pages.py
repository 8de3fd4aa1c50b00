"""The Messages pages over real HTTP: the outbox with filters, one message and its attempts,
the thread with one number — for the operator and for a shipper."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from doorstep.domain.access import Role
from doorstep.messaging import inbound, sender
from doorstep.messaging.channels.console import ConsoleChannel
from doorstep.store.tables import messages
from tests.integration.web.conftest import Site, two_shippers_day

FRESHCART_RECIPIENT = "+12125552000"  # the factories' default phone (D-A1..3)
HOMENEST_RECIPIENT = "+12125557001"  # D-B1's


@pytest.fixture
def day(site: Site) -> Site:
    site.feed(two_shippers_day(site.clock))
    return site


def shown(html: str) -> list[str]:
    return re.findall(r'data-message="([^"]+)"', html)


def test_the_outbox_lists_both_shippers_messages_and_filters_them(day: Site) -> None:
    c = day.as_role(Role.DISPATCHER)
    everything = c.get("/messages")
    queued = c.get("/messages", params={"status": "queued", "channel": "sms"})
    none_sent = c.get("/messages", params={"status": "delivered"})

    assert everything.status_code == 200
    assert "recover.reach_out" in everything.text and len(shown(everything.text)) >= 2
    assert set(shown(queued.text)) <= set(shown(everything.text)) and shown(queued.text)
    assert shown(none_sent.text) == []
    bad = c.get("/messages", params={"status": "lost"})
    assert bad.status_code == 422 and "status" in bad.text


def test_a_message_page_shows_its_words_and_every_attempt(day: Site) -> None:
    c = day.as_role(Role.SUPERVISOR)
    day.clock.advance(timedelta(hours=2))
    console = ConsoleChannel()
    sender.send_due(day.rt.db, lambda _c: console, day.clock.now)
    reach_outs = shown(c.get("/messages", params={"channel": "sms",
                                                  "purpose": "recover.reach_out"}).text)
    with day.rt.db.reading() as s:  # homenest's: freshcart's (time-sensitive) is worded otherwise
        [plain] = s.scalars(sa.select(messages.c.id).where(
            messages.c.purpose == "recover.reach_out", messages.c.shipper_id == "homenest"))
    assert plain in reach_outs

    page = c.get(f"/messages/{plain}")

    assert page.status_code == 200
    assert "we tried to deliver your parcel today" in page.text
    assert re.search(r"<td class=\"n\">1</td>.*<td>sent</td>", page.text, re.S)
    # The English reach-out is plain GSM-7 and longer than one 160-character segment.
    assert re.search(r'data-figure="encoding">GSM-7: \d+ units, 2 segments of up to 153<',
                     page.text)


def test_a_thread_shows_what_went_out_and_what_came_back(day: Site) -> None:
    day.clock.advance(timedelta(hours=2))
    console = ConsoleChannel()
    sender.send_due(day.rt.db, lambda _c: console, day.clock.now)
    contact = inbound.Contact("Brightline", None, None)
    with day.rt.db.transaction() as s:
        inbound.receive(s, inbound.Incoming("SM" + "d" * 32, HOMENEST_RECIPIENT,
                                            "+16025550112", None, "tomorrow after 5 works"),
                        day.clock.now(), contact)

    page = day.as_role(Role.DISPATCHER).get(f"/threads/{HOMENEST_RECIPIENT}")
    theirs = day.as_role(Role.SHIPPER, "homenest").get(f"/threads/{HOMENEST_RECIPIENT}")

    assert page.status_code == 200
    assert page.text.index("HomeNest Furniture: we tried") < page.text.index(
        "tomorrow after 5 works")
    assert 'class="inbound"' in page.text and 'class="outbound"' in page.text
    assert theirs.status_code == 200 and "tomorrow after 5 works" in theirs.text


def test_a_shipper_sees_only_its_own_messages(day: Site) -> None:
    theirs = day.as_role(Role.SHIPPER, "freshcart").get("/messages")
    ops = day.as_role(Role.DISPATCHER).get("/messages")

    assert theirs.status_code == 200
    assert set(shown(theirs.text)) < set(shown(ops.text))
    assert "HomeNest" not in theirs.text and HOMENEST_RECIPIENT not in theirs.text
    assert day.as_role(Role.SHIPPER, "freshcart").get(
        f"/threads/{HOMENEST_RECIPIENT}").status_code == 404
