"""GET /routes and GET /routes/{id} (with its stops in sequence order)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from doorstep.domain import RouteStatus
from doorstep.read import detail, lists
from doorstep.runtime import Runtime
from doorstep.web import auth
from doorstep.web.api import schemas
from doorstep.web.api.pagination import Page, PageRequest, paging
from doorstep.web.api.params import IdPath, TextId, found

Paging = Annotated[PageRequest[str], Depends(paging("routes", str))]


def router(rt: Runtime) -> APIRouter:
    api = APIRouter(tags=["routes"])

    @api.get("/routes", summary="Routes, by id",
             description="A shipper sees the routes that carry at least one of its deliveries, "
                         "their counts over its own stops, and no vehicle.")
    def list_routes(
        v: auth.ApiVisitor, page: Paging,
        market: Annotated[TextId | None, Query(description="market id")] = None,
        depot: Annotated[TextId | None, Query(description="depot id")] = None,
        status: Annotated[RouteStatus | None, Query()] = None,
        date: Annotated[dt.date | None, Query(description="service date, YYYY-MM-DD")] = None,
        driver: Annotated[TextId | None, Query(description="driver id")] = None,
    ) -> Page[schemas.Route]:
        f = lists.RouteFilter(market=market, depot=depot, status=status, day=date, driver=driver)
        with rt.db.reading() as s:
            rows = lists.route_page(s, v.principal, f, page.after, page.limit)
        return page.answer(rows, schemas.Route.from_row)

    @api.get("/routes/{id}", summary="One route and its stops",
             description="A shipper sees its own stops only (`partial`: true).")
    def get_route(id: IdPath, v: auth.ApiVisitor) -> schemas.RouteDetail:
        with rt.db.reading() as s:
            row = lists.route_row(s, id, v.principal)
            stops = detail.route_detail(s, id, v.principal) if row is not None else None
        return schemas.route_detail(found(row, "route"), found(stops, "route"))

    return api
