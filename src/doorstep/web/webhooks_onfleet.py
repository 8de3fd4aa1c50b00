"""Onfleet's webhooks (contracts/onfleet.md §4): the `GET ?check=` handshake Onfleet makes before
it keeps a webhook, and the signed payloads, each answered 200 once kept (a payload doorstep
cannot read is kept flagged; Onfleet takes anything but 200 as a failure and retries it)."""

from __future__ import annotations

import binascii
import hashlib
import hmac
import json
import logging

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse

from doorstep.connectors import health
from doorstep.connectors.http import PlatformError, PlatformUnavailable
from doorstep.connectors.onfleet.connector import OnfleetConnector
from doorstep.connectors.received import store_or_flag
from doorstep.runtime import Runtime
from doorstep.web.body import read_limited

log = logging.getLogger(__name__)
PATH = "/webhooks/onfleet"


def signature_ok(secret_hex: str, body: bytes, given: str) -> bool:
    """§4.2: hex HMAC-SHA512 of the raw body, keyed by the hex-decoded secret."""
    try:
        key = bytes.fromhex(secret_hex.strip())
    except ValueError:
        return False
    expected = hmac.new(key, body, hashlib.sha512).hexdigest()
    return hmac.compare_digest(expected, given.strip().lower())


def router(rt: Runtime) -> APIRouter:
    api = APIRouter(include_in_schema=False)

    @api.get(PATH)
    async def handshake(request: Request) -> Response:
        check = request.query_params.get("check")
        if check is None:
            raise HTTPException(400, "Onfleet's check is a `check` query parameter")
        return PlainTextResponse(check)  # exactly the string, untouched

    @api.post(PATH)
    async def receive(request: Request) -> Response:
        body = await read_limited(request, rt.settings.max_body_bytes)
        secret = rt.settings.onfleet_webhook_secret
        given = request.headers.get("x-onfleet-signature", "")
        if secret is None:
            log.warning("Onfleet webhook refused: DOORSTEP_ONFLEET_WEBHOOK_SECRET is not set")
            raise HTTPException(401, "the Onfleet webhook secret is not configured")
        if not given or not signature_ok(secret.get_secret_value(), body, given):
            log.warning("Onfleet webhook refused: bad or missing X-Onfleet-Signature")
            raise HTTPException(401, "the X-Onfleet-Signature does not match")
        connector = rt.connectors().get("onfleet")
        if not isinstance(connector, OnfleetConnector):
            log.warning("Onfleet webhook not kept: DOORSTEP_ONFLEET_API_KEY is not set")
            raise HTTPException(503, "the Onfleet connector is not configured")
        try:
            payload = json.loads(body)
        except (ValueError, binascii.Error, RecursionError):  # RecursionError: nested too deep
            await run_in_threadpool(store_or_flag, rt, "onfleet", "payload", None, body, None,
                                    "the body is not JSON")
            return Response(status_code=200)
        try:
            await run_in_threadpool(connector.receive, payload, body)
        except (PlatformUnavailable, PlatformError) as err:
            # Placing the payload needed Onfleet, which did not answer: it is sent again.
            await run_in_threadpool(health.record, rt, "onfleet", str(err))
            log.warning("Onfleet webhook not kept, Onfleet did not answer: %s", err)
            raise HTTPException(503, "Onfleet did not answer; send it again") from None
        return Response(status_code=200)

    return api
