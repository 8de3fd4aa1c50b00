"""POST /webhooks/generic: doorstep's own event format, signed per Standard Webhooks."""

from __future__ import annotations

import json
import logging

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from doorstep.events.parse import InvalidEvent
from doorstep.runtime import Runtime
from doorstep.web.body import read_signed

log = logging.getLogger(__name__)


class Accepted(BaseModel):
    stored: int
    duplicates: int


def router(rt: Runtime, secret: str) -> APIRouter:
    api = APIRouter()

    @api.post("/webhooks/generic", status_code=202, response_model=Accepted,
              summary="Receive events in doorstep's own format (one, or a JSON array)")
    async def receive(request: Request) -> Accepted:
        body, msg_id = await read_signed(request, rt, secret, "generic webhook")
        try:
            # Parse the text that was verified (UTF-8), not bytes that json would sniff as
            # UTF-16/32; a leading BOM is tolerated, as RFC 8259 allows.
            payload = json.loads(body.decode("utf-8").removeprefix("\ufeff"))
        except (ValueError, RecursionError) as err:  # also: too many digits, too deep
            raise HTTPException(400, f"malformed JSON: {err}") from None
        batch = payload if isinstance(payload, list) else [payload]
        try:
            result = await run_in_threadpool(rt.intake.accept, "generic", batch)
        except InvalidEvent as err:
            raise HTTPException(422, err.problems) from None
        log.debug("generic webhook %s: %d stored, %d duplicates", msg_id, len(result.stored),
                 result.duplicates)
        return Accepted(stored=len(result.stored), duplicates=result.duplicates)

    return api
