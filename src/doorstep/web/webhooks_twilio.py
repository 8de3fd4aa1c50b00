"""Twilio's webhooks, each signature verified: delivery receipts (`/webhooks/twilio/status`)
and incoming texts (`/webhooks/twilio/sms`)."""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from twilio.request_validator import RequestValidator

from doorstep.messaging import inbound, receipts
from doorstep.runtime import Runtime
from doorstep.web.body import read_limited

log = logging.getLogger(__name__)


def signed_url(rt: Runtime, request: Request) -> str:
    """The URL Twilio signed: the public one it was given, with the query as it was sent."""
    if not rt.settings.public_url:
        return str(request.url)
    query = request.url.query
    return rt.settings.public_url.rstrip("/") + request.url.path + (f"?{query}" if query else "")


async def verified_form(rt: Runtime, request: Request) -> dict[str, str]:
    token = rt.settings.twilio_auth_token
    if token is None:
        raise HTTPException(503, "Twilio is not configured (DOORSTEP_TWILIO_AUTH_TOKEN)")
    body = await read_limited(request, rt.settings.max_body_bytes)
    try:
        params = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError:
        raise HTTPException(400, "the form is not UTF-8") from None
    signature = request.headers.get("x-twilio-signature", "")
    if not signature or not RequestValidator(token.get_secret_value()).validate(
            signed_url(rt, request), params, signature):
        log.warning("Twilio webhook refused on %s: bad or missing signature", request.url.path)
        raise HTTPException(401, "the X-Twilio-Signature does not match")
    return params


def router(rt: Runtime) -> APIRouter:
    api = APIRouter(include_in_schema=False)

    @api.post("/webhooks/twilio/status")
    async def status(request: Request) -> Response:
        params = await verified_form(rt, request)
        sid = params.get("MessageSid") or params.get("SmsSid")
        state = params.get("MessageStatus") or params.get("SmsStatus")
        if not sid or not state:
            raise HTTPException(400, "MessageSid and MessageStatus are required")
        receipt = receipts.Receipt(
            provider_id=sid[:64], status=state.lower()[:32],
            error_code=(params.get("ErrorCode") or None), message_id=request.query_params.get("m"),
            sender=params.get("From"), to=params.get("To"), params=params)

        def apply() -> receipts.Outcome:
            with rt.db.transaction() as s:
                return receipts.apply(s, "twilio", receipt, rt.clock.now())

        outcome = await run_in_threadpool(apply)
        if not outcome.known:
            log.warning("Twilio receipt for an unknown message %s: kept and flagged", sid)
        return Response(status_code=200)

    @api.post("/webhooks/twilio/sms")
    async def incoming(request: Request) -> Response:
        params = await verified_form(rt, request)
        sid = params.get("MessageSid") or params.get("SmsSid")
        sender, ours = params.get("From"), params.get("To")
        if not sid or not sender or not ours:
            raise HTTPException(400, "MessageSid, From and To are required")
        message = inbound.Incoming(provider_id=sid, from_=sender, to=ours,
                                   service=params.get("MessagingServiceSid") or None,
                                   body=params.get("Body", ""))
        contact = rt.policies.contact

        def receive() -> inbound.Handled:
            with rt.db.transaction() as s:
                return inbound.receive(s, message, rt.clock.now(), contact)

        handled = await run_in_threadpool(receive)
        if handled.events:
            try:
                rt.tasks.enqueue_events(handled.events)
            except Exception:  # stored: the sweep queues it later
                log.exception("queue unreachable: an understood reply waits for the sweep")
        return Response(twiml(handled.reply), media_type="application/xml")

    return api


def twiml(reply: str | None) -> str:
    """Twilio's answer format: an empty <Response/>, or one <Message> sent back at once."""
    head = '<?xml version="1.0" encoding="UTF-8"?>'
    if reply is None:
        return head + "<Response/>"
    return head + f"<Response><Message>{escape(reply)}</Message></Response>"
