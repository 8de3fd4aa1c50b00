"""GET /deliveries and GET /deliveries/{id}."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from doorstep.domain import DeliveryStatus
from doorstep.read import detail, lists
from doorstep.runtime import Runtime
from doorstep.web import auth
from doorstep.web.api import schemas
from doorstep.web.api.pagination import Page, PageRequest, paging
from doorstep.web.api.params import IdPath, TextId, found

Paging = Annotated[PageRequest[str], Depends(paging("deliveries", str))]


def router(rt: Runtime) -> APIRouter:
    api = APIRouter(tags=["deliveries"])

    @api.get("/deliveries", summary="Deliveries, by id")
    def list_deliveries(
        v: auth.ApiVisitor, page: Paging,
        market: Annotated[TextId | None, Query(description="market id")] = None,
        depot: Annotated[TextId | None, Query(description="depot id")] = None,
        shipper: Annotated[TextId | None, Query(
            description="shipper id (a shipper only ever sees its own)")] = None,
        status: Annotated[DeliveryStatus | None, Query()] = None,
        date: Annotated[dt.date | None, Query(description="service date, YYYY-MM-DD")] = None,
        route: Annotated[TextId | None, Query(description="route id")] = None,
    ) -> Page[schemas.Delivery]:
        f = lists.DeliveryFilter(market=market, depot=depot, shipper=shipper, status=status,
                                 day=date, route=route)
        with rt.db.reading() as s:
            rows = lists.delivery_page(s, v.principal, f, page.after, page.limit)
        return page.answer(rows, schemas.Delivery.from_row)

    @api.get("/deliveries/{id}", summary="One delivery")
    def get_delivery(id: IdPath, v: auth.ApiVisitor) -> schemas.Delivery:
        with rt.db.reading() as s:
            row = detail.visible_delivery(s, id, v.principal)
        return schemas.Delivery.from_row(found(row, "delivery"))

    return api
