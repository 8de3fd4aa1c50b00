"""One verified Onfleet webhook payload, kept: translated (payloads.py), its objects linked, its
events stored once, what it was not enough for fetched by a job, the recipient's Onfleet SMS
turned off where doorstep texts. A payload doorstep cannot read is kept flagged, never refused
(Onfleet retries a refusal for a day, then disables the webhook)."""

from __future__ import annotations

import hashlib
import logging
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from doorstep.connectors.onfleet import keeping, loader, payloads
from doorstep.connectors.onfleet.directory import Obj
from doorstep.connectors.onfleet.keeping import SOURCE
from doorstep.connectors.onfleet.tasks import delivery_id
from doorstep.connectors.received import Unmappable, event_key, flag, known, store_or_flag
from doorstep.store import platform_links
from doorstep.store.tables import deliveries

if TYPE_CHECKING:
    from doorstep.connectors.onfleet.connector import OnfleetConnector

log = logging.getLogger(__name__)


def _tasks_in(payload: Any) -> list[Obj]:
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, dict):
        return []
    found = [data["task"]] if isinstance(data.get("task"), dict) else []
    return found + [t for name in ("newTasks", "newTasksWithWarnings")
                    for t in data.get(name) or [] if isinstance(t, dict)]


def context(c: OnfleetConnector, payload: Any) -> payloads.Context:
    """What doorstep knows of the payload's tasks and workers; fetches what the directory
    lacks to place them (their teams and workers)."""
    tasks = _tasks_in(payload)
    data = payload.get("data") if isinstance(payload, dict) else None
    worker = data.get("worker") if isinstance(data, dict) else None
    if isinstance(worker, dict):
        loader.remember(c, [worker])
    loader.for_tasks(c, tasks)
    task_ids = [t["id"] for t in tasks if isinstance(t.get("id"), str)]
    sources = [t["sourceTaskId"] for t in tasks if isinstance(t.get("sourceTaskId"), str)]
    worker_ids = [w for w in (payload.get("workerId") if isinstance(payload, dict) else None,
                              (worker or {}).get("id")) if isinstance(w, str)]
    with c.rt.db.reading() as s:
        linked = platform_links.doorstep_ids(s, SOURCE, "delivery", task_ids + sources)
        drivers = platform_links.doorstep_ids(s, SOURCE, "driver", worker_ids)
    with c.lock:
        ctx = payloads.Context(c.directory, linked=linked, drivers=drivers)
    ctx.known = known(c.rt, "delivery", [delivery_id(t, linked) for t in tasks
                                         if isinstance(t.get("id"), str)])
    return ctx


def _left_routes(c: OnfleetConnector, reading: payloads.Reading) -> list[str]:
    """The other workers' days these tasks were on in doorstep's view: their plans change too
    (Onfleet says only where a task went, not where it came from)."""
    with c.rt.db.reading() as s:
        were = set(s.scalars(sa.select(deliveries.c.route_id).where(
            deliveries.c.id.in_(list(reading.tasks)), deliveries.c.route_id.is_not(None))))
        ours = platform_links.doorstep_ids(s, SOURCE, "route", were)
    going = {f for kind, f in reading.fetch if kind == "route"}
    return sorted(r for r in ours.values() if r not in going)


def receive(c: OnfleetConnector, payload: Any, body: bytes) -> str:
    name = payload.get("triggerName") if isinstance(payload, dict) else None
    name = name if isinstance(name, str) and name else "payload"
    try:
        reading = payloads.read(payload, context(c, payload))
    except Unmappable as err:
        return store_or_flag(c.rt, SOURCE, name, payload, body, None, str(err))
    except (KeyError, TypeError, AttributeError, ValueError) as err:  # while placing it
        return store_or_flag(c.rt, SOURCE, name, payload, body, None,
                             f"{type(err).__name__}: {err}"[:500])
    if name == "taskAssigned":
        reading.fetch.extend(("route", r) for r in _left_routes(c, reading))
    outcome = "ignored"
    if reading.flag:
        subject = (payload.get("taskId") or payload.get("workerId")
                   or (payload.get("recipient") or {}).get("id") or "")
        key = (event_key("onfleet", name, subject, payload.get("time")) if subject
               else "raw:" + hashlib.sha256(body).hexdigest())
        outcome = "flagged" if flag(c.rt, SOURCE, name, key, payload, reading.flag) \
            else "duplicate"
    elif reading.ignored:
        log.debug("onfleet %s: nothing kept (%s)", name, reading.ignored)
    if reading.items:
        workers = [(c.directory.driver_id(w), w["id"]) for w in reading.workers]
        routes = [data["route_id"] for tr in reading.items for kind, data in tr.items
                  if "route_id" in data]
        superseded = keeping.link(c, reading.tasks, workers, routes)
        outcome = keeping.keep(c, name, keeping.without_details(reading.items, superseded),
                               payload=payload, body=body)
        if name != "taskDeleted":
            keeping.silence(c, {d: t for d, t in reading.tasks.items() if d not in superseded})
    for kind, platform_id in reading.fetch:
        try:
            c.rt.tasks.sync_platform_object(SOURCE, kind, platform_id)
        except Exception:  # the periodic sync fetches it later
            log.exception("onfleet: could not queue the fetch of %s %s", kind, platform_id)
    return outcome
