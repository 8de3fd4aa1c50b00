"""The FastAPI application."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from doorstep import __version__
from doorstep.runtime import Runtime, generic_webhook_secret
from doorstep.web import (
    auth,
    health,
    webhooks_circuit,
    webhooks_email,
    webhooks_generic,
    webhooks_onfleet,
    webhooks_twilio,
)
from doorstep.web.api import create_api
from doorstep.web.pages import (
    detail,
    inbox,
    kept,
    login,
    messages,
    notify,
    template_editor,
    today,
    tracking,
)
from doorstep.web.templating import templates

log = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")

# The dashboard loads nothing from elsewhere (the machine may be offline) and runs no inline
# script; styles may be inline (the status bar's proportions).
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: https:; connect-src 'self'; frame-ancestors 'none'; "
       "form-action 'self'; base-uri 'none'")


def _is_machine_path(path: str) -> bool:
    return path.startswith(("/api/", "/webhooks/", "/healthz", "/readyz"))


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
    app.state.rt = rt

    @app.middleware("http")
    async def security_headers(request: Request,
                               call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if not _is_machine_path(request.url.path):
            response.headers.setdefault("Content-Security-Policy", CSP)
            response.headers.setdefault("X-Frame-Options", "DENY")
            if not request.url.path.startswith("/static/"):
                response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.exception_handler(auth.LoginRequired)
    async def login_required(request: Request, exc: auth.LoginRequired) -> Response:
        redirect = auth.login_redirect(exc)
        if request.headers.get("hx-request"):
            # A live part asking after the session ended: send the whole page to the login.
            return Response(status_code=204, headers={"HX-Redirect": redirect.headers["location"]})
        return redirect

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        headers = getattr(exc, "headers", None)
        if _is_machine_path(request.url.path) or request.url.path.startswith("/static/"):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code,
                                headers=headers)
        response = templates.TemplateResponse(
            request, "error.html", {"visitor": None, "operator_name": rt.operator.operator.name,
                                    "status": exc.status_code, "detail": exc.detail,
                                    "nav_markets": []},
            status_code=exc.status_code, headers=headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        if _is_machine_path(request.url.path):
            return await request_validation_exception_handler(request, exc)
        names = ", ".join(sorted({str(e["loc"][-1]) for e in exc.errors() if e.get("loc")}))
        return templates.TemplateResponse(
            request, "error.html", {"visitor": None, "operator_name": rt.operator.operator.name,
                                    "status": 422, "nav_markets": [],
                                    "detail": f"Not a valid value for: {names}."},
            status_code=422)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        if _is_machine_path(request.url.path):
            return JSONResponse({"detail": "internal error; it has been logged"}, status_code=500)
        return HTMLResponse("<h1>Something went wrong</h1><p>It has been logged.</p>",
                            status_code=500)

    app.include_router(health.router(rt))
    app.include_router(webhooks_generic.router(rt, generic_webhook_secret(rt.settings)))
    app.include_router(webhooks_twilio.router(rt))
    app.include_router(webhooks_onfleet.router(rt))
    app.include_router(webhooks_circuit.router(rt))
    app.include_router(webhooks_email.router(rt, generic_webhook_secret(rt.settings)))
    app.include_router(login.router(rt))
    app.include_router(today.router(rt))
    app.include_router(detail.router(rt))
    app.include_router(messages.router(rt))
    app.include_router(inbox.router(rt))
    app.include_router(kept.router(rt))
    app.include_router(notify.router(rt))
    app.include_router(template_editor.router(rt))
    app.include_router(tracking.router(rt))
    app.mount("/api/v1", create_api(rt))
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


