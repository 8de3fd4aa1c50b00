"""The HTTP side of the fake Circuit / Spoke Dispatch API (contracts/circuit.md §1-§8): one
Starlette route under `/public/v1` that records the request, checks the key, the content type,
the JSON, the §5 rate limit and any injected fault, then dispatches to `CircuitTeam`."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from doorstep.sim.fakes.circuit_records import (
    BASE_PATH,
    DOCS_URL,
    CircuitError,
    RateClass,
    authorization_key,
    bad,
    filters,
    page,
)

if TYPE_CHECKING:
    from doorstep.sim.fakes.circuit_server import CircuitServer

Handler = Callable[["CircuitServer", list[str], dict[str, str], Any], Any]


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received, for tests to assert on what a connector sent."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def _drivers(f: CircuitServer, q: dict[str, str]) -> Any:
    active = filters(q).get("active")
    if active not in (None, "true", "false"):
        raise bad("filter.active must be true or false", "filter.active")
    with f.team.lock:
        items = [dict(d) for d in f.team.drivers.values()
                 if active is None or str(d["active"]).lower() == active]
    return page(items, "drivers", q, f.team.page_secret)


def _depots(f: CircuitServer, q: dict[str, str]) -> Any:
    with f.team.lock:
        items = [dict(d) for d in f.team.depots.values()]
    return page(items, "depots", q, f.team.page_secret)


# (method, path pattern after the base, handler(fake, path params, query, body), §5 class,
# success status). `[^/:]+` takes any segment so that a malformed id reaches check_id (→ 400).
_SEG = r"([^/:]+)"
_TABLE: list[tuple[str, str, Handler, RateClass, int]] = [
        ("GET", "/plans", lambda f, a, q, b: f.team.list_plans(q), "read", 200),
        ("POST", "/plans", lambda f, a, q, b: f.team.create_plan(_body(b)), "write", 200),
        ("GET", "/plans/{}", lambda f, a, q, b: f.team.plan(a[0]), "read", 200),
        ("PATCH", "/plans/{}", lambda f, a, q, b: f.team.update_plan(a[0], _body(b)), "write",
         200),
        ("DELETE", "/plans/{}", lambda f, a, q, b: f.team.delete_plan(a[0]), "write", 204),
        ("POST", "/plans/{}:optimize", lambda f, a, q, b: f.team.optimize(a[0]), "optimize",
         200),
        ("POST", "/plans/{}:distribute", lambda f, a, q, b: f.team.distribute(a[0]), "write",
         200),
        ("GET", "/plans/{}/stops", lambda f, a, q, b: f.team.list_stops(a[0], q), "read", 200),
        ("POST", "/plans/{}/stops", lambda f, a, q, b: f.team.create_stop(a[0], b), "write",
         200),
        ("POST", "/plans/{}/stops:import", lambda f, a, q, b: f.team.import_stops(a[0], b),
         "import_stops", 200),
        ("GET", "/plans/{}/stops/{}", lambda f, a, q, b: f.team.stop(a[0], a[1]), "read", 200),
        ("PATCH", "/plans/{}/stops/{}", lambda f, a, q, b: f.team.update_stop(a[0], a[1], b),
         "write", 200),
        ("DELETE", "/plans/{}/stops/{}", lambda f, a, q, b: f.team.delete_stop(a[0], a[1]),
         "write", 204),
        ("POST", "/plans/{}/stops/{}:liveUpdate",
         lambda f, a, q, b: f.team.live_update(a[0], a[1], b), "write", 200),
        ("GET", "/drivers", lambda f, a, q, b: _drivers(f, q), "read", 200),
        ("POST", "/drivers", lambda f, a, q, b: f.team.add_driver(_body(b)), "create_driver",
         200),
        ("GET", "/drivers/{}", lambda f, a, q, b: f.team.driver(a[0]), "read", 200),
        ("GET", "/depots", lambda f, a, q, b: _depots(f, q), "read", 200),
        ("GET", "/depots/{}", lambda f, a, q, b: f.team.depot(a[0]), "read", 200),
        ("GET", "/routes", lambda f, a, q, b: f.team.list_routes(q), "read", 200),
        ("GET", "/routes/{}", lambda f, a, q, b: f.team.route(a[0]), "read", 200),
        ("GET", "/routes/{}/stops", lambda f, a, q, b: f.team.route_stops(a[0], q), "read",
         200),
        ("GET", "/operations", lambda f, a, q, b: f.team.list_operations(q), "read", 200),
        ("GET", "/operations/{}", lambda f, a, q, b: f.team.operation(a[0]), "read", 200),
        ("POST", "/operations/{}:cancel", lambda f, a, q, b: f.team.cancel(a[0]), "write", 200),
        ("GET", "/unassignedStops", lambda f, a, q, b: f.team.list_unassigned(q), "read", 200),
        ("POST", "/unassignedStops", lambda f, a, q, b: f.team.create_unassigned(b), "write",
         200),
        ("POST", "/unassignedStops:import", lambda f, a, q, b: f.team.import_unassigned(b),
         "import_stops", 200),
        ("GET", "/unassignedStops/{}", lambda f, a, q, b: f.team.unassigned_stop(a[0]), "read",
         200),
        ("PATCH", "/unassignedStops/{}",
         lambda f, a, q, b: f.team.update_unassigned(a[0], b), "write", 200),
        ("GET", "/team/customStopProperties",
         lambda f, a, q, b: f.team.list_custom_properties(), "read", 200),
]
ROUTES = [(m, re.compile(f"^{p.replace('{}', _SEG)}$"), h, c, s) for m, p, h, c, s in _TABLE]


def _body(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise bad("Body must be a JSON object")
    return body


def _error(e: CircuitError, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(e.body(), status_code=e.status, headers=headers)


def build_app(fake: CircuitServer) -> Starlette:
    async def handle(request: Request) -> Response:
        raw = await request.body()
        path = request.url.path
        fake.record(RecordedRequest(request.method, path, dict(request.query_params),
                                    dict(request.headers.items()), raw))
        key = authorization_key(request.headers.get("authorization", ""))
        if key is None or not fake.key_ok(key):  # §2
            return _error(CircuitError(401, "Invalid or missing API key",
                                       url=f"{DOCS_URL}/api/using-the-api/authentication"))
        if not path.startswith(BASE_PATH + "/"):
            return _error(CircuitError(404, "Not found"))
        sub = path[len(BASE_PATH):]
        match = [(r, m) for r in ROUTES if (m := r[1].match(sub))]
        if not match:
            return _error(CircuitError(404, "Not found"))
        allowed = [r for r, _ in match if r[0] == request.method]
        if not allowed:
            return _error(CircuitError(405, "Method not allowed"))
        _, _, handler, rate_class, status = allowed[0]
        args = list(next(m for r, m in match if r is allowed[0]).groups())
        body: Any = None
        if raw:
            ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if ctype != "application/json":  # §1: a body without the JSON type is rejected
                return _error(bad("Content-Type must be application/json"))
            try:
                body = json.loads(raw)
            except (ValueError, UnicodeDecodeError):
                return _error(bad("Malformed JSON body"))
        wait = fake.take_rate(rate_class)
        if wait is not None:  # §5; no 429 body or headers are documented ❓
            headers = {"Retry-After": str(math.ceil(wait))} if fake.retry_after else None
            return _error(CircuitError(429, "Too many requests"), headers)
        fault = fake.take_fault(request.method, sub)
        if fault is not None and not fault.applied:
            return _error(CircuitError(fault.status, fault.message, fault.code))
        try:
            result = handler(fake, args, dict(request.query_params), body)
        except CircuitError as e:
            return _error(e)
        finally:
            fake.collect_events()
        if fault is not None:
            return _error(CircuitError(fault.status, fault.message, fault.code))
        if status == 204:
            return Response(status_code=204)
        return JSONResponse(result, status_code=status)

    return Starlette(routes=[Route("/{path:path}", handle,
                                   methods=["GET", "POST", "PATCH", "DELETE", "PUT"])])
