"""POST /webhooks/email: one raw email (message/rfc822) from a mail relay, signed per Standard
Webhooks with the generic webhook's secret."""

from __future__ import annotations

import logging

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from doorstep.messaging import inbound, inbound_email
from doorstep.runtime import Runtime
from doorstep.web.body import read_signed

log = logging.getLogger(__name__)


class Received(BaseModel):
    duplicate: bool
    intent: str


def router(rt: Runtime, secret: str) -> APIRouter:
    api = APIRouter()

    @api.post("/webhooks/email", response_model=Received,
              summary="Receive one email (the raw message/rfc822), signed like /webhooks/generic")
    async def receive(request: Request) -> Received:
        raw, _ = await read_signed(request, rt, secret, "email webhook")
        contact = rt.policies.contact

        def keep() -> inbound.Handled:
            with rt.db.transaction() as s:
                return inbound_email.receive(s, raw, rt.clock.now(), contact)

        try:
            handled = await run_in_threadpool(keep)
        except inbound_email.NotAnEmail as err:
            raise HTTPException(422, str(err)) from None
        if handled.events:
            try:
                rt.tasks.enqueue_events(handled.events)
            except Exception:  # stored: the sweep queues it later
                log.exception("queue unreachable: an understood reply waits for the sweep")
        return Received(duplicate=handled.duplicate, intent=handled.intent)

    return api
