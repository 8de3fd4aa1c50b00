"""The Today pages: every market at a glance, and one market's day, refreshed live by HTMX."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from doorstep.domain import DeliveryStatus
from doorstep.read import today
from doorstep.runtime import Runtime
from doorstep.web import auth
from doorstep.web.pages.common import render

REFRESH_SECONDS = 5
STATUSES = [s.value for s in DeliveryStatus]
DateParam = Annotated[date | None, Query(description="A local date (default: today)")]


def router(rt: Runtime) -> APIRouter:
    api = APIRouter(include_in_schema=False)

    @api.get("/")
    async def root() -> Response:
        return RedirectResponse("/today", status_code=303)

    def all_context(v: auth.Visitor) -> dict[str, Any]:
        now = rt.clock.now()
        with rt.db.reading() as s:
            summaries = today.all_markets(s, now, v.principal)
        totals: dict[str, int] = {st: sum(m.by_status[st] for m in summaries) for st in STATUSES}
        totals["routes_in_progress"] = sum(m.routes_by_status["in_progress"] for m in summaries)
        totals["drivers_on_duty"] = sum(m.drivers_on_duty or 0 for m in summaries)
        totals["open_exceptions"] = sum(m.open_exceptions or 0 for m in summaries)
        return {"summaries": summaries, "totals": totals, "now": now, "statuses": STATUSES,
                "show_operations": v.principal.sees_operations,
                "refresh_seconds": REFRESH_SECONDS}

    @api.get("/today")
    async def all_markets(request: Request, v: auth.PageVisitor) -> Response:
        context = await run_in_threadpool(all_context, v)
        return render(rt, request, "today_all.html", v, **context)

    @api.get("/today/live")
    async def all_markets_live(request: Request, v: auth.PageVisitor) -> Response:
        context = await run_in_threadpool(all_context, v)
        return render(rt, request, "_today_all_live.html", v, nav_markets=[], **context)

    def market_context(v: auth.Visitor, market_id: str, day: date | None) -> dict[str, Any]:
        with rt.db.reading() as s:
            t = today.market_today(s, market_id, rt.clock.now(), v.principal, day)
        if t is None:
            raise HTTPException(404, f"no market {market_id!r}")
        chart = {"hours": [h for h, _, _ in t.hourly], "delivered": [d for _, d, _ in t.hourly],
                 "failed": [f for _, _, f in t.hourly]}
        return {"t": t, "now": t.now, "chart": chart, "statuses": STATUSES,
                "refresh_seconds": REFRESH_SECONDS,
                "date_param": day.isoformat() if day else None}

    @api.get("/today/{market_id}")
    async def market(request: Request, market_id: str, v: auth.PageVisitor, date: DateParam = None) -> Response:
        context = await run_in_threadpool(market_context, v, market_id, date)
        return render(rt, request, "today_market.html", v, **context)

    @api.get("/today/{market_id}/live")
    async def market_live(request: Request, market_id: str, v: auth.PageVisitor,
                          date: DateParam = None) -> Response:
        context = await run_in_threadpool(market_context, v, market_id, date)
        return render(rt, request, "_today_market_live.html", v, nav_markets=[], **context)

    return api
