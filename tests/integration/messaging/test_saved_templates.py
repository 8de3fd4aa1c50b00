"""Saved templates in the sender, on both engines: the shipper's words go out, a template that
breaks on one message does not stop the others (that message goes in the built-in words), and
a change made by another process is picked up at the next claim batch."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import sqlalchemy as sa

from doorstep.domain import Channel, MessageStatus
from doorstep.events.outbox import queue_message
from doorstep.messaging import saved, sender, templates
from doorstep.messaging.channels.base import Accepted, Outgoing
from doorstep.runtime import Runtime
from doorstep.store.tables import messages
from doorstep.workflows.actions import Audience, QueueMessage

EDITOR = "editor@brightline.example"


class Recorder:
    name = "test"

    def __init__(self) -> None:
        self.sent: list[Outgoing] = []

    def send(self, message: Outgoing) -> Accepted:
        self.sent.append(message)
        return Accepted(f"SM{len(self.sent):032x}", 1)

    def find(self, message: Outgoing, since: object) -> Accepted | None:
        return None


def queue(rt: Runtime, key: str, *, shipper: str = "freshcart", attempt: int = 1,
          language: str = "en", phone: str = "+12125550147") -> str:
    with rt.db.transaction() as s:
        assert queue_message(s, QueueMessage(
            purpose="recover.reach_out", channel=Channel.SMS, audience=Audience.RECIPIENT,
            dedup_key=key, subject_type="delivery", subject_id=f"D-{key}", to_addr=phone,
            template="failed_attempt", context={"reason": "access", "attempt": attempt},
            language=language, shipper_id=shipper, market_id="nyc"), rt.clock.now())
        return str(s.scalar(sa.select(messages.c.id).where(messages.c.dedup_key == key)))


def save(rt: Runtime, scope: str, source: str, language: str = "en") -> None:
    with rt.db.transaction() as s:
        found = templates.save(s, saved.Key(scope, "failed_attempt", language, "body"), source,
                               by=EDITOR, now=rt.clock.now())
    assert found.ok, found.errors


def drain(rt: Runtime) -> dict[str, str]:
    """Send everything due (noon in New York, so daytime is not in the way); the words of each
    message by id."""
    channel = Recorder()
    while sender.send_due(rt.db, lambda _c: channel, rt.clock.now):
        pass
    return {m.message_id: m.body for m in channel.sent}


@pytest.fixture
def noon(runtime: Runtime) -> Runtime:
    runtime.clock.advance(timedelta(hours=6))
    return runtime


def test_a_template_that_breaks_on_one_message_does_not_stop_the_others(
        noon: Runtime, caplog: pytest.LogCaptureFixture) -> None:
    # Valid against the sample (attempt 1); a division by zero on a second attempt.
    save(noon, "freshcart", "{{ shipper }} missed you ({{ 10 // (attempt - 2) }}): "
                            "{{ reason_text }}.")
    first, second, third = (queue(noon, f"k{n}", attempt=n, phone=f"+1212555014{n}")
                            for n in (1, 2, 3))
    theirs = queue(noon, "other", shipper="homenest", attempt=2)

    with caplog.at_level(logging.WARNING):
        words = drain(noon)

    assert words[first] == "FreshCart Grocery missed you (-10): we could not get in."
    assert words[third] == "FreshCart Grocery missed you (10): we could not get in."
    assert words[second].startswith("FreshCart Grocery: we tried to deliver your parcel today "
                                    "but we could not get in.")  # the built-in words
    assert words[theirs].startswith("HomeNest Furniture: we tried to deliver")
    with noon.db.reading() as s:
        statuses = set(s.scalars(sa.select(messages.c.status)))
    assert statuses == {MessageStatus.SENT}
    warnings = [r.getMessage() for r in caplog.records if "saved template" in r.getMessage()]
    assert len(warnings) == 1 and "line 1" in warnings[0] and "ZeroDivisionError" in warnings[0]
    assert "2125550142" not in caplog.text


def test_a_message_fails_only_when_the_built_in_template_fails_too(noon: Runtime) -> None:
    mid = queue(noon, "broken")
    with noon.db.transaction() as s:  # a context the built-in cannot word: no reason at all
        s.execute(messages.update().where(messages.c.id == mid).values(
            template="chronic_address", context={"failures": 3}))
    ok = queue(noon, "fine")

    words = drain(noon)

    assert list(words) == [ok]
    with noon.db.reading() as s:
        row = s.execute(sa.select(messages).where(messages.c.id == mid)).one()
    assert (row.status, row.error_code) == (MessageStatus.FAILED, "template")


def test_spanish_recipients_get_the_shippers_spanish_then_the_operators_then_built_in(
        noon: Runtime) -> None:
    save(noon, "*", "{{ shipper }} (operador): {{ reason_text }}", language="es")
    save(noon, "homenest", "{{ shipper }} (HomeNest): {{ reason_text }}", language="es")
    fresh = queue(noon, "es1", language="es")
    home = queue(noon, "es2", shipper="homenest", language="es")
    french = queue(noon, "fr", language="fr")

    words = drain(noon)

    assert words[fresh] == "FreshCart Grocery (operador): no pudimos entrar"
    assert words[home] == "HomeNest Furniture (HomeNest): no pudimos entrar"
    assert words[french].startswith("FreshCart Grocery: we tried to deliver")


def test_a_change_saved_elsewhere_is_used_by_the_next_batch(noon: Runtime) -> None:
    first = queue(noon, "a")
    assert drain(noon)[first].startswith("FreshCart Grocery: we tried")

    save(noon, "freshcart", "First words for {{ shipper }}")
    second = queue(noon, "b")
    assert drain(noon)[second] == "First words for FreshCart Grocery"

    # The same instant, the same length: only the text differs (the cache must still see it).
    save(noon, "freshcart", "Other words for {{ shipper }}")
    third = queue(noon, "c")
    assert drain(noon)[third] == "Other words for FreshCart Grocery"

    noon.clock.advance(timedelta(minutes=1))
    with noon.db.transaction() as s:
        assert templates.revert(s, saved.Key("freshcart", "failed_attempt", "en", "body"))
    fourth = queue(noon, "d")
    assert drain(noon)[fourth].startswith("FreshCart Grocery: we tried")
