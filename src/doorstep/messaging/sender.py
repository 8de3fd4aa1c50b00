"""Draining the outbox: claim due messages, hand each to its channel once, record what came of it.

The order makes "nothing sent twice" hold through crashes: a message is marked `sending`, with
an attempt row, and committed *before* the provider is called; the provider's answer is written
after. A worker that dies in between leaves a `sending` row that `reconcile` settles by asking
the provider whether it has the message — it is resent only if the provider has not.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from doorstep.domain import Channel, MessageStatus, SuppressionReason
from doorstep.messaging import addresses, consent, unreachable
from doorstep.messaging.channels.base import (
    Accepted,
    Outgoing,
    Permanent,
    Transient,
    Unknown,
)
from doorstep.messaging.channels.base import Channel as ChannelImpl
from doorstep.messaging.daytime import Daytime, waits_for_daytime
from doorstep.messaging.rate import Limiter, Pacing
from doorstep.messaging.render import Brand, RenderError, email_parts, render
from doorstep.messaging.saved import for_session as saved_templates
from doorstep.store.db import Database
from doorstep.store.tables import message_attempts, messages, shippers

log = logging.getLogger(__name__)

RETRY_AFTER = [timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10),
               timedelta(minutes=30), timedelta(hours=2)]
MAX_ATTEMPTS = len(RETRY_AFTER) + 1
STALE_SENDING = timedelta(minutes=5)  # a `sending` row this old lost its worker
BATCH = 100

Channels = Callable[[Channel], ChannelImpl]


OPT_OUT_CONFIRMATION = "reply.stop"


@dataclass(frozen=True)
class Claimed:
    outgoing: Outgoing
    channel: Channel
    attempt: int


def _backoff(attempt: int) -> timedelta:
    return RETRY_AFTER[min(attempt - 1, len(RETRY_AFTER) - 1)]


def _sender_of(s: Session, row: Any) -> str | None:
    if row.from_addr:
        return str(row.from_addr)
    if row.channel in (Channel.SMS, Channel.EMAIL) and row.shipper_id:
        shipper = s.execute(sa.select(shippers.c.messaging_service_sid, shippers.c.sms_from,
                                      shippers.c.email_from)
                            .where(shippers.c.id == row.shipper_id)).first()
        if shipper is not None:
            found: str | None = (shipper.email_from if row.channel == Channel.EMAIL
                                 else shipper.messaging_service_sid or shipper.sms_from)
            return found
    return None


def _brand(s: Session, shipper_id: str | None) -> Brand:
    row = s.execute(sa.select(shippers).where(shippers.c.id == shipper_id)).first() \
        if shipper_id else None
    if row is None:
        return Brand(name="")
    return Brand(row.name, row.brand_primary, row.brand_secondary, row.logo_url)


def _shipper_name(s: Session, shipper_id: str | None) -> str | None:
    if not shipper_id:
        return None
    return s.scalar(sa.select(shippers.c.name).where(shippers.c.id == shipper_id))


def _end(s: Session, row: Any, status: MessageStatus, now: datetime, *,
         reason: SuppressionReason | None = None, code: str | None = None) -> None:
    s.execute(messages.update().where(messages.c.id == row.id).values(
        status=status, status_at=now, suppressed_reason=reason, error_code=code))


def claim(s: Session, now: datetime, limit: int = BATCH,
          daytime: Daytime | None = None, limiter: Limiter | None = None) -> list[Claimed]:
    """Due queued messages, checked (expiry, daytime when a policy is given, address, consent,
    template, the sender's send budget when a limiter is given) and marked `sending`.

    Runs in the caller's transaction; the caller commits before sending anything."""
    stmt = (sa.select(messages)
            .where(messages.c.status == MessageStatus.QUEUED,
                   sa.or_(messages.c.send_after.is_(None), messages.c.send_after <= now))
            .order_by(messages.c.send_after, messages.c.created_at).limit(limit))
    if s.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)  # many workers, each its own rows
    claimed: list[Claimed] = []
    pacing = Pacing(limiter, s, now) if limiter is not None else None
    for row in s.execute(stmt).all():
        channel = Channel(row.channel)
        if row.expires_at is not None and row.expires_at <= now:
            _end(s, row, MessageStatus.SUPPRESSED, now,
                 reason=SuppressionReason.QUIET_HOURS_EXPIRED)
            continue
        wait = waits_for_daytime(s, row, now, daytime) if daytime else None
        if wait is not None:
            if row.expires_at is not None and row.expires_at <= wait:
                # It would arrive too late to matter: suppressed, not sent late.
                _end(s, row, MessageStatus.SUPPRESSED, now,
                     reason=SuppressionReason.QUIET_HOURS_EXPIRED)
            else:
                s.execute(messages.update().where(messages.c.id == row.id)
                          .values(send_after=wait))
            continue
        to = row.to_addr
        try:
            if channel is Channel.SMS:
                to = addresses.e164(to or "")
            elif channel is Channel.EMAIL:
                to = addresses.email(to or "")
        except addresses.InvalidAddress:
            _end(s, row, MessageStatus.SUPPRESSED, now, reason=SuppressionReason.INVALID_NUMBER)
            unreachable.mark(s, channel, row.recipient_id, now)
            continue
        if unreachable.known(s, channel, row.recipient_id):
            _end(s, row, MessageStatus.SUPPRESSED, now, reason=SuppressionReason.INVALID_NUMBER)
            continue
        sender = _sender_of(s, row)
        # The one answer that confirms an opt-out goes to a number that has just opted out.
        if channel in (Channel.SMS, Channel.EMAIL) and row.purpose != OPT_OUT_CONFIRMATION \
                and consent.opted_out(s, channel, to, sender):
            _end(s, row, MessageStatus.SUPPRESSED, now, reason=SuppressionReason.OPTED_OUT)
            continue
        body = row.body
        if body is None:
            try:
                body = render(row.template, row.language, row.context or {},
                              shipper_name=_shipper_name(s, row.shipper_id),
                              shipper_id=row.shipper_id, saved=saved_templates(s)).body
            except RenderError as err:
                log.warning("message %s cannot be rendered: %s", row.id, err)
                _end(s, row, MessageStatus.FAILED, now, code="template")
                continue
        subject = html = None
        if channel is Channel.EMAIL:
            brand = _brand(s, row.shipper_id)
            try:
                subject, html = email_parts(row.template, row.language, body,
                                            row.context or {}, brand, shipper_id=row.shipper_id,
                                            saved=saved_templates(s))
            except RenderError as err:
                log.warning("message %s cannot be rendered: %s", row.id, err)
                _end(s, row, MessageStatus.FAILED, now, code="template")
                continue
        later = pacing.defer(channel, sender, body) if pacing is not None else None
        if later is not None:
            # Over its sender's budget: left queued for the moment the budget allows, when a
            # later claim (ordered by send_after) takes it up. No worker waits for it.
            s.execute(messages.update().where(messages.c.id == row.id).values(send_after=later))
            continue
        attempt = int(row.attempts) + 1
        s.execute(messages.update().where(messages.c.id == row.id).values(
            status=MessageStatus.SENDING, status_at=now, attempts=attempt, body=body,
            to_addr=to, from_addr=sender))
        s.execute(message_attempts.insert().values(message_id=row.id, number=attempt,
                                                   started_at=now))
        claimed.append(Claimed(Outgoing(row.id, to or "", sender, body, subject, html),
                               channel, attempt))
    return claimed


