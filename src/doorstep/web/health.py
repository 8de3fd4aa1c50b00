"""GET /healthz (the process is up) and GET /readyz (database reachable with its schema current,
job queue reachable; route platforms that did not answer lately are named as warnings)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from doorstep.connectors import health, registry
from doorstep.jobs.queue import ping
from doorstep.runtime import Runtime
from doorstep.store.migrate import is_current

NOT_MIGRATED = "not migrated (run doorstep migrate)"


def router(rt: Runtime) -> APIRouter:
    api = APIRouter()

    @api.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @api.get("/readyz")
    async def readyz() -> JSONResponse:
        checks: dict[str, str] = {}
        try:
            await run_in_threadpool(rt.db.ping)
            checks["database"] = "ok"
        except Exception as err:  # any failure means not ready; say which part
            checks["database"] = f"unreachable: {type(err).__name__}"
            checks["schema"] = "unknown (the database is unreachable)"
        else:
            try:
                current = await run_in_threadpool(is_current, rt.db)
                checks["schema"] = "ok" if current else NOT_MIGRATED
            except Exception as err:
                checks["schema"] = f"unknown: {type(err).__name__}"
        try:
            pending = await run_in_threadpool(ping, rt.huey)
            checks["queue"] = f"ok ({pending} waiting)"
        except Exception as err:
            checks["queue"] = f"unreachable: {type(err).__name__}"
        ready = all(v.startswith("ok") for v in checks.values())
        body: dict[str, object] = {"ready": ready, "checks": checks}
        if ready:
            # A route platform that is away does not stop doorstep taking work (events wait,
            # writes are retried, the next sync catches up); it is said, not failed on.
            platforms = registry.keyed(rt.settings)
            if platforms:
                warnings = await run_in_threadpool(health.warnings, rt, platforms)
                if warnings:
                    body["warnings"] = warnings
        return JSONResponse(body, status_code=200 if ready else 503)

    return api
