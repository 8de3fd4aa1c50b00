"""`doorstep mail receive` as a mail server pipes to it: one raw email on standard input."""

from __future__ import annotations

from email.message import EmailMessage

import sqlalchemy as sa

from doorstep.domain import Channel, Direction
from doorstep.messaging import consent
from doorstep.store.tables import messages
from tests.e2e.test_cli_access import Cli, cli  # noqa: F401 - the fixture


def mail(body: str, message_id: str = "<r1@mail.example.com>") -> str:
    m = EmailMessage()
    m["From"] = "Bea <bea@example.com>"
    m["To"] = "HomeNest <delivery@homenest.example>"
    m["Subject"] = "Re: your parcel"
    m["Message-ID"] = message_id
    m.set_content(body)
    return m.as_string()


def test_a_piped_email_is_kept_once_and_an_unsubscribe_is_honoured(cli: Cli) -> None:  # noqa: F811
    first = cli("mail", "receive", stdin=mail("unsubscribe"))
    again = cli("mail", "receive", stdin=mail("unsubscribe"))

    assert first.returncode == 0, first.stderr
    assert "read as stop" in first.stderr and "kept before" in again.stderr
    assert cli.count(messages) == 2  # what came in, and the one confirmation queued
    with cli.db.reading() as s:
        assert consent.opted_out(s, Channel.EMAIL, "bea@example.com",
                                 "HomeNest <delivery@homenest.example>")
        [kept] = s.execute(sa.select(messages).where(messages.c.direction
                                                     == Direction.INBOUND)).all()
    assert kept.shipper_id == "homenest" and kept.body == "unsubscribe"


def test_bytes_that_are_not_an_email_bounce_with_the_reason(cli: Cli) -> None:  # noqa: F811
    answer = cli("mail", "receive", stdin="hello, this is not an email\n")

    assert answer.returncode == 65  # EX_DATAERR: the mail server bounces it
    assert "no From header" in answer.stderr and cli.count(messages) == 0