def _finish_attempt(s: Session, c: Claimed, now: datetime, outcome: str, *,
                    provider_id: str | None = None, code: str | None = None,
                    detail: str | None = None) -> None:
    s.execute(message_attempts.update()
              .where(message_attempts.c.message_id == c.outgoing.message_id,
                     message_attempts.c.number == c.attempt)
              .values(finished_at=now, outcome=outcome, provider_id=provider_id,
                      error_code=code, detail=(detail or "")[:400] or None))


def accepted(s: Session, c: Claimed, result: Accepted, now: datetime,
             outcome: str = "sent") -> None:
    s.execute(messages.update().where(messages.c.id == c.outgoing.message_id,
                                      messages.c.status == MessageStatus.SENDING)
              .values(status=MessageStatus.SENT, status_at=now, sent_at=now,
                      provider_id=result.provider_id, segments=result.segments))
    _finish_attempt(s, c, now, outcome, provider_id=result.provider_id)


def record(s: Session, c: Claimed, result: Accepted | Exception, now: datetime) -> None:
    """What one send came to, in the caller's transaction."""
    mid = c.outgoing.message_id
    if isinstance(result, Accepted):
        accepted(s, c, result, now)
    elif isinstance(result, Transient):
        _finish_attempt(s, c, now, "transient", code=result.code, detail=result.detail)
        if c.attempt >= MAX_ATTEMPTS:
            s.execute(messages.update().where(messages.c.id == mid).values(
                status=MessageStatus.FAILED, status_at=now, error_code=result.code))
        else:
            s.execute(messages.update().where(messages.c.id == mid).values(
                status=MessageStatus.QUEUED, status_at=now, error_code=result.code,
                send_after=now + _backoff(c.attempt)))
    elif isinstance(result, Permanent):
        _finish_attempt(s, c, now, "permanent", code=result.code, detail=result.detail)
        s.execute(messages.update().where(messages.c.id == mid).values(
            status=MessageStatus.FAILED, status_at=now, error_code=result.code))
        if result.reason in ("invalid_number", "invalid_address"):
            recipient = s.scalar(sa.select(messages.c.recipient_id).where(messages.c.id == mid))
            unreachable.mark(s, c.channel, recipient, now)
        if result.reason == "opted_out":
            consent.record(s, consent.ConsentChange(
                c.channel, c.outgoing.to, c.outgoing.sender or consent.EVERY_SENDER, True, now,
                "carrier", f"provider refused with {result.code}"))
    else:  # Unknown, or anything unexpected: leave `sending` for reconciliation
        code = result.code if isinstance(result, Unknown) else type(result).__name__
        _finish_attempt(s, c, now, "unknown", code=code, detail=str(result))


