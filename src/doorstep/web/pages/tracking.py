"""The recipient's tracking page, GET /t/{token}, and its two forms (instructions, rating).

No login: the unguessable token is the key, and it opens one delivery only. The forms carry no
CSRF field because there is no session to ride on; the token in the path binds them.
"""

from __future__ import annotations

import hashlib
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from doorstep.domain import DeliveryStatus
from doorstep.read import tracking as view
from doorstep.runtime import Runtime
from doorstep.store import platform_writes, tracking
from doorstep.store.tables import deliveries
from doorstep.web.templating import templates

MAX_INSTRUCTIONS = 500
SAVED = {"instructions": "Your instructions are saved.", "rating": "Thank you for rating."}


def _expired(request: Request) -> Response:
    # The same answer for a wrong token as for an old one: nothing to learn by guessing.
    return templates.TemplateResponse(request, "tracking_expired.html", {}, status_code=404)


def _refused(request: Request, t: view.TrackingView, token: str, status: int,
             error: str) -> Response:
    return templates.TemplateResponse(request, "tracking.html",
                                      {"t": t, "token": token, "error": error, "saved": None,
                                       "max": MAX_INSTRUCTIONS}, status_code=status)


def router(rt: Runtime) -> APIRouter:
    api = APIRouter(include_in_schema=False)

    def load(token: str) -> view.TrackingView | None:
        with rt.db.reading() as s:
            delivery_id = tracking.resolve(s, token, rt.clock.now())
            return view.load(s, delivery_id) if delivery_id else None

    @api.get("/t/{token}")
    async def page(request: Request, token: str) -> Response:
        t = await run_in_threadpool(load, token)
        if t is None:
            return _expired(request)
        saved = SAVED.get(request.query_params.get("saved", ""))
        return templates.TemplateResponse(request, "tracking.html",
                                          {"t": t, "token": token, "saved": saved, "error": None,
                                           "max": MAX_INSTRUCTIONS})

    @api.post("/t/{token}/instructions")
    async def instructions(request: Request, token: str) -> Response:
        t = await run_in_threadpool(load, token)
        if t is None:
            return _expired(request)
        text = str((await request.form()).get("instructions") or "").strip()
        if not text:
            return _refused(request, t, token, 422, "Please write your instructions first.")
        if len(text) > MAX_INSTRUCTIONS:
            return _refused(request, t, token, 422,
                            f"Please keep it under {MAX_INSTRUCTIONS} characters.")
        if not t.open:
            return _refused(request, t, token, 409, "This delivery can no longer be changed.")

        def save() -> None:
            now = rt.clock.now()
            with rt.db.transaction() as s:
                s.execute(sa.update(deliveries).where(deliveries.c.id == t.delivery_id)
                          .values(instructions=text, details_at=now))
                # The version is the text: the same words saved twice are one write.
                platform_writes.queue(
                    s, platform_writes.WriteKind.INSTRUCTIONS, t.delivery_id,
                    {"delivery_id": t.delivery_id, "instructions": text},
                    version=hashlib.sha256(text.encode()).hexdigest()[:16], now=now)

        await run_in_threadpool(save)
        return RedirectResponse(f"/t/{token}?saved=instructions", status_code=303)

    @api.post("/t/{token}/rating")
    async def rating(request: Request, token: str) -> Response:
        t = await run_in_threadpool(load, token)
        if t is None:
            return _expired(request)
        raw: Any = (await request.form()).get("rating")
        value = int(raw) if isinstance(raw, str) and raw.isdigit() else 0
        if not 1 <= value <= 5:
            return _refused(request, t, token, 422, "A rating is from 1 to 5.")
        if t.status != DeliveryStatus.DELIVERED:  # a rating is of a delivery that happened
            return _refused(request, t, token, 409, "You can rate it once it is delivered.")

        def save() -> None:
            with rt.db.transaction() as s:
                tracking.rate(s, t.delivery_id, value, rt.clock.now())

        await run_in_threadpool(save)
        return RedirectResponse(f"/t/{token}?saved=rating", status_code=303)

    return api
