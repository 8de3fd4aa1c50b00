"""GET /drivers and GET /drivers/{id}: the operator's staff, not for shippers (403)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from doorstep.read import lists
from doorstep.runtime import Runtime
from doorstep.web import auth
from doorstep.web.api import schemas
from doorstep.web.api.pagination import Page, PageRequest, paging
from doorstep.web.api.params import IdPath, TextId, found

Paging = Annotated[PageRequest[str], Depends(paging("drivers", str))]
FORBIDDEN: dict[int | str, dict[str, Any]] = {403: {"model": schemas.Problem, "description": "a shipper asked"}}


def router(rt: Runtime) -> APIRouter:
    api = APIRouter(tags=["drivers"], responses=FORBIDDEN)

    @api.get("/drivers", summary="Drivers, by id")
    def list_drivers(
        v: auth.ApiVisitor, page: Paging,
        market: Annotated[TextId | None, Query(description="market id")] = None,
        depot: Annotated[TextId | None, Query(description="depot id")] = None,
        on_duty: Annotated[bool | None, Query(description="on duty now")] = None,
        on_call: Annotated[bool | None, Query(description="may be called in")] = None,
    ) -> Page[schemas.Driver]:
        f = lists.DriverFilter(market=market, depot=depot, on_duty=on_duty, on_call=on_call)
        with rt.db.reading() as s:
            rows = lists.driver_page(s, v.principal, f, page.after, page.limit)
        return page.answer(rows, schemas.Driver.from_row)

    @api.get("/drivers/{id}", summary="One driver")
    def get_driver(id: IdPath, v: auth.ApiVisitor) -> schemas.Driver:
        with rt.db.reading() as s:
            row = lists.driver_row(s, id, v.principal)
        return schemas.Driver.from_row(found(row, "driver"))

    return api
