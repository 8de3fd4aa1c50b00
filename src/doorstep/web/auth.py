"""Who is asking: a person by session cookie or a machine by bearer token; CSRF on every form.

Pages want a person (no session: to the login page); the API takes either (no credentials: 401).
A shipper principal is scoped by the read queries, never by the page that calls them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request, Response
from fastapi.responses import RedirectResponse

from doorstep.access import api_tokens, sessions, tokens
from doorstep.domain.access import Principal
from doorstep.runtime import Runtime

SESSION_COOKIE = "doorstep_session"
LOGIN_CSRF_COOKIE = "doorstep_login_csrf"


@dataclass(frozen=True)
class Visitor:
    """The principal behind a request, and for a person the session's CSRF token."""

    principal: Principal
    csrf_token: str | None = None  # None for a bearer token: no cookie, no forgery to prevent


class LoginRequired(Exception):
    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


def secure_cookies(rt: Runtime, request: Request) -> bool:
    """Secure cookies wherever the browser came over HTTPS (or the operator says so)."""
    return rt.settings.secure_cookies or request.url.scheme == "https"


def set_cookie(rt: Runtime, request: Request, response: Response, name: str, value: str,
               max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax",
                        secure=secure_cookies(rt, request), path="/")


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def identify(rt: Runtime, request: Request) -> Visitor | None:
    """Blocking (database): call from a thread."""
    now = rt.clock.now()
    bearer = _bearer(request)
    if bearer is not None:
        with rt.db.reading() as s:
            token = api_tokens.resolve(s, bearer, now)
        if token is None:
            return None
        if api_tokens.touch_due(token, now):  # a write at most once a minute per token
            with rt.db.transaction() as s:
                api_tokens.touch(s, token, now)
        return Visitor(token.principal())
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    with rt.db.reading() as s:
        found = sessions.resolve(s, cookie, now)
    if found is None:
        return None
    return Visitor(found.user.principal(), found.csrf_token)


def page_visitor(rt: Runtime, request: Request) -> Visitor:
    visitor = identify(rt, request)
    if visitor is None or visitor.csrf_token is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    return visitor


def api_visitor(rt: Runtime, request: Request) -> Visitor:
    visitor = identify(rt, request)
    if visitor is None:
        raise HTTPException(401, "a bearer token or a session is needed",
                            headers={"WWW-Authenticate": "Bearer"})
    return visitor


def check_csrf(expected: str | None, given: str | None) -> None:
    """A form without the token its page was given is refused before anything changes."""
    if not expected or not given or not tokens.same(expected, given):
        raise HTTPException(403, "the form's CSRF token is missing or wrong; reload the page")


def login_redirect(exc: LoginRequired) -> RedirectResponse:
    return RedirectResponse(f"/login?next={quote(exc.next_path, safe='/')}", status_code=303)


def safe_next(next_path: str | None) -> str:
    """Only a path on this site: an open redirect would make the login page a phishing tool."""
    if (not next_path or not next_path.startswith("/") or next_path.startswith("//")
            or "\\" in next_path):
        return "/today"
    return next_path


def _page(request: Request) -> Visitor:
    return page_visitor(request.app.state.rt, request)


def _api(request: Request) -> Visitor:
    return api_visitor(request.app.state.rt, request)


# For route signatures; FastAPI runs these (blocking) dependencies in its thread pool.
PageVisitor = Annotated[Visitor, Depends(_page)]
ApiVisitor = Annotated[Visitor, Depends(_api)]
