"""What every dashboard page gives its template."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi import Request
from fastapi.responses import HTMLResponse

from doorstep.read import inbox, kept
from doorstep.runtime import Runtime
from doorstep.store.tables import markets
from doorstep.web.auth import Visitor
from doorstep.web.templating import templates


def market_list(rt: Runtime) -> list[Any]:
    with rt.db.reading() as s:
        return list(s.execute(sa.select(markets.c.id, markets.c.name, markets.c.timezone)
                              .order_by(markets.c.name)))


def waiting_count(rt: Runtime, visitor: Visitor) -> int:
    with rt.db.reading() as s:
        return inbox.count(s, visitor.principal)


def kept_count(rt: Runtime, visitor: Visitor) -> int:
    with rt.db.reading() as s:
        return kept.counts(s, visitor.principal)


def render(rt: Runtime, request: Request, name: str, visitor: Visitor | None,
           status_code: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("nav_markets", market_list(rt) if visitor else [])
    context.setdefault("nav_waiting", waiting_count(rt, visitor) if visitor else 0)
    context.setdefault("nav_kept", kept_count(rt, visitor) if visitor else 0)
    return templates.TemplateResponse(
        request, name, {"visitor": visitor, "operator_name": rt.operator.operator.name, **context},
        status_code=status_code)
