"""GET /inbox (Needs a person), POST /inbox/{id}/answer and /inbox/{id}/set-aside.

A dispatcher answers from the thread or from the inbox: the answer is sent from the number the
person wrote to. Admins, dispatchers and supervisors answer; others only read.
"""

from __future__ import annotations

import secrets
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from doorstep.domain.access import Role
from doorstep.messaging import answers
from doorstep.read import inbox as read
from doorstep.read import messages as read_messages
from doorstep.runtime import Runtime
from doorstep.web import auth
from doorstep.web.pages.common import render

ANSWERERS = frozenset({Role.ADMIN, Role.DISPATCHER, Role.SUPERVISOR})


def may_answer(v: auth.Visitor) -> bool:
    return v.principal.role in ANSWERERS


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


def _field(form: object, name: str) -> str:
    value = form.get(name)  # type: ignore[attr-defined]
    return value if isinstance(value, str) else ""


def router(rt: Runtime) -> APIRouter:
    api = APIRouter(include_in_schema=False)

    @api.get("/inbox")
    async def inbox(request: Request, v: auth.PageVisitor) -> Response:
        def load() -> list[object]:
            with rt.db.reading() as s:
                return read.waiting(s, v.principal)

        rows = await run_in_threadpool(load)
        return render(rt, request, "inbox.html", v, rows=rows, may_answer=may_answer(v),
                      nonce=new_nonce())

    async def _visible(message_id: str, v: auth.Visitor) -> None:
        def load() -> object | None:
            with rt.db.reading() as s:
                return read_messages.visible_message(s, message_id, v.principal)

        if await run_in_threadpool(load) is None:
            raise HTTPException(404, "no such message")
        if not may_answer(v):
            raise HTTPException(403, "only dispatchers, supervisors and admins answer")

    @api.post("/inbox/{message_id}/answer")
    async def answer(request: Request, message_id: str, v: auth.PageVisitor) -> Response:
        form = await request.form()
        auth.check_csrf(v.csrf_token, _field(form, "csrf_token"))
        await _visible(message_id, v)
        text, nonce = _field(form, "text"), _field(form, "nonce")

        def queue() -> answers.Answered:
            with rt.db.transaction() as s:
                return answers.answer(s, message_id, text, by=v.principal.name, nonce=nonce,
                                      now=rt.clock.now())

        try:
            done = await run_in_threadpool(queue)
        except LookupError:
            raise HTTPException(404, "no such message") from None
        except answers.AnswerRefused as err:
            raise HTTPException(422, str(err)) from None
        return RedirectResponse(f"/threads/{quote(done.address, safe='')}#m-{message_id}",
                                status_code=303)

    @api.post("/inbox/{message_id}/set-aside")
    async def set_aside(request: Request, message_id: str, v: auth.PageVisitor) -> Response:
        form = await request.form()
        auth.check_csrf(v.csrf_token, _field(form, "csrf_token"))
        await _visible(message_id, v)

        def settle() -> str:
            with rt.db.transaction() as s:
                return answers.settle(s, message_id, by=v.principal.name, now=rt.clock.now())

        try:
            await run_in_threadpool(settle)
        except LookupError:
            raise HTTPException(404, "no such message") from None
        return RedirectResponse("/inbox", status_code=303)

    return api
