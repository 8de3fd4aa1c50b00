"""The Needs a person inbox: a text no rule could act on waits there; a dispatcher answers it
from the thread, and the answer goes out through the fake Twilio from the number it came to."""

from __future__ import annotations

import re

import httpx
import pytest
import sqlalchemy as sa

from doorstep.domain import Direction, MessageStatus
from doorstep.domain.access import Role
from doorstep.messaging import sender
from doorstep.messaging.channels.twilio_sms import TwilioSms
from doorstep.sim.fakes.twilio import FakeTwilio
from doorstep.store.tables import messages
from tests.integration.web.conftest import Site, csrf_of, two_shippers_day

FRESHCART = "+12125550110"
HOMENEST = "+16025550112"
ROBIN = "+12125552000"  # a freshcart recipient in the day
BEA = "+12125557001"  # a homenest recipient


@pytest.fixture
def waiting(site: Site, fake: FakeTwilio) -> dict[str, str]:
    """One text from each shipper's recipient that no rule can act on; their message ids."""
    site.feed(two_shippers_day(site.clock))
    fake.send_inbound(ROBIN, FRESHCART, "who is this? I never ordered anything")
    fake.send_inbound(BEA, HOMENEST, "my neighbour took it I think??")
    with site.rt.db.reading() as s:
        return {r.from_addr: r.id for r in s.execute(sa.select(messages.c.id, messages.c.from_addr)
                                                     .where(messages.c.direction
                                                            == Direction.INBOUND))}


def answers_queued(site: Site) -> list[sa.Row]:
    with site.rt.db.reading() as s:
        return list(s.execute(sa.select(messages).where(
            messages.c.purpose == "dispatcher.answer")))


def form_of(page: str, message_id: str) -> dict[str, str]:
    """The hidden fields of the answer form for one message, as the browser would send them."""
    found = re.search(rf'action="/inbox/{message_id}/answer">(.*?)</form>', page, re.S)
    assert found, f"no answer form for {message_id}"
    return dict(re.findall(r'name="(csrf_token|nonce)" value="([^"]+)"', found.group(1)))


def open_thread(client: httpx.Client, address: str) -> str:
    page = client.get(f"/threads/{address}")
    assert page.status_code == 200
    return page.text


def test_a_dispatcher_answers_from_the_thread_and_it_goes_from_the_number_written_to(
        site: Site, fake: FakeTwilio, sms: TwilioSms, waiting: dict[str, str]) -> None:
    dispatcher = site.as_role(Role.DISPATCHER)
    inbox = dispatcher.get("/inbox")
    assert inbox.status_code == 200
    assert "I never ordered anything" in inbox.text and "my neighbour took it" in inbox.text
    assert re.search(r'Needs a person <span class="count">2</span>', inbox.text)

    mid = waiting[ROBIN]
    fields = form_of(open_thread(dispatcher, ROBIN), mid)
    posted = dispatcher.post(f"/inbox/{mid}/answer",
                             data={**fields, "text": "Hi, this is FreshCart dispatch: a gift "
                                                     "from your sister. Shall we bring it?"})
    assert posted.status_code == 303 and posted.headers["location"].endswith(f"#m-{mid}")
    again = dispatcher.post(f"/inbox/{mid}/answer", data={**fields, "text": "resubmitted"})
    assert again.status_code == 303

    [queued] = answers_queued(site)
    assert (queued.to_addr, queued.from_addr) == (ROBIN, FRESHCART)
    assert queued.body.startswith("Hi, this is FreshCart dispatch")
    left = dispatcher.get("/inbox").text
    assert "I never ordered anything" not in left and "my neighbour took it" in left

    sender.send_due(site.rt.db, lambda _c: sms, site.clock.now)  # Robin's notices go too
    [out] = [m for m in fake.messages if m.to == ROBIN and m.body == queued.body]
    assert out.from_ == FRESHCART
    thread = open_thread(dispatcher, ROBIN)
    assert "settled by" in thread and f'action="/inbox/{mid}/answer"' not in thread


