"""The fake Onfleet's HTTP side: a Starlette app serving the §4-§7 endpoints under /api/v2 with
the §1 Basic auth and rate limit, the §2 error envelope, and the injected faults. Every request
is recorded as it arrived, refused ones included."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from doorstep.sim.fakes.onfleet_records import (
    API_PREFIX,
    OnfleetError,
    RecordedRequest,
    failure,
    request_id,
)

if TYPE_CHECKING:
    from doorstep.sim.fakes.onfleet import FakeOnfleet

Answer = Any  # a JSON value, or None for the documented "200 with no body" (§3)
Handler = Callable[[re.Match[str], dict[str, str], Any], Answer]
EMPTY = object()


def api_key_of(header: str) -> str | None:
    """§1: Basic with the key as username and an empty password; node-onfleet leaves out the
    colon, so the key is whatever comes before the first one, if any."""
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    return decoded.partition(":")[0]


def routes(fake: FakeOnfleet) -> list[tuple[str, re.Pattern[str], Handler]]:
    org = fake.org
    ID = r"([^/]+)"

    def obj(body: Any) -> dict[str, Any]:
        if body is EMPTY:
            return {}
        if not isinstance(body, dict):
            raise OnfleetError(1000, "the body must be a JSON object")
        return body

    def nothing(action: Callable[[], object]) -> None:
        action()

    table: list[tuple[str, str, Handler]] = [
        ("GET", "/auth/test", lambda m, q, b: {
            "message": f"Hello organization '{org.org['id']}' hitting Onfleet from 127.0.0.1",
            "status": 200}),
        ("GET", "/organization", lambda m, q, b: org.organization()),
        ("GET", "/organizations/" + ID, lambda m, q, b: org.connected(m[1])),
        # tasks (§5)
        ("POST", "/tasks", lambda m, q, b: org.create_task(obj(b))),
        ("POST", "/tasks/metadata", lambda m, q, b: org.tasks_by_metadata(b)),
        ("GET", "/tasks/all", lambda m, q, b: org.list_tasks(q)),
        ("GET", "/tasks/shortId/" + ID, lambda m, q, b: org.by_short_id(m[1])),
        ("POST", "/tasks/" + ID + "/complete", lambda m, q, b: nothing(
            lambda: org.force_complete(m[1], obj(b)))),
        ("GET", "/tasks/" + ID, lambda m, q, b: org.view_task(m[1])),
        ("PUT", "/tasks/" + ID, lambda m, q, b: org.update_task(m[1], obj(b))),
        ("DELETE", "/tasks/" + ID, lambda m, q, b: nothing(lambda: org.delete_task(m[1]))),
        # containers (§5.5)
        ("GET", "/containers/" + ID + "/" + ID, lambda m, q, b: org.view_container(m[1], m[2])),
        ("PUT", "/containers/" + ID + "/" + ID, lambda m, q, b: org.set_container(
            m[1], m[2], obj(b))),
        # workers (§6)
        ("GET", "/workers", lambda m, q, b: org.list_workers(q)),
        ("POST", "/workers", lambda m, q, b: org.create_worker(obj(b))),
        ("GET", "/workers/" + ID + "/tasks", lambda m, q, b: org.worker_tasks(m[1])),
        ("GET", "/workers/" + ID, lambda m, q, b: org.view_worker(m[1], q.get("filter"))),
        ("PUT", "/workers/" + ID, lambda m, q, b: org.update_worker(m[1], obj(b))),
        ("DELETE", "/workers/" + ID, lambda m, q, b: nothing(lambda: org.delete_worker(m[1]))),
        # teams, hubs (§7.1, §7.2)
        ("GET", "/teams", lambda m, q, b: org.list_of(org.teams)),
        ("POST", "/teams", lambda m, q, b: org.create_team(obj(b))),
        ("GET", "/teams/" + ID, lambda m, q, b: org.view_team(m[1])),
        ("PUT", "/teams/" + ID, lambda m, q, b: org.update_team(m[1], obj(b))),
        ("DELETE", "/teams/" + ID, lambda m, q, b: nothing(lambda: org.delete_team(m[1]))),
        ("GET", "/hubs", lambda m, q, b: org.list_of(org.hubs)),
        ("POST", "/hubs", lambda m, q, b: org.create_hub(obj(b))),
        ("PUT", "/hubs/" + ID, lambda m, q, b: org.update_hub(m[1], obj(b))),
        # recipients, destinations (§7.3, §7.4)
        ("POST", "/recipients", lambda m, q, b: org.upsert_recipient(obj(b))),
        ("GET", "/recipients/name/" + ID, lambda m, q, b: org.find_recipient(name=m[1])),
        ("GET", "/recipients/phone/" + ID, lambda m, q, b: org.find_recipient(
            phone=m[1], validate=q.get("skipPhoneNumberValidation") != "true")),
        ("GET", "/recipients/" + ID, lambda m, q, b: org.view(org.recipients, m[1])),
        ("PUT", "/recipients/" + ID, lambda m, q, b: org.update_recipient(m[1], obj(b))),
        ("POST", "/destinations", lambda m, q, b: org.create_destination(obj(b))),
        ("GET", "/destinations/" + ID, lambda m, q, b: org.view(org.destinations, m[1])),
        # webhooks (§4.1)
        ("GET", "/webhooks", lambda m, q, b: [org.view_webhook(k) for k in list(org.webhooks)]),
        ("POST", "/webhooks", lambda m, q, b: fake.register_webhook(obj(b))),
        ("DELETE", "/webhooks/" + ID, lambda m, q, b: nothing(
            lambda: org.delete_webhook(m[1]))),
    ]
    return [(method, re.compile(pattern + "$"), handler) for method, pattern, handler in table]


def build_app(fake: FakeOnfleet) -> Starlette:
    org = fake.org
    table = routes(fake)

    def envelope(e: OnfleetError, headers: dict[str, str]) -> Response:
        with org.lock:
            rid = request_id(org.rng)
        return JSONResponse(e.body(rid), status_code=e.status, headers=headers)

    def handle(method: str, path: str, query: dict[str, str], raw: bytes,
               auth: str) -> tuple[Response, Any]:
        body: Any = EMPTY
        headers: dict[str, str] = {}
        try:  # parsed first so that refused requests are recorded with their body too
            body = json.loads(raw) if raw.strip() else EMPTY
        except (ValueError, UnicodeDecodeError):
            body = None
        try:
            key = api_key_of(auth)
            if key is None:
                raise OnfleetError(1100, "Authorization: Basic with your API key is required")
            if key not in fake.api_keys:
                raise OnfleetError(1102, "This key does not exist or is no longer active.")
            allowed, remaining = org.take_token()
            if remaining is not None and org.bucket is not None:
                headers = {"X-RateLimit-Limit": str(org.bucket.rate),
                           "X-RateLimit-Remaining": str(remaining)}
            if not allowed:
                raise OnfleetError(2300, "20 requests per second across the organization")
            fault = org.take_fault(method, path)
            if fault is not None and not fault.applied:
                raise failure(fault.status, fault.code, fault.cause)
            if body is None:
                raise OnfleetError(1000, "the body is not valid JSON")
            for verb, pattern, handler in table:
                match = pattern.match(path)
                if match and verb == method:
                    answer = handler(match, query, body)
                    break
            else:
                raise OnfleetError(1003, f"{method} {API_PREFIX}{path} does not exist")
            if fault is not None:
                raise failure(fault.status, fault.code, fault.cause)
        except OnfleetError as e:
            return envelope(e, headers), body
        except (TypeError, ValueError, KeyError, AttributeError) as e:
            # input of a shape no rule foresaw: a 4xx in the envelope, never a bare 500
            return envelope(OnfleetError(1005, f"{type(e).__name__}: {e}"), headers), body
        if answer is None:  # §3: delete (and force-complete) answer 200 with no body
            return Response(status_code=200, headers=headers), body
        return JSONResponse(answer, headers=headers), body

    async def endpoint(request: Request) -> Response:
        raw = await request.body()
        path = request.url.path[len(API_PREFIX):] or "/"
        query = dict(request.query_params)
        response, body = await run_in_threadpool(
            handle, request.method, path, query, raw, request.headers.get("authorization", ""))
        fake.record(RecordedRequest(request.method, path, query,
                                    None if body is EMPTY else body, raw,
                                    dict(request.headers), response.status_code))
        return response

    methods = ["GET", "POST", "PUT", "DELETE"]
    return Starlette(routes=[Route(API_PREFIX + "/{path:path}", endpoint, methods=methods)])
