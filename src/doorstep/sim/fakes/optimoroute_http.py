"""The HTTP side of the fake OptimoRoute (contracts/optimoroute.md §1, §2, §12): the gate every
request passes (recording, the 5-concurrent limit, auth, an opt-in rate limit, injected faults)
and the Starlette app that routes `/v1/{method}` to the account's methods."""

from __future__ import annotations

import asyncio
import json
import math
import threading
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from doorstep.clock import Clock
from doorstep.sim.fakes.optimoroute_account import OptimoAccount
from doorstep.sim.fakes.optimoroute_records import (
    ERR_RATE_LIMITED,
    MAX_CONCURRENT,
    Fault,
    OptimoError,
    Received,
)

STALL_LIMIT = 30.0  # a stalled request answers after this even if never released

# §1: reads are GET with a query string, the rest POST with a JSON body; the list-taking
# reads are POST (◐).
GET_METHODS = frozenset({"get_routes", "get_scheduling_info", "get_planning_status",
                         "get_events"})
POST_METHODS = frozenset({
    "create_order", "create_or_update_orders", "get_orders", "search_orders", "delete_order",
    "delete_orders", "delete_all_orders", "start_planning", "stop_planning",
    "update_driver_parameters", "update_drivers_parameters", "get_completion_details",
    "update_completion_details"})


class Served(Protocol):
    """The fake as the app sees it: the account and gate of the moment (a reset swaps them)."""

    state: OptimoAccount
    gate: Gate


class Gate:
    """What stands between a request and the account, behind one condition."""

    def __init__(self, clock: Clock, api_key: str, error_status: int,
                 rate_limit: tuple[int, timedelta] | None) -> None:
        self.clock, self.api_key = clock, api_key
        self.error_status, self.rate_limit = error_status, rate_limit
        self.lock = threading.Condition()
        self._in_flight: Counter[str] = Counter()
        self._window: tuple[datetime, int] | None = None
        self.blocked_until: datetime | None = None
        self.faults: list[Fault] = []
        self.stalls: list[Fault] = []  # every stall until released, taken or not
        self.stalled = 0
        self.received: list[Received] = []

    def enter(self, key: str | None, ip: str) -> bool:
        """§1 ✅: at most 5 requests in flight per account and per IP address."""
        slots = [f"ip:{ip}"] + ([f"key:{key}"] if key else [])
        with self.lock:
            if any(self._in_flight[s] >= MAX_CONCURRENT for s in slots):
                return False
            self._in_flight.update(slots)
            return True

    def leave(self, key: str | None, ip: str) -> None:
        with self.lock:
            self._in_flight.subtract([f"ip:{ip}"] + ([f"key:{key}"] if key else []))

    def rate_limited(self) -> int | None:
        """Seconds to wait when over the (opt-in) rate limit, else None."""
        now = self.clock.now()
        with self.lock:
            if self.blocked_until is not None and now < self.blocked_until:
                return math.ceil((self.blocked_until - now).total_seconds())
            if self.rate_limit is None:
                return None
            limit, window = self.rate_limit
            if self._window is None or now >= self._window[0] + window:
                self._window = (now, 0)
            self._window = (self._window[0], self._window[1] + 1)
            if self._window[1] > limit:
                return max(1, math.ceil((self._window[0] + window - now).total_seconds()))
            return None

    def take_fault(self, method: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.method in (None, method):
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    return fault
            return None

    async def stall(self, fault: Fault) -> None:
        with self.lock:
            self.stalled += 1
            self.lock.notify_all()
        try:
            await asyncio.get_running_loop().run_in_executor(None, fault.released.wait,
                                                             STALL_LIMIT)
        finally:
            with self.lock:
                self.stalled -= 1
                self.lock.notify_all()

    def record(self, received: Received) -> None:
        with self.lock:
            self.received.append(received)


def _envelope(error: OptimoError, status: int, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(error.body(), status_code=status, headers=headers)


def build_app(served: Served) -> Starlette:
    """One route, `/v1/{method}`; every method answers the §2 envelope."""

    async def endpoint(request: Request) -> Response:
        gate, state = served.gate, served.state
        method = request.path_params["method"]
        query = dict(request.query_params)
        key = query.pop("key", None)
        raw = await request.body()
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except (ValueError, UnicodeDecodeError):
                body = raw.decode(errors="replace")
        gate.record(Received(request.method, method, query, body, gate.clock.now()))
        ip = request.client.host if request.client else "?"
        if not gate.enter(key, ip):
            return _envelope(OptimoError("ERR_TOO_MANY_CONNECTIONS",
                                         "Too many concurrent requests"), gate.error_status)
        try:
            return await answer(gate, state, request.method, method, query, key, body)
        finally:
            gate.leave(key, ip)

    async def answer(gate: Gate, state: OptimoAccount, verb: str, method: str,
                     query: dict[str, str], key: str | None,
                     body: Any) -> Response:
        error = gate.error_status
        if not key:
            return _envelope(OptimoError("AUTH_KEY_MISSING", "API key is missing"), error)
        if key != gate.api_key:
            return _envelope(OptimoError("AUTH_KEY_UNKNOWN", "API key is unknown"), error)
        wait = gate.rate_limited()
        if wait is not None:
            return _envelope(OptimoError(ERR_RATE_LIMITED, "Too many requests"), 429,
                             {"Retry-After": str(wait)})
        if method not in GET_METHODS | POST_METHODS:
            return _envelope(OptimoError("MALFORMED_REQUEST", f"Unknown method {method}"), 404)
        expected = "GET" if method in GET_METHODS else "POST"
        if verb != expected:  # §1 ✅ the wrong verb is an error (its code is not documented)
            return _envelope(OptimoError("MALFORMED_REQUEST",
                                         f"{method} takes {expected}, not {verb}"), error)
        if expected == "POST" and not isinstance(body, dict):
            return _envelope(OptimoError("MALFORMED_REQUEST",
                                         "The body must be a JSON object"), error)
        handler: Callable[[dict[str, Any]], dict[str, Any]] = getattr(state, {
            "get_planning_status": "planning_status"}.get(method, method))
        fault = gate.take_fault(method)
        if fault is not None and fault.stall:
            await gate.stall(fault)
            fault = None
        failure = None if fault is None else _envelope(
            OptimoError(fault.code, "Injected failure"), fault.status or 500)
        if failure is not None and fault is not None and not fault.applied:
            return failure
        try:
            result = handler(query if expected == "GET" else body)
        except OptimoError as e:
            return failure or _envelope(e, error)
        except (TypeError, ValueError, KeyError, AttributeError) as e:
            # input of a shape the checks did not foresee: the §2 code for input that is wrong
            bad = OptimoError("MALFORMED_REQUEST", f"The request is malformed ({e})")
            return failure or _envelope(bad, error)
        return failure or JSONResponse(result)

    return Starlette(routes=[Route("/v1/{method}", endpoint, methods=[
        "GET", "POST", "PUT", "PATCH", "DELETE"])])
