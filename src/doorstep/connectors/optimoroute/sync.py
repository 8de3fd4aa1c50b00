"""Pulling in OptimoRoute's days (contracts/optimoroute.md §5.4, §6.1, §9.1): every order of
the days (search_orders, paged), each day's routes (get_routes), and the orders' completion
status, which is the only way to hear of a cancelled order (no event says it). Also the fetch
of one object an event named, and the catch-up when the event cursor is gone."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from doorstep.connectors.base import SyncReport
from doorstep.connectors.http import PlatformError, PlatformUnavailable
from doorstep.connectors.optimoroute import events as ev
from doorstep.connectors.optimoroute import routes as r
from doorstep.connectors.optimoroute import times
from doorstep.connectors.optimoroute.account import Account
from doorstep.connectors.optimoroute.book import Fact, Flag
from doorstep.connectors.optimoroute.client import PLATFORM
from doorstep.connectors.optimoroute.take import Orders, fetch_orders, take_orders, take_routes
from doorstep.connectors.optimoroute.writes import silence_many
from doorstep.connectors.received import Translated, event_key
from doorstep.domain import EventType

log = logging.getLogger(__name__)

MAX_SEARCH_DAYS = 35  # §5.4 ❓


def sync(acct: Account, days: list[date], *, catch_up: bool = False) -> SyncReport:
    """The days' orders, routes and drivers. `catch_up`: also the outcomes the completion
    details show, for when events may have been missed (§11.2.6)."""
    report = SyncReport(PLATFORM)
    before = acct.client.requests_made
    seen = Orders()
    items: list[dict[str, Any]] = []
    for first, last in _spans(sorted(set(days))):
        items += acct.client.search_orders(first.isoformat(), last.isoformat())
    report.fetched["orders"] = len(items)
    seen.merge(take_orders(acct, items))
    quieten(acct, seen)
    facts: list[Fact] = []
    flags: list[Flag] = []
    drivers: set[str] = set()
    for day in sorted(set(days)):
        routes = [x for x in acct.client.get("get_routes", date=day.isoformat()).get(
            "routes") or [] if isinstance(x, dict)]
        report.fetched["routes"] = report.fetched.get("routes", 0) + len(routes)
        drivers |= {str(x.get("driverSerial")) for x in routes}
        got, bad = take_routes(acct, day, routes, seen)
        facts += got
        flags += bad
    report.fetched["drivers"] = len(drivers)
    facts += completions(acct, seen, catch_up=catch_up)
    acct.book.store(seen.facts + facts, seen.flags + flags, report)
    report.requests = acct.client.requests_made - before
    return report


def quieten(acct: Account, seen: Orders) -> None:
    """OptimoRoute's own messages off for the orders that would send them (§10), in bulk; an
    order the bulk call refuses gets a write of its own in the outbox, tried again there."""
    if not acct.ctx.mapping.silence_platform_messages or not seen.noisy:
        return
    try:
        refused = silence_many(acct, sorted(seen.noisy.values()))
    except (PlatformError, PlatformUnavailable) as err:
        log.warning("OptimoRoute: switching its customer messages off in bulk failed (%s); "
                    "each order gets a write of its own", err)
        refused = set(seen.noisy.values())
    today = acct.rt.clock.now().date()
    acct.book.queue_silence({d: f"{n}:{today}" for d, n in seen.noisy.items() if n in refused})


def completions(acct: Account, seen: Orders, *, catch_up: bool) -> list[Fact]:
    """Cancelled orders (and with `catch_up`, finished ones) as doorstep's events."""
    current = {number: delivery for delivery, number in seen.current.items()
               if number in seen.data}
    if not current:
        return []
    now = acct.rt.clock.now()
    facts = []
    for number, item in acct.client.completion(sorted(current)).items():
        data = item.get("data") or {}
        status, delivery = data.get("status"), current.get(number)
        if delivery is None:
            continue
        if status == "cancelled":
            facts.append(Fact("completion", Translated(
                event_key("cancelled", item.get("id") or number), now,
                [(EventType.DELIVERY_CANCELLED, {"delivery_id": delivery,
                                                 "reason": "cancelled in OptimoRoute"})]), item))
        elif catch_up and status in ev.OUTCOMES:
            at = times.instant(data.get("endTime"))
            if at is None:
                continue
            # Keyed as the event itself would be, so the event read later is a repeat.
            as_event = {"event": status, "orderId": item.get("id"), "orderNo": number,
                        "driverSerial": (seen.schedule.get(number) or {}).get("driverSerial"),
                        "unixTimestamp": int(at.timestamp())}
            facts.append(Fact("completion", Translated(
                ev.key(as_event), at, [ev.outcome(status, delivery, data)]), item))
    return facts


def sync_one(acct: Account, kind: str, platform_id: str, days: list[date]) -> SyncReport:
    """One object an event named: an order (orderNo), a route (`<serial>:<date>`) or a driver
    (serial, read from its routes of `days`: OptimoRoute has no driver list)."""
    report = SyncReport(PLATFORM)
    before = acct.client.requests_made
    if kind in ("order", "delivery"):
        seen = fetch_orders(acct, [platform_id])
        quieten(acct, seen)
        report.fetched["orders"] = len(seen.data)
        acct.book.store(seen.facts, seen.flags, report)
    elif kind in ("route", "driver"):
        wanted = ([r.split_route_id(platform_id)] if kind == "route"
                  else [(platform_id, day) for day in days])
        seen, facts, flags = Orders(), [], []
        for serial, day in wanted:
            routes = [x for x in acct.client.get("get_routes", date=day.isoformat(),
                                                  driverSerial=serial).get("routes") or []
                      if isinstance(x, dict)]
            report.fetched["routes"] = report.fetched.get("routes", 0) + len(routes)
            got, bad = take_routes(acct, day, routes, seen)
            facts += got
            flags += bad
        acct.book.store(seen.facts + facts, seen.flags + flags, report)
    else:
        raise ValueError(f"OptimoRoute has no {kind!r} objects: order, route or driver")
    report.requests = acct.client.requests_made - before
    return report


def _spans(days: list[date]) -> list[tuple[date, date]]:
    """Consecutive runs of days, each at most MAX_SEARCH_DAYS long."""
    spans: list[tuple[date, date]] = []
    for day in days:
        if spans and day - spans[-1][1] == timedelta(days=1) and (
                day - spans[-1][0]).days < MAX_SEARCH_DAYS:
            spans[-1] = (spans[-1][0], day)
        else:
            spans.append((day, day))
    return spans
