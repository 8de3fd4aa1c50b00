"""GET /deliveries/{id} (with its timeline) and GET /routes/{id} (its stops in order)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from doorstep.read import detail
from doorstep.runtime import Runtime
from doorstep.web import auth
from doorstep.web.pages.common import render


def router(rt: Runtime) -> APIRouter:
    api = APIRouter(include_in_schema=False)

    @api.get("/deliveries/{delivery_id}")
    async def delivery(request: Request, delivery_id: str, v: auth.PageVisitor) -> Response:
        def load() -> detail.DeliveryDetail | None:
            with rt.db.reading() as s:
                return detail.delivery_detail(s, delivery_id, v.principal)

        found = await run_in_threadpool(load)
        if found is None:
            raise HTTPException(404, "no such delivery")
        return render(rt, request, "delivery.html", v, detail=found)

    @api.get("/routes/{route_id}")
    async def route(request: Request, route_id: str, v: auth.PageVisitor) -> Response:
        def load() -> detail.RouteDetail | None:
            with rt.db.reading() as s:
                return detail.route_detail(s, route_id, v.principal)

        found = await run_in_threadpool(load)
        if found is None:
            raise HTTPException(404, "no such route")
        return render(rt, request, "route.html", v, detail=found)

    return api
