"""GET /events and GET /events/{id}: the inbound events as stored, with what became of them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from doorstep.domain import EventStatus
from doorstep.read import lists
from doorstep.runtime import Runtime
from doorstep.web import auth
from doorstep.web.api import schemas
from doorstep.web.api.pagination import Page, PageRequest, paging
from doorstep.web.api.params import EventIdPath, Text, UtcQueryTime, found

Paging = Annotated[PageRequest[int], Depends(paging("events", int))]


def router(rt: Runtime) -> APIRouter:
    api = APIRouter(tags=["events"])

    @api.get("/events", summary="Stored inbound events, by id",
             description="A shipper sees the events about its own deliveries only.")
    def list_events(
        v: auth.ApiVisitor, page: Paging,
        source: Annotated[Text | None, Query(description="where it came from")] = None,
        type: Annotated[Text | None, Query(description='e.g. "delivery.failed"')] = None,
        status: Annotated[EventStatus | None, Query()] = None,
        subject: Annotated[Text | None, Query(description='e.g. "delivery:D-1"')] = None,
        received_after: Annotated[UtcQueryTime | None, Query(
            description="received at or after (ISO 8601 with an offset)")] = None,
        received_before: Annotated[UtcQueryTime | None, Query(
            description="received strictly before (ISO 8601 with an offset)")] = None,
    ) -> Page[schemas.Event]:
        f = lists.EventFilter(source=source, type=type, status=status, subject=subject,
                              received_after=received_after, received_before=received_before)
        with rt.db.reading() as s:
            rows = lists.event_page(s, v.principal, f, page.after, page.limit)
        return page.answer(rows, schemas.Event.from_row)

    @api.get("/events/{id}", summary="One stored event")
    def get_event(id: EventIdPath, v: auth.ApiVisitor) -> schemas.Event:
        with rt.db.reading() as s:
            row = lists.event_row(s, id, v.principal)
        return schemas.Event.from_row(found(row, "event"))

    return api