def test_an_answer_without_the_forms_token_is_refused_and_nothing_is_queued(
        site: Site, waiting: dict[str, str]) -> None:
    dispatcher = site.as_role(Role.DISPATCHER)
    mid = waiting[ROBIN]
    fields = form_of(open_thread(dispatcher, ROBIN), mid)

    forged = dispatcher.post(f"/inbox/{mid}/answer", data={"nonce": fields["nonce"],
                                                           "text": "hello"})
    empty = dispatcher.post(f"/inbox/{mid}/answer", data={**fields, "text": "   "})

    assert forged.status_code == 403 and empty.status_code == 422
    assert answers_queued(site) == []
    assert "I never ordered anything" in dispatcher.get("/inbox").text


def test_set_aside_takes_it_out_of_the_inbox_without_sending_anything(
        site: Site, waiting: dict[str, str]) -> None:
    dispatcher = site.as_role(Role.SUPERVISOR)
    page = dispatcher.get("/inbox").text
    aside = dispatcher.post(f"/inbox/{waiting[BEA]}/set-aside",
                            data={"csrf_token": csrf_of(page)})

    assert aside.status_code == 303
    assert "my neighbour took it" not in dispatcher.get("/inbox").text
    assert answers_queued(site) == []
    with site.rt.db.reading() as s:
        settled = s.execute(sa.select(messages).where(messages.c.id == waiting[BEA])).one()
    assert settled.settled_at is not None and settled.settled_by


def test_a_shipper_sees_only_its_own_waiting_replies_and_answers_none(
        site: Site, waiting: dict[str, str]) -> None:
    freshcart = site.as_role(Role.SHIPPER, "freshcart")
    page = freshcart.get("/inbox")
    assert "I never ordered anything" in page.text and "my neighbour" not in page.text
    assert 'action="/inbox/' not in page.text
    token = csrf_of(page.text)

    own = freshcart.post(f"/inbox/{waiting[ROBIN]}/answer",
                         data={"csrf_token": token, "nonce": "n1", "text": "hi"})
    theirs = freshcart.post(f"/inbox/{waiting[BEA]}/answer",
                            data={"csrf_token": token, "nonce": "n2", "text": "hi"})
    aside = freshcart.post(f"/inbox/{waiting[BEA]}/set-aside", data={"csrf_token": token})

    assert (own.status_code, theirs.status_code, aside.status_code) == (403, 404, 404)
    assert answers_queued(site) == []


def test_leadership_reads_the_inbox_but_does_not_answer(
        site: Site, waiting: dict[str, str]) -> None:
    leadership = site.as_role(Role.LEADERSHIP)
    page = leadership.get("/inbox")
    assert "my neighbour took it" in page.text and 'action="/inbox/' not in page.text
    refused = leadership.post(f"/inbox/{waiting[BEA]}/answer",
                              data={"csrf_token": csrf_of(page.text), "nonce": "n",
                                    "text": "hello"})
    assert refused.status_code == 403 and answers_queued(site) == []


def test_an_answer_to_someone_who_has_since_opted_out_is_not_sent(
        site: Site, fake: FakeTwilio, sms: TwilioSms, waiting: dict[str, str]) -> None:
    dispatcher = site.as_role(Role.DISPATCHER)
    fields = form_of(open_thread(dispatcher, ROBIN), waiting[ROBIN])
    fake.send_inbound(ROBIN, FRESHCART, "STOP")
    dispatcher.post(f"/inbox/{waiting[ROBIN]}/answer", data={**fields, "text": "Sorry!"})

    sender.send_due(site.rt.db, lambda _c: sms, site.clock.now)
    [queued] = answers_queued(site)
    assert queued.status == MessageStatus.SUPPRESSED and queued.suppressed_reason == "opted_out"
    assert [m for m in fake.messages if m.body == "Sorry!"] == []
