"""Spoke Dispatch's (Circuit for Teams') webhook, `POST /webhooks/circuit` (contracts/circuit.md
§10): the `spoke-signature` (hex HMAC-SHA256 of the raw body with the team's webhook secret)
checked before anything else; what does not have the documented shape is kept flagged and
answered 200, so Spoke does not retry it for an hour."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool

from doorstep.connectors.circuit.connector import CircuitConnector
from doorstep.connectors.received import store_or_flag
from doorstep.runtime import Runtime
from doorstep.web.body import read_limited

log = logging.getLogger(__name__)

# v1 sends only `spoke-signature`; v0.2b deliveries carried `circuit-signature` as well (§13).
HEADERS = ("spoke-signature", "circuit-signature")


def signature_ok(secret: str, body: bytes, given: str | None) -> bool:
    """Constant-time comparison of the hex digest over the exact bytes received."""
    if not given:
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, given.strip().lower())


def router(rt: Runtime) -> APIRouter:
    api = APIRouter(include_in_schema=False)

    @api.post("/webhooks/circuit")
    async def circuit(request: Request) -> Response:
        secret = rt.settings.circuit_webhook_secret
        body = await read_limited(request, rt.settings.max_body_bytes)
        given = next((request.headers[h] for h in HEADERS if h in request.headers), None)
        if secret is None:
            log.warning("Circuit webhook refused: DOORSTEP_CIRCUIT_WEBHOOK_SECRET is not set")
            raise HTTPException(401, "the Circuit webhook secret is not configured")
        if not signature_ok(secret.get_secret_value(), body, given):
            log.warning("Circuit webhook refused: %s spoke-signature",
                        "missing" if not given else "wrong")  # never the body
            raise HTTPException(401, "the spoke-signature does not match")
        connector = rt.connectors().get("circuit")
        if not isinstance(connector, CircuitConnector):
            raise HTTPException(503, "Circuit is not configured (DOORSTEP_CIRCUIT_API_KEY)")
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError):  # RecursionError: nested too deep
            await run_in_threadpool(store_or_flag, rt, "circuit", "webhook", None, body, None,
                                    "the body is not JSON")
            return Response(status_code=200)
        await run_in_threadpool(connector.receive, payload, body)
        return Response(status_code=200)

    return api
