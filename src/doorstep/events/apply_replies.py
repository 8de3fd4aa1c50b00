"""Answers to doorstep's own questions: what the workflows do with an understood reply.

An answer no workflow acts on yet still reaches someone: its message goes to the Needs a person
inbox, so nothing a recipient or a driver said falls on the floor.
"""

from __future__ import annotations

from datetime import date

from doorstep.domain import Delivery, Disposition, DispositionKind, EventType
from doorstep.events import format as f
from doorstep.events.processing import Ctx, Outcome, applied, handles
from doorstep.store.tables import messages

INSTRUCTIONS_MAX = 2000


def _redelivery_offer(ctx: Ctx, data: f.ReplyUnderstood) -> bool:
    delivery = ctx.get(Delivery, data.subject_id)
    if delivery is None:
        return False
    if data.intent == "date_time" and isinstance(data.slots.get("date"), str):
        ctx.session.add(Disposition(
            delivery_id=delivery.id, attempt_number=delivery.attempt_count,
            kind=DispositionKind.REDELIVER, decided_at=ctx.at,
            redelivery_date=date.fromisoformat(data.slots["date"]),
            notes=f"asked by the recipient: {data.text}"[:2000]))
        return True
    if data.intent == "instructions":
        said = str(data.slots.get("text") or data.text).strip()
        kept = delivery.instructions or ""
        if said and said not in kept:
            delivery.instructions = (f"{kept}\n{said}" if kept else said)[-INSTRUCTIONS_MAX:]
            delivery.details_at = ctx.at
        return True
    return False


ACTS_ON = {("delivery", "redelivery_offer"): _redelivery_offer,
           ("delivery", "access_instructions"): _redelivery_offer}


@handles(EventType.REPLY_UNDERSTOOD)
def reply_understood(ctx: Ctx, data: f.ReplyUnderstood) -> Outcome:
    act = ACTS_ON.get((data.subject_type, data.question))
    if act is not None and act(ctx, data):
        return applied()
    ctx.session.execute(messages.update().where(messages.c.id == data.message_id,
                                                messages.c.needs_person_at.is_(None))
                        .values(needs_person_at=ctx.now))
    return applied()
