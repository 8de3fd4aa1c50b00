"""Answers to doorstep's own questions: what the workflows do with an understood reply.

An answer no workflow acts on yet still reaches someone: its message goes to the Needs a person
inbox, so nothing a recipient or a driver said falls on the floor.
"""

from __future__ import annotations

import hashlib
from datetime import date

from doorstep.domain import Delivery, Disposition, DispositionKind, EventType
from doorstep.events import format as f
from doorstep.events.processing import Ctx, Outcome, applied, handles
from doorstep.store import platform_writes
from doorstep.store.platform_writes import WriteKind
from doorstep.store.tables import messages

INSTRUCTIONS_MAX = 2000


def _redelivery_offer(ctx: Ctx, data: f.ReplyUnderstood) -> bool:
    delivery = ctx.get(Delivery, data.subject_id)
    if delivery is None:
        return False
    if data.intent == "date_time" and isinstance(data.slots.get("date"), str):
        disposition = Disposition(
            delivery_id=delivery.id, attempt_number=delivery.attempt_count,
            kind=DispositionKind.REDELIVER, decided_at=ctx.at,
            redelivery_date=date.fromisoformat(data.slots["date"]),
            notes=f"asked by the recipient: {data.text}"[:2000])
        ctx.session.add(disposition)
        _tell_platforms(ctx, delivery, disposition)
        return True
    if data.intent == "instructions":
        _keep_instructions(ctx, delivery, data)
        return True
    return False


def _pre_delivery(ctx: Ctx, data: f.ReplyUnderstood) -> bool:
    """An answer to a notice before delivery: instructions are kept (and go to the
    platforms); anything else (another day, a question) is for a person."""
    delivery = ctx.get(Delivery, data.subject_id)
    if delivery is None or data.intent != "instructions":
        return False
    _keep_instructions(ctx, delivery, data)
    return True


def _keep_instructions(ctx: Ctx, delivery: Delivery, data: f.ReplyUnderstood) -> None:
    said = str(data.slots.get("text") or data.text).strip()
    kept = delivery.instructions or ""
    if said and said not in kept:
        delivery.instructions = (f"{kept}\n{said}" if kept else said)[-INSTRUCTIONS_MAX:]
        delivery.details_at = ctx.at
        version = hashlib.sha256(delivery.instructions.encode()).hexdigest()[:16]
        platform_writes.queue(ctx.session, WriteKind.INSTRUCTIONS, delivery.id,
                              {"delivery_id": delivery.id,
                               "instructions": delivery.instructions}, version, ctx.now)


def _tell_platforms(ctx: Ctx, delivery: Delivery, disposition: Disposition) -> None:
    """The platforms that carry the delivery record the disposition and, for a redelivery,
    get the new task/order with the recipient's instructions."""
    day = disposition.redelivery_date.isoformat() if disposition.redelivery_date else None
    version = f"{disposition.attempt_number}:{disposition.kind.value}:{day}"
    platform_writes.queue(ctx.session, WriteKind.DISPOSITION, delivery.id, {
        "delivery_id": delivery.id, "disposition": disposition.kind.value,
        "redelivery_date": day, "notes": disposition.notes}, version, ctx.now)
    if disposition.kind is DispositionKind.REDELIVER and day is not None:
        platform_writes.queue(ctx.session, WriteKind.REDELIVERY, delivery.id, {
            "delivery_id": delivery.id, "date": day,
            "instructions": delivery.instructions}, version, ctx.now)


ACTS_ON = {("delivery", "redelivery_offer"): _redelivery_offer,
           ("delivery", "access_instructions"): _redelivery_offer,
           ("delivery", "pre_delivery"): _pre_delivery}


@handles(EventType.REPLY_UNDERSTOOD)
def reply_understood(ctx: Ctx, data: f.ReplyUnderstood) -> Outcome:
    act = ACTS_ON.get((data.subject_type, data.question))
    if act is not None and act(ctx, data):
        return applied()
    ctx.session.execute(messages.update().where(messages.c.id == data.message_id,
                                                messages.c.needs_person_at.is_(None))
                        .values(needs_person_at=ctx.now))
    return applied()
