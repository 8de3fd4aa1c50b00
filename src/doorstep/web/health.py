"""GET /healthz (the process is up) and GET /readyz (database reachable with its schema current,
job queue reachable)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

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
        return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)

    return api
