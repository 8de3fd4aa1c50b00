"""GET /messages (the outbox, and what came in), /messages/{id} (with every attempt) and
/threads/{address} (everything to and from one number or address)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from doorstep.domain import Channel, Direction, MessageStatus
from doorstep.messaging.segments import segments
from doorstep.read import messages as read
from doorstep.runtime import Runtime
from doorstep.web import auth
from doorstep.web.pages.common import render
from doorstep.web.pages.inbox import may_answer, new_nonce

Status = Annotated[MessageStatus | None, Query()]
ChannelParam = Annotated[Channel | None, Query()]
DirectionParam = Annotated[Direction | None, Query()]
Text = Annotated[str | None, Query(max_length=128)]
Before = Annotated[datetime | None, Query()]


def router(rt: Runtime) -> APIRouter:
    api = APIRouter(include_in_schema=False)

    @api.get("/messages")
    async def outbox(request: Request, v: auth.PageVisitor, status: Status = None,
                     channel: ChannelParam = None, direction: DirectionParam = None,
                     purpose: Text = None, market: Text = None, before_at: Before = None,
                     before_id: Text = None) -> Response:
        if (before_at is None) != (before_id is None):
            raise HTTPException(422, "before_at and before_id go together")
        f = read.MessageFilter(status=status, channel=channel, direction=direction,
                               purpose=purpose, market=market)
        before = (before_at, before_id) if before_at and before_id else None

        def load() -> tuple[list[object], tuple[datetime, str] | None]:
            with rt.db.reading() as s:
                return read.message_page(s, v.principal, f, before)

        rows, older = await run_in_threadpool(load)
        kept = {k: getattr(x, "value", x) for k, x in
                (("status", status), ("channel", channel), ("direction", direction),
                 ("purpose", purpose), ("market", market)) if x}
        older_url = (f"/messages?{urlencode({**kept, 'before_at': older[0].isoformat(), 'before_id': older[1]})}"
                     if older else None)
        return render(rt, request, "messages.html", v, rows=rows, filters=kept,
                      older_url=older_url, statuses=[s.value for s in MessageStatus],
                      channels=[c.value for c in Channel])

    @api.get("/messages/{message_id}")
    async def message(request: Request, message_id: str, v: auth.PageVisitor) -> Response:
        def load() -> tuple[Any, list[object]]:
            with rt.db.reading() as s:
                row = read.visible_message(s, message_id, v.principal)
                return row, (read.attempts(s, message_id) if row else [])

        row, tries = await run_in_threadpool(load)
        if row is None:
            raise HTTPException(404, "no such message")
        sms = segments(row.body) if row.body and row.channel == Channel.SMS else None
        return render(rt, request, "message.html", v, m=row, attempts=tries, sms=sms)

    @api.get("/threads/{address}")
    async def thread(request: Request, address: str, v: auth.PageVisitor) -> Response:
        def load() -> list[object]:
            with rt.db.reading() as s:
                return read.thread(s, address, v.principal)

        rows = await run_in_threadpool(load)
        if not rows:
            raise HTTPException(404, "no messages to or from this address")
        return render(rt, request, "thread.html", v, address=address, rows=rows,
                      may_answer=may_answer(v), nonce=new_nonce())

    return api
