"""Reading OptimoRoute's event feed (contracts/optimoroute.md §11.2), the way the contract's
polling algorithm says: from the `after_tag` kept in doorstep's database, a page of at most 500
events at a time, each stored once, and only then the page's tag saved — a crash between the
two reads the page again (its events are repeats) and never skips one. While `remainingEvents`
says there is more, the next page is read at once.

Without a tag (the first poll, or a tag OptimoRoute no longer takes) the days are synced with
their completion details first (§11.2.6) instead of replaying the feed: it is read from its
oldest event to move the tag to its end, but what happened before the days synced (kept as the
feed's `since`) is history doorstep does not take in.
"""

from __future__ import annotations

import logging
from datetime import datetime, time
from typing import Any

from doorstep.connectors import jobs
from doorstep.connectors.base import SyncReport
from doorstep.connectors.http import PlatformError
from doorstep.connectors.optimoroute import events as ev
from doorstep.connectors.optimoroute import routes as r
from doorstep.connectors.optimoroute import times
from doorstep.connectors.optimoroute.account import Account
from doorstep.connectors.optimoroute.book import Fact, Flag
from doorstep.connectors.optimoroute.client import PLATFORM
from doorstep.connectors.optimoroute.sync import sync
from doorstep.connectors.optimoroute.take import fetch_orders
from doorstep.connectors.received import Translated, Unmappable, event_key
from doorstep.domain import EventType

log = logging.getLogger(__name__)

MAX_PAGES = 200  # per poll: a long backlog is read over several polls, not in one call
STALE_TAG = frozenset({"ERR_INVALID_PARAM_FORMAT", "MALFORMED_REQUEST"})


def poll(acct: Account) -> SyncReport:
    report = SyncReport(PLATFORM)
    before = acct.client.requests_made
    tag = acct.book.cursor()
    if tag is None:
        catch_up(acct, report)
    since = acct.book.since()
    for _ in range(MAX_PAGES):
        try:
            page = acct.client.get("get_events", after_tag=tag)
        except PlatformError as err:
            if tag is None or err.code not in STALE_TAG:
                raise
            log.warning("OptimoRoute refused the saved event tag (%s): catching up with the "
                        "days' orders and reading the feed from its oldest event", err.code)
            since = catch_up(acct, report)
            tag = None
            continue
        found = [e for e in page.get("events") or [] if isinstance(e, dict)]
        report.fetched["events"] = report.fetched.get("events", 0) + len(found)
        take_events(acct, [e for e in found if not _before(e, since)], report)
        new = page.get("tag")
        if isinstance(new, str) and new and new != tag:
            acct.book.save_cursor(new)  # only after the page's events are stored
            tag = new
        remaining = page.get("remainingEvents")
        if not found or not (isinstance(remaining, int) and remaining > 0):
            acct.book.mark_read()
            break
    report.requests = acct.client.requests_made - before
    return report


def catch_up(acct: Account, report: SyncReport) -> datetime:
    """The days synced with their outcomes; the feed is taken in from their start on."""
    days = jobs.sync_days(acct.rt)
    report.add(sync(acct, days, catch_up=True))
    tz = acct.ctx.zone(acct.ctx.mapping.default_depot)
    since = datetime.combine(min(days), time(0, 0), tzinfo=tz)
    acct.book.save_since(since)
    return since


def _before(event: dict[str, Any], since: datetime | None) -> bool:
    at = times.instant(event)
    return since is not None and at is not None and at < since


