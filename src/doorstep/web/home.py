"""GET /: what is running, today's figures, and where the dashboard and API will be."""

from __future__ import annotations

import html

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from doorstep.runtime import Runtime
from doorstep.store import event_log
from doorstep.store.sql import count_by
from doorstep.store.tables import deliveries, exceptions, messages, routes


def figures(rt: Runtime) -> dict[str, dict[str, int]]:
    tables = {"deliveries": deliveries, "routes": routes, "exceptions": exceptions,
              "messages": messages}
    with rt.db.reading() as s:
        counts = {name: count_by(s, table.c.status) for name, table in tables.items()}
        return {**counts, "events": event_log.count_by_status(s)}


def router(rt: Runtime) -> APIRouter:
    api = APIRouter()

    @api.get("/status.json")
    async def status_json() -> dict[str, dict[str, int]]:
        return await run_in_threadpool(figures, rt)

    @api.get("/", response_class=HTMLResponse)
    async def home() -> str:
        data = await run_in_threadpool(figures, rt)
        sections = []
        for name, counts in data.items():
            rows = "".join(f"<tr><td>{html.escape(k)}</td><td data-count='{name}.{html.escape(k)}'>"
                           f"{v}</td></tr>" for k, v in sorted(counts.items()))
            sections.append(f"<section><h2>{name}</h2><table>{rows or '<tr><td>none yet</td></tr>'}"
                            f"</table></section>")
        return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="5"><title>doorstep — {html.escape(rt.operator.operator.name)}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}}
section{{display:inline-block;vertical-align:top;margin:0 2rem 1rem 0}}
td{{padding:.1rem .8rem .1rem 0}}</style></head><body>
<h1>doorstep is running for {html.escape(rt.operator.operator.name)}</h1>
<p>Figures from the database, refreshed every 5 seconds. The dispatcher dashboard will be at
<code>/dashboard</code> and the JSON API at <code>/api/v1/</code>.</p>
{''.join(sections)}</body></html>"""

    return api
