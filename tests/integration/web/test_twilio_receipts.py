"""POST /webhooks/twilio/status over real HTTP: signed receipts applied once, forward only."""

from __future__ import annotations

from urllib.parse import urlencode

import sqlalchemy as sa
from twilio.request_validator import RequestValidator

from doorstep.domain import Channel, MessageStatus
from doorstep.events.outbox import queue_message
from doorstep.messaging import consent
from doorstep.store.tables import events, messages
from doorstep.workflows.actions import Audience, QueueMessage
from tests.conftest import TWILIO_AUTH_TOKEN
from tests.integration.web.conftest import Site

SID = "SM" + "a" * 32
PHONE = "+12125550147"


def sent_message(site: Site, provider_id: str | None = SID) -> str:
    action = QueueMessage(purpose="recover.reach_out", channel=Channel.SMS,
                          audience=Audience.RECIPIENT, dedup_key="k", subject_type="delivery",
                          subject_id="D1", to_addr=PHONE, template="failed_attempt")
    with site.rt.db.transaction() as s:
        queue_message(s, action, site.clock.now())
        s.execute(messages.update().values(status=MessageStatus.SENT, provider_id=provider_id,
                                           from_addr="+12125550110"))
        return str(s.scalar(sa.select(messages.c.id)))


def post_receipt(site: Site, params: dict[str, str], *, query: str = "",
                 token: str = TWILIO_AUTH_TOKEN, signature: str | None = None) -> int:
    url = f"{site.base_url}/webhooks/twilio/status{query}"
    sig = signature if signature is not None else \
        RequestValidator(token).compute_signature(url, params)
    answer = site.client().post(url, content=urlencode(params), headers={
        "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": sig})
    return answer.status_code


def receipt(status: str, sid: str = SID, **extra: str) -> dict[str, str]:
    return {"MessageSid": sid, "SmsSid": sid, "MessageStatus": status, "SmsStatus": status,
            "AccountSid": "AC" + "0" * 32, "From": "+12125550110", "To": PHONE,
            "ApiVersion": "2010-04-01", **extra}


def status_of(site: Site, mid: str) -> tuple[str, str | None]:
    with site.rt.db.reading() as s:
        row = s.execute(sa.select(messages.c.status, messages.c.error_code)
                        .where(messages.c.id == mid)).one()
    return str(getattr(row.status, "value", row.status)), row.error_code


def stored_receipts(site: Site) -> list[tuple[str, str]]:
    with site.rt.db.reading() as s:
        return [(r.external_id, str(getattr(r.status, "value", r.status))) for r in s.execute(
            sa.select(events).where(events.c.source == "twilio").order_by(events.c.id))]


def test_receipts_move_a_message_forward_only_and_repeats_change_nothing(site: Site) -> None:
    mid = sent_message(site)

    assert post_receipt(site, receipt("delivered")) == 200
    assert post_receipt(site, receipt("sent")) == 200  # late, out of order
    assert post_receipt(site, receipt("delivered")) == 200  # again

    assert status_of(site, mid) == ("delivered", None)
    assert [e for e, _ in stored_receipts(site)] == [f"{SID}:delivered:", f"{SID}:sent:"]


def test_a_receipt_names_our_message_even_if_we_never_stored_the_sid(site: Site) -> None:
    mid = sent_message(site, provider_id=None)
    with site.rt.db.transaction() as s:
        s.execute(messages.update().values(status=MessageStatus.SENDING))

    assert post_receipt(site, receipt("sent"), query=f"?m={mid}") == 200

    with site.rt.db.reading() as s:
        row = s.execute(sa.select(messages).where(messages.c.id == mid)).one()
    assert (row.status, row.provider_id) == (MessageStatus.SENT, SID)


def test_an_undelivered_receipt_keeps_its_error_and_21610_records_the_opt_out(
        site: Site) -> None:
    mid = sent_message(site)

    post_receipt(site, receipt("failed", ErrorCode="21610"))

    assert status_of(site, mid) == ("failed", "21610")
    with site.rt.db.reading() as s:
        assert consent.opted_out(s, Channel.SMS, PHONE, "+12125550110")


def test_a_receipt_for_an_unknown_message_is_kept_flagged_and_answered_200(site: Site) -> None:
    assert post_receipt(site, receipt("delivered", sid="SM" + "b" * 32)) == 200

    assert stored_receipts(site) == [(f"SM{'b' * 32}:delivered:", "flagged")]


def test_a_wrong_or_missing_signature_is_refused_and_nothing_is_stored(site: Site) -> None:
    mid = sent_message(site)

    assert post_receipt(site, receipt("delivered"), token="not-the-token") == 401
    assert post_receipt(site, receipt("delivered"), signature="") == 401
    tampered = receipt("delivered")
    sig = RequestValidator(TWILIO_AUTH_TOKEN).compute_signature(
        f"{site.base_url}/webhooks/twilio/status", tampered)
    tampered["MessageStatus"] = "undelivered"
    assert post_receipt(site, tampered, signature=sig) == 401

    assert stored_receipts(site) == [] and status_of(site, mid) == ("sent", None)
