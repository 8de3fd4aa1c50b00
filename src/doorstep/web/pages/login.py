"""GET/POST /login and POST /logout."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from doorstep.access import sessions, throttle, tokens, users
from doorstep.runtime import Runtime
from doorstep.web import auth
from doorstep.web.pages.common import render

WRONG = "Wrong email or password."


def router(rt: Runtime) -> APIRouter:
    api = APIRouter(include_in_schema=False)

    def login_page(request: Request, *, next_path: str, email: str = "", error: str | None = None,
                   status_code: int = 200, retry_after: int = 0) -> Response:
        # The form's CSRF token is a double-submit cookie: there is no session to bind it to yet.
        csrf = tokens.new_secret()
        response = render(rt, request, "login.html", None, status_code=status_code,
                          csrf_token=csrf, next_path=next_path, email=email, error=error)
        auth.set_cookie(rt, request, response, auth.LOGIN_CSRF_COOKIE, csrf, max_age=3600)
        if retry_after:
            response.headers["Retry-After"] = str(retry_after)
        return response

    @api.get("/login", response_class=HTMLResponse)
    async def login_form(request: Request, next: str | None = None) -> Response:
        return login_page(request, next_path=auth.safe_next(next))

    @api.post("/login")
    async def login(request: Request) -> Response:
        form = await request.form()
        auth.check_csrf(request.cookies.get(auth.LOGIN_CSRF_COOKIE), _field(form, "csrf_token"))
        email, password = _field(form, "email").strip(), _field(form, "password")
        next_path = auth.safe_next(_field(form, "next"))
        address = request.client.host if request.client else "unknown"
        keys = {throttle.EMAIL: email.lower(), throttle.ADDRESS: address}

        def attempt() -> tuple[str | None, int]:
            now = rt.clock.now()
            with rt.db.transaction() as s:
                wait = throttle.retry_after(s, keys, now)
                if wait:
                    return None, wait
                user = users.authenticate(s, email, password, now) if email else None
                if user is None:
                    throttle.record_failure(s, keys, now)
                    return None, 0
                throttle.clear(s, throttle.EMAIL, email.lower())
                secret, _ = sessions.open_session(s, user, now)
                return secret, 0

        secret, wait = await run_in_threadpool(attempt)
        if wait:
            return login_page(request, next_path=next_path, email=email, status_code=429,
                              retry_after=wait,
                              error=f"Too many attempts. Try again in {wait} seconds.")
        if secret is None:
            return login_page(request, next_path=next_path, email=email, status_code=401,
                              error=WRONG)
        response = RedirectResponse(next_path, status_code=303)
        auth.set_cookie(rt, request, response, auth.SESSION_COOKIE, secret,
                        max_age=int(sessions.LIFETIME.total_seconds()))
        response.delete_cookie(auth.LOGIN_CSRF_COOKIE, path="/")
        return response

    @api.post("/logout")
    async def logout(request: Request) -> Response:
        form = await request.form()
        visitor = await run_in_threadpool(auth.identify, rt, request)
        cookie = request.cookies.get(auth.SESSION_COOKIE)
        if visitor is not None and cookie:
            auth.check_csrf(visitor.csrf_token, _field(form, "csrf_token"))

            def close() -> None:
                with rt.db.transaction() as s:
                    sessions.close(s, cookie)

            await run_in_threadpool(close)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(auth.SESSION_COOKIE, path="/")
        return response

    return api


def _field(form: object, name: str) -> str:
    value = form.get(name)  # type: ignore[attr-defined]
    return value if isinstance(value, str) else ""
