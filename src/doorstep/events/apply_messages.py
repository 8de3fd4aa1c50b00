"""Inbound messages that arrive as events (the generic webhook, the simulator): read the same
way as a text through Twilio's webhook — consent first, then the question it answers."""

from __future__ import annotations

from doorstep.domain import Channel, EventType
from doorstep.events import format as f
from doorstep.events.processing import Ctx, Outcome, applied, handles, ignored
from doorstep.messaging import inbound


@handles(EventType.MESSAGE_RECEIVED)
def message_received(ctx: Ctx, data: f.MessageReceived) -> Outcome:
    channel = Channel(data.channel)
    msg = inbound.Incoming(provider_id=data.provider_id or ctx.event.external_id,
                           from_=data.from_addr, to=data.to_addr, service=None, body=data.body,
                           channel=channel, source=ctx.event.source)
    handled = inbound.receive(ctx.session, msg, ctx.at, ctx.policies.contact)
    if handled.duplicate:
        return ignored("this message was received before")
    inbound.queue_answer(ctx.session, handled, msg, ctx.now, event_id=ctx.event.id)
    return applied(stored=handled.events)
