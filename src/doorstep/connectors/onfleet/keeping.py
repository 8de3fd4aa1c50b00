"""Keeping what the connector read: the links from doorstep's deliveries, drivers and routes to
Onfleet's tasks, workers and days (made before the events are stored, so that a write-back
finds its task), the events themselves, and the recipients whose Onfleet SMS doorstep turns
off."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from doorstep.connectors.base import SyncReport
from doorstep.connectors.onfleet import tasks as t
from doorstep.connectors.onfleet.directory import Obj
from doorstep.connectors.received import Translated, store, store_or_flag
from doorstep.domain import EventType
from doorstep.events.parse import InvalidEvent
from doorstep.store import platform_links, platform_writes
from doorstep.store.platform_writes import WriteKind

if TYPE_CHECKING:
    from doorstep.connectors.onfleet.connector import OnfleetConnector

SOURCE = "onfleet"


def link(c: OnfleetConnector, deliveries: Mapping[str, Obj], drivers: Iterable[tuple[str, str]] = (),
         routes: Iterable[str] = ()) -> set[str]:
    """Link each delivery to its task, each driver to its worker, each route to its day.
    A delivery stays linked to its newest task: a finished task does not take the link from
    another (the redelivery doorstep asked for). Returns the deliveries whose task here is such
    an older one, whose details are no longer the delivery's."""
    now = c.rt.clock.now()
    superseded: set[str] = set()
    with c.rt.db.transaction() as s:
        for did, task in deliveries.items():
            current = platform_links.platform_id(s, SOURCE, "delivery", did)
            if current not in (None, task["id"]) and t.is_done(task):
                superseded.add(did)
            elif current != task["id"]:
                platform_links.put(s, SOURCE, "delivery", did, task["id"], now)
        for driver_id, worker_id in drivers:
            if platform_links.platform_id(s, SOURCE, "driver", driver_id) != worker_id:
                platform_links.put(s, SOURCE, "driver", driver_id, worker_id, now)
        for route in routes:
            if platform_links.platform_id(s, SOURCE, "route", route) is None:
                platform_links.put(s, SOURCE, "route", route, route, now)
    return superseded


def without_details(items: Sequence[Translated], superseded: set[str]) -> list[Translated]:
    """The translations, less the details of deliveries that have a newer task."""
    if not superseded:
        return list(items)
    out = []
    for tr in items:
        kept = [(k, data) for k, data in tr.items if not (
            k is EventType.DELIVERY_CREATED and data["delivery_id"] in superseded)]
        if kept:
            out.append(Translated(tr.key, tr.occurred_at, kept))
    return out


def silence(c: OnfleetConnector, deliveries: Mapping[str, Obj]) -> int:
    """Where doorstep messages recipients (`silence_platform_messages`), a recipient Onfleet
    still texts gets its SMS turned off, once per delivery and recipient."""
    if not c.mapping.silence_platform_messages:
        return 0
    queued = 0
    now = c.rt.clock.now()
    with c.rt.db.transaction() as s:
        for did, task in deliveries.items():
            people = [r for r in task.get("recipients") or [] if isinstance(r, dict)]
            if t.is_done(task) or not people or not isinstance(people[0].get("id"), str):
                continue
            overrides = task.get("overrides") or {}
            if people[0].get("skipSMSNotifications") is True or \
                    overrides.get("recipientSkipSMSNotifications") is True:
                continue
            queued += platform_writes.queue(s, WriteKind.SILENCE_RECIPIENT, did,
                                            {"delivery_id": did}, f"onfleet:{people[0]['id']}",
                                            now)
    return queued


def keep(c: OnfleetConnector, name: str, items: Sequence[Translated],
         report: SyncReport | None = None, payload: Obj | None = None,
         body: bytes = b"") -> str:
    """Store the translations in order (one intake call when they all hold up, else one by
    one, a bad one flagged with the payload it came from); the outcome of the whole:
    stored, duplicate or flagged."""
    report = report or SyncReport(SOURCE)
    if not items:
        return "duplicate"
    try:
        result = store(c.rt, SOURCE, list(items))
    except InvalidEvent:
        outcomes = [store_or_flag(c.rt, SOURCE, name, payload or {"events": tr.events()},
                                  body, tr, None) for tr in items]
        for outcome in outcomes:
            report.stored += outcome == "stored"
            report.duplicates += outcome == "duplicate"
            report.flagged += outcome == "flagged"
        return ("flagged" if "flagged" in outcomes
                else "stored" if "stored" in outcomes else "duplicate")
    report.stored += len(result.stored)
    report.duplicates += result.duplicates
    return "stored" if result.stored else "duplicate"
