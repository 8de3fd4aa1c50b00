"""Filling the connector's directory from the API: the organization, teams and hubs once (and
again when a task names a team not seen yet, or on every sync), workers as they are met."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from doorstep.connectors.http import PlatformError
from doorstep.connectors.onfleet.directory import Obj

if TYPE_CHECKING:
    from doorstep.connectors.onfleet.connector import OnfleetConnector


def path_id(value: str) -> str:
    """§3: ids may hold `*` and `~`; anything else unusual is escaped."""
    return quote(value, safe="*~")


def places(c: OnfleetConnector, *, fresh: bool = False) -> None:
    d = c.directory
    if d.loaded and not fresh:
        return
    org = c.client.json("GET", "/organization")
    teams = c.client.json("GET", "/teams")
    hubs = c.client.json("GET", "/hubs")
    if not isinstance(teams, list) or not isinstance(hubs, list):
        raise PlatformError("onfleet", 200, "GET /teams or /hubs did not answer a list")
    with c.lock:
        if isinstance(org, dict) and isinstance(org.get("country"), str):
            d.country = d.country_code(org["country"])
        d.teams = {t["id"]: t for t in teams if isinstance(t, dict) and "id" in t}
        d.hubs = {h["id"]: h for h in hubs if isinstance(h, dict) and "id" in h}
        d.loaded = True


def remember(c: OnfleetConnector, workers: Iterable[Any]) -> None:
    with c.lock:
        for worker in workers:
            if isinstance(worker, dict) and isinstance(worker.get("id"), str) \
                    and isinstance(worker.get("teams"), list):
                c.directory.workers[worker["id"]] = worker


def worker(c: OnfleetConnector, worker_id: str, *, fresh: bool = False) -> Obj:
    if not fresh:
        with c.lock:
            known = c.directory.workers.get(worker_id)
        if known is not None:
            return known
    found = c.client.json("GET", f"/workers/{path_id(worker_id)}")
    if not isinstance(found, dict) or found.get("id") != worker_id:
        raise PlatformError("onfleet", 200, f"GET /workers/{worker_id}: not that worker")
    remember(c, [found])
    return found


def for_tasks(c: OnfleetConnector, tasks: Iterable[Obj]) -> None:
    """Make sure the directory can place these tasks: their teams and their workers."""
    places(c)
    tasks = list(tasks)
    with c.lock:
        teams = set(c.directory.teams)
        workers = set(c.directory.workers)
    wanted_teams = {(t.get("container") or {}).get("team") for t in tasks} - {None}
    if wanted_teams - teams:
        places(c, fresh=True)
    for task in tasks:
        worker_id = c.directory.task_worker(task)
        if worker_id and worker_id not in workers:
            with suppress(PlatformError):  # gone (deleted): its team's depot, else the default
                worker(c, worker_id)
            workers.add(worker_id)