def take_events(acct: Account, found: list[dict[str, Any]], report: SyncReport) -> None:
    """Store one page of events: the orders they name that doorstep does not know are read
    first, the POD of the finished ones with them; an unknown route is fetched after."""
    if not found:
        return
    numbers = sorted({str(e["orderNo"]) for e in found
                      if e.get("event") in ev.ORDER_EVENTS and e.get("orderNo") not in (None, "")})
    linked = acct.book.doorstep_ids("delivery", numbers)
    seen = fetch_orders(acct, [n for n in numbers if n not in linked], flag_missing=False)
    deliveries: dict[str, str | None] = {**linked, **seen.deliveries}
    finished = sorted({str(e["orderNo"]) for e in found if e.get("event") in ev.OUTCOMES
                       and deliveries.get(str(e.get("orderNo")))})
    pod = acct.client.completion(finished) if finished else {}
    drivers = _drivers(acct, found)
    route_days: set[str] = set()

    def delivery(number: str) -> str | None:
        if number not in deliveries:
            raise Unmappable(f"order {number} is not on OptimoRoute (ERR_ORD_NOT_FOUND)")
        return deliveries[number]

    def route(serial: str, day: str) -> str:
        route_days.add(r.platform_route_id(serial, day))
        return r.platform_route_id(serial, day)

    refs = ev.Refs(delivery=delivery, driver=lambda s: drivers.get(s, s), route=route)
    facts, flags = list(seen.facts), list(seen.flags)
    facts += _new_drivers(acct, found, drivers)
    for event in found:
        try:
            translated = ev.translate(event, refs, (pod.get(str(event.get("orderNo"))) or {})
                                      .get("data"))
        except Unmappable as err:
            flags.append(Flag("event", ev.key(event), event, str(err)))
            continue
        if translated is not None:
            facts.append(Fact("event", translated, event))
    facts = _route_ids(acct, facts, route_days)
    acct.book.store(facts, flags, report)
    ours = acct.book.doorstep_ids("route", route_days)
    known = acct.book.known("route", [ours.get(p, p) for p in route_days])
    for platform_id in sorted(p for p in route_days if ours.get(p, p) not in known):
        # route.started before its plan reached doorstep: fetch the plan
        acct.rt.tasks.sync_platform_object(PLATFORM, "route", platform_id)


def _drivers(acct: Account, found: list[dict[str, Any]]) -> dict[str, str]:
    """serial -> doorstep driver id: the external id the event gives, a link, or the serial."""
    serials = {str(e["driverSerial"]) for e in found if e.get("driverSerial") not in (None, "")}
    ids = dict(acct.book.doorstep_ids("driver", serials))
    for e in found:
        if e.get("driverExternalId") not in (None, "") and e.get("driverSerial"):
            ids[str(e["driverSerial"])] = str(e["driverExternalId"])
    return ids


def _new_drivers(acct: Account, found: list[dict[str, Any]],
                 drivers: dict[str, str]) -> list[Fact]:
    """The drivers doorstep has not heard of, from what the events say of them."""
    named = {str(e["driverSerial"]): e for e in found if e.get("driverSerial") not in (None, "")}
    ids = {serial: drivers.get(serial, serial) for serial in named}
    known = acct.book.known("driver", ids.values())
    now = acct.rt.clock.now()
    facts = []
    for serial, event in named.items():
        if ids[serial] in known:
            continue
        depot = acct.ctx.depot_of(serial, event.get("driverExternalId"))
        data = r.driver_upserted(event, ids[serial], depot)
        facts.append(Fact("driver", Translated(event_key("driver", ids[serial], data["name"],
                                                         depot), now,
                                               [(EventType.DRIVER_UPSERTED, data)]), event))
    acct.book.link("driver", [(ids[s], s) for s in named])
    return facts


def _route_ids(acct: Account, facts: list[Fact], platform_ids: set[str]) -> list[Fact]:
    """Routes that doorstep knows under another id (a route moved to another driver)."""
    ours = acct.book.doorstep_ids("route", platform_ids)
    if not any(p != d for p, d in ours.items()):
        return facts
    for fact in facts:
        for kind, data in fact.translated.items:
            if kind in (EventType.ROUTE_STARTED, EventType.ROUTE_COMPLETED):
                data["route_id"] = ours.get(data["route_id"], data["route_id"])
    return facts

