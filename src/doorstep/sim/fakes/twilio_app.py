"""The HTTP side of the fake Twilio: the Messages API routes of §2.1 under
/2010-04-01/Accounts/{AccountSid}/, each checked (auth, account, faults) before the state
(`twilio_state.py`) acts."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from doorstep.sim.fakes.twilio_records import API_VERSION, Fault, TwilioError
from doorstep.sim.fakes.twilio_records import Route as FaultRoute

if TYPE_CHECKING:
    from doorstep.sim.fakes.twilio import FakeTwilio


def _error(e: TwilioError) -> Response:
    headers = {"WWW-Authenticate": 'Basic realm="Twilio API"'} if e.status == 401 else None
    return JSONResponse(e.body(), status_code=e.status, headers=headers)


def _form(data: Any) -> dict[str, list[str]]:
    return {k: [str(v) for v in data.getlist(k)] for k in data}


def build_app(fake: FakeTwilio) -> Starlette:
    """The Starlette app: §2.1 routes under /2010-04-01/Accounts/{AccountSid}/."""
    state = fake.state

    def guard(request: Request) -> Response | None:
        if not fake.authorized(request.headers.get("authorization", "")):
            return _error(TwilioError(401, 20003))
        if request.path_params["account"] != fake.account_sid:
            return _error(TwilioError(404, 20404, path=request.url.path))
        return None

    async def serve(route: FaultRoute, action: Any) -> Response:
        fault = state.take_fault(route)
        if fault is not None and fault.status is not None and not fault.created:
            await _wait(fault)
            return _error(fault.error())
        try:
            response: Response = action()
        except TwilioError as e:
            response = _error(e)
        if fault is not None:
            await _wait(fault)
            if fault.status is not None:
                return _error(fault.error())
        return response

    async def messages(request: Request) -> Response:
        denied = guard(request)
        if denied is not None:
            return denied
        path = request.url.path
        if request.method == "GET":
            query = dict(request.query_params)
            return await serve("list", lambda: JSONResponse(state.page(query, path)))
        form = _form(await request.form())
        return await serve("create", lambda: JSONResponse(
            state.create(form).resource(fake.account_sid), status_code=201))

    async def message(request: Request) -> Response:
        denied = guard(request)
        if denied is not None:
            return denied
        sid, path = request.path_params["sid"], request.url.path
        if request.method == "GET":
            return await serve("fetch", lambda: JSONResponse(
                state.fetch(sid, path).resource(fake.account_sid)))
        if request.method == "DELETE":
            def delete() -> Response:
                state.delete(sid, path)
                return Response(status_code=204)
            return await serve("delete", delete)
        form = _form(await request.form())
        return await serve("update", lambda: JSONResponse(
            state.update(sid, form, path).resource(fake.account_sid)))

    prefix = f"/{API_VERSION}/Accounts/{{account}}"
    return Starlette(routes=[
        Route(f"{prefix}/Messages.json", messages, methods=["GET", "POST"]),
        Route(f"{prefix}/Messages/{{sid}}.json", message, methods=["GET", "POST", "DELETE"]),
    ])


async def _wait(fault: Fault) -> None:
    if fault.delay > 0:
        await asyncio.get_running_loop().run_in_executor(None, fault.released.wait, fault.delay)
