"""GET /notify — **Recipients**: per market, the last 14 service days of the arrival windows
held (hit rate, width, updates) and the "where is my parcel" replies, as charts over tables."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from doorstep.read import notify_figures
from doorstep.runtime import Runtime
from doorstep.web import auth
from doorstep.web.pages.common import render


def router(rt: Runtime) -> APIRouter:
    api = APIRouter(include_in_schema=False)

    @api.get("/notify")
    async def notify_page(request: Request, v: auth.PageVisitor) -> Response:
        def load() -> list[notify_figures.MarketFigures]:
            with rt.db.reading() as s:
                return notify_figures.notify_figures(s, rt.clock.now(), v.principal)

        figures = await run_in_threadpool(load)
        return render(rt, request, "notify.html", v, markets=figures,
                      days=notify_figures.DAYS)

    return api