def send_due(db: Database, channels: Channels, now: Callable[[], datetime],
             limit: int = BATCH, daytime: Daytime | None = None,
             limiter: Limiter | None = None) -> int:
    """One pass: claim, commit, send each, record each. The number of messages handed over."""
    with db.transaction() as s:
        batch = claim(s, now(), limit, daytime, limiter)
    for c in batch:
        try:
            result: Accepted | Exception = channels(c.channel).send(c.outgoing)
        except (Transient, Permanent, Unknown) as err:
            result = err
        except Exception as err:  # a bug or an outage we did not foresee: reconcile, never resend
            log.exception("sending message %s failed unexpectedly", c.outgoing.message_id)
            result = err
        with db.transaction() as s:
            record(s, c, result, now())
    return len(batch)


def reconcile(db: Database, channels: Channels, now: Callable[[], datetime],
              older_than: timedelta = STALE_SENDING) -> int:
    """Settle `sending` rows whose worker is gone: sent if the provider has the message, else
    queued again for a resend. The number settled."""
    cutoff = now() - older_than
    with db.reading() as s:
        stale = s.execute(sa.select(messages).where(messages.c.status == MessageStatus.SENDING,
                                                    messages.c.status_at <= cutoff)).all()
    settled = 0
    for row in stale:
        c = Claimed(Outgoing(row.id, row.to_addr or "", row.from_addr, row.body or ""),
                    Channel(row.channel), int(row.attempts))
        try:
            found = channels(c.channel).find(c.outgoing, row.status_at)
        except Exception:
            log.warning("cannot reconcile message %s now; trying later", row.id)
            continue
        with db.transaction() as s:
            current = s.scalar(sa.select(messages.c.status).where(messages.c.id == row.id))
            if current != MessageStatus.SENDING:
                continue  # a status callback settled it meanwhile
            if found is not None:
                accepted(s, c, found, now(), outcome="reconciled")
            else:
                _finish_attempt(s, c, now(), "unknown", detail="not at the provider: resend")
                s.execute(messages.update().where(messages.c.id == row.id).values(
                    status=MessageStatus.QUEUED, status_at=now(), send_after=now()))
        settled += 1
    return settled
