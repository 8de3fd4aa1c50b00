"""GET /kept: what came in and could not be applied (kept flagged, with the reason) and the
writes a route platform refused — for a dispatcher or an admin to put right."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from doorstep.read import kept
from doorstep.runtime import Runtime
from doorstep.web import auth
from doorstep.web.pages.common import render


def router(rt: Runtime) -> APIRouter:
    api = APIRouter(include_in_schema=False)

    @api.get("/kept")
    async def kept_page(request: Request, v: auth.PageVisitor) -> Response:
        def load() -> tuple[list[object], list[object]]:
            with rt.db.reading() as s:
                return kept.flagged(s, v.principal), kept.failed_writes(s, v.principal)

        flagged, failed = await run_in_threadpool(load)
        return render(rt, request, "kept.html", v, flagged=flagged, failed=failed)

    return api
