"""The FastAPI application."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from doorstep import __version__
from doorstep.runtime import Runtime, generic_webhook_secret
from doorstep.web import health, home, webhooks_generic

log = logging.getLogger(__name__)


def create_app(rt: Runtime, *, on_start: Callable[[], None] | None = None,
               on_stop: Callable[[], None] | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if on_start:
            on_start()
        try:
            yield
        finally:
            if on_stop:
                on_stop()

    app = FastAPI(title="doorstep", version=__version__, lifespan=lifespan,
                  docs_url=None, redoc_url=None, openapi_url="/webhooks/openapi.json")

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse({"detail": "internal error; it has been logged"}, status_code=500)

    app.include_router(health.router(rt))
    app.include_router(webhooks_generic.router(rt, generic_webhook_secret(rt.settings)))
    app.include_router(home.router(rt))
    return app
