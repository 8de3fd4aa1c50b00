"""Reading request bodies with a size limit (and a signature), before anything parses them."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from fastapi import HTTPException, Request

from doorstep import signing as signatures

if TYPE_CHECKING:
    from doorstep.runtime import Runtime

log = logging.getLogger(__name__)


async def read_limited(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"body is larger than the limit of {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, f"body is larger than the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_signed(request: Request, rt: Runtime, secret: str, what: str) -> tuple[bytes, str]:
    """The body and its message id, once its Standard Webhooks signature holds; else 401."""
    body = await read_limited(request, rt.settings.max_body_bytes)
    window = timedelta(seconds=rt.settings.replay_window_seconds)
    try:
        msg_id = signatures.verify(secret, body, request.headers, rt.clock.now(), window)
    except signatures.BadSignature as err:
        log.warning("%s refused: %s", what, err)  # never the body
        raise HTTPException(401, str(err)) from None
    return body, msg_id
