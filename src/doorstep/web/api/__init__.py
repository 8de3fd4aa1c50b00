"""The JSON API, `/api/v1`: deliveries, routes, drivers and stored events, for machines (bearer
tokens) and people (the dashboard's session cookie).

A FastAPI application of its own, mounted by the web app, so that its OpenAPI document
(`/api/v1/openapi.json`) describes this API and nothing else. Every answer is JSON, errors too.
What a shipper may see is decided by the read models (`doorstep.read.lists`, `.detail`).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from doorstep import __version__
from doorstep.read.lists import NotVisible
from doorstep.runtime import Runtime
from doorstep.web import auth
from doorstep.web.api import deliveries, drivers, events, routes, schemas

log = logging.getLogger(__name__)

VERSION = "1"
UNAUTHORIZED: dict[int | str, dict[str, Any]] = {
    401: {"model": schemas.Problem,
          "description": "no bearer token or session, or one no longer valid"}}
SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer",
               "description": "an API token (`doorstep tokens create`)"},
    "session": {"type": "apiKey", "in": "cookie", "name": auth.SESSION_COOKIE,
                "description": "a dashboard session (a person logged in)"},
}


def create_api(rt: Runtime) -> FastAPI:
    api = FastAPI(title="doorstep API", version=VERSION,
                  description=f"doorstep {__version__}. Lists are cursor pages: "
                              "`items` and `next_cursor` (null on the last page).",
                  docs_url=None, redoc_url=None, openapi_url="/openapi.json",
                  responses=UNAUTHORIZED)
    api.state.rt = rt  # auth's dependencies read it from the application that serves the request

    @api.exception_handler(NotVisible)
    async def not_visible(_request: Request, exc: NotVisible) -> Response:
        return JSONResponse({"detail": f"not for a shipper: {exc}"}, status_code=403)

    @api.exception_handler(Exception)
    async def unexpected(request: Request, _exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse({"detail": "internal error; it has been logged"}, status_code=500)

    @api.get("/me", tags=["me"], summary="Who is asking")
    def me(v: auth.ApiVisitor) -> schemas.Me:
        return schemas.me(v.principal)

    for module in (deliveries, routes, drivers, events):
        api.include_router(module.router(rt))

    plain_openapi = api.openapi

    def openapi() -> dict[str, Any]:
        if api.openapi_schema is None:
            doc = plain_openapi()
            doc.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
            doc["security"] = [{"bearer": []}, {"session": []}]  # either one
        return api.openapi_schema or {}

    api.openapi = openapi  # type: ignore[method-assign]
    return api
