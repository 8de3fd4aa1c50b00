"""doorstep's side of the OptimoRoute connector: which of our deliveries, drivers and routes
each order, serial and driver-day stands for (platform_links), what doorstep already knows,
the event cursor, and storing translated facts (or flagging the ones that do not hold up)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from doorstep.connectors.base import SyncReport
from doorstep.connectors.received import Translated, flag, known, store
from doorstep.events.parse import InvalidEvent, parse_event
from doorstep.store import cursors, platform_links, platform_writes
from doorstep.store.platform_writes import WriteKind
from doorstep.store.tables import deliveries, events, vehicles

if TYPE_CHECKING:
    from doorstep.runtime import Runtime

SOURCE = "optimoroute"
CURSOR = "optimoroute:events:after_tag"
SINCE = "optimoroute:events:since"  # events before it are history from before doorstep read
READ_AT = "optimoroute:events:read_at"  # when the feed was last read to its end


@dataclass
class Fact:
    """A translated payload with what was received, kept as it came if it does not hold up."""

    name: str  # the payload's kind: event, order, route, driver
    translated: Translated
    raw: dict[str, Any]


@dataclass
class Flag:
    """A payload kept for a person: `name` is its kind (`event`, `order`, `route`)."""

    name: str
    key: str
    payload: dict[str, Any]
    reason: str
    at: datetime | None = None


class Book:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    # ---- links ------------------------------------------------------------------------------

    def platform_ids(self, kind: str, doorstep_ids: Iterable[str]) -> dict[str, str]:
        """doorstep id -> the platform object linked to it now."""
        with self.rt.db.reading() as s:
            return platform_links.platform_ids(s, SOURCE, kind, doorstep_ids)

    def doorstep_ids(self, kind: str, platform_ids: Iterable[str]) -> dict[str, str]:
        """platform id -> ours, for those linked."""
        with self.rt.db.reading() as s:
            return platform_links.doorstep_ids(s, SOURCE, kind, platform_ids)

    def link(self, kind: str, pairs: Sequence[tuple[str, str]]) -> None:
        """(doorstep id, platform id) pairs, re-linked where they changed."""
        if not pairs:
            return
        now = self.rt.clock.now()
        for attempt in (1, 2):
            current = self.platform_ids(kind, [d for d, _ in pairs])
            changed = [(d, p) for d, p in dict(pairs).items() if current.get(d) != p]
            if not changed:
                return
            try:
                with self.rt.db.transaction() as s:
                    for doorstep_id, platform_id in changed:
                        platform_links.put(s, SOURCE, kind, doorstep_id, platform_id, now)
                return
            except sa.exc.IntegrityError:
                # A sync and a poll linked the same new object at once: the second try finds
                # the other's row and updates it.
                if attempt == 2:
                    raise

    def known(self, kind: str, ids: Iterable[str]) -> set[str]:
        return known(self.rt, kind, list(set(ids)))

    def depots_of(self, delivery_ids: Iterable[str]) -> dict[str, str]:
        wanted = list(set(delivery_ids))
        if not wanted:
            return {}
        with self.rt.db.reading() as s:
            rows = s.execute(sa.select(deliveries.c.id, deliveries.c.depot_id).where(
                deliveries.c.id.in_(wanted)))
            return {i: d for i, d in rows}

    def status_times(self, delivery_ids: Iterable[str]) -> dict[str, datetime]:
        """When doorstep last recorded each delivery's status (the ones it knows)."""
        wanted = sorted(set(delivery_ids))
        found: dict[str, datetime] = {}
        with self.rt.db.reading() as s:
            for start in range(0, len(wanted), 500):
                rows = s.execute(sa.select(deliveries.c.id, deliveries.c.status_at).where(
                    deliveries.c.id.in_(wanted[start:start + 500])))
                found.update({i: at for i, at in rows if at is not None})
        return found

    def vehicles_by_plate(self, registrations: Iterable[str]) -> dict[str, str]:
        """A route's `vehicleRegistration` -> doorstep's vehicle with that plate (or id)."""
        wanted = sorted({r for r in registrations if r})
        if not wanted:
            return {}
        with self.rt.db.reading() as s:
            rows = s.execute(sa.select(vehicles.c.id, vehicles.c.plate).where(
                sa.or_(vehicles.c.plate.in_(wanted), vehicles.c.id.in_(wanted))))
            found: dict[str, str] = {}
            for vehicle_id, plate in rows:
                found.setdefault(vehicle_id, vehicle_id)
                if plate:
                    found[plate] = vehicle_id  # a plate wins over an id that looks the same
            return {r: found[r] for r in wanted if r in found}

    def plate_of(self, vehicle_id: str) -> str | None:
        with self.rt.db.reading() as s:
            return s.scalar(sa.select(vehicles.c.plate).where(vehicles.c.id == vehicle_id))

    # ---- the event cursor (§11.2) -------------------------------------------------------------

    def cursor(self) -> str | None:
        with self.rt.db.reading() as s:
            return cursors.get(s, CURSOR)

    def read_at(self) -> datetime | None:
        with self.rt.db.reading() as s:
            value = cursors.get(s, READ_AT)
        return datetime.fromisoformat(value) if value else None

    def mark_read(self) -> None:
        now = self.rt.clock.now()
        with self.rt.db.transaction() as s:
            cursors.put(s, READ_AT, now.isoformat(), now)

    def since(self) -> datetime | None:
        with self.rt.db.reading() as s:
            value = cursors.get(s, SINCE)
        return datetime.fromisoformat(value) if value else None

    def save_since(self, at: datetime) -> None:
        with self.rt.db.transaction() as s:
            cursors.put(s, SINCE, at.isoformat(), self.rt.clock.now())

    def save_cursor(self, tag: str) -> None:
        with self.rt.db.transaction() as s:
            cursors.put(s, CURSOR, tag, self.rt.clock.now())

    # ---- writes owed -------------------------------------------------------------------------

    def queue_silence(self, wanted: dict[str, str]) -> int:
        """delivery id -> version: the platform's own recipient messages to switch off."""
        if not wanted:
            return 0
        now = self.rt.clock.now()
        with self.rt.db.transaction() as s:
            return sum(platform_writes.queue(s, WriteKind.SILENCE_RECIPIENT, delivery_id,
                                             {"delivery_id": delivery_id}, version, now)
                       for delivery_id, version in wanted.items())

    # ---- storing -----------------------------------------------------------------------------

    def _stored_keys(self, keys: list[str]) -> set[str]:
        wanted = sorted(set(keys))
        found: set[str] = set()
        with self.rt.db.reading() as s:
            for start in range(0, len(wanted), 500):
                found.update(s.scalars(sa.select(events.c.external_id).where(
                    events.c.source == SOURCE,
                    events.c.external_id.in_(wanted[start:start + 500]))))
        return found

    def store(self, facts: Sequence[Fact], flags: Sequence[Flag],
              report: SyncReport | None = None) -> SyncReport:
        """Store what holds up as v1 events (once each); keep the rest flagged as received."""
        report = report or SyncReport(SOURCE)
        good: list[Translated] = []
        bad = list(flags)
        # A sync reads every order of the day again: what is stored already is counted here
        # rather than checked event by event by the intake.
        seen = self._stored_keys([f.translated.key for f in facts])
        report.duplicates += sum(len(f.translated.items) for f in facts
                                 if f.translated.key in seen)
        for fact in (f for f in facts if f.translated.key not in seen):
            problems: list[str] = []
            for event in fact.translated.events():
                try:
                    parse_event(event)
                except InvalidEvent as err:
                    problems.extend(err.problems)
            if problems:
                bad.append(Flag(fact.name, fact.translated.key, fact.raw, "; ".join(problems),
                                fact.translated.occurred_at))
            else:
                good.append(fact.translated)
        result = store(self.rt, SOURCE, good)
        report.stored += len(result.stored)
        report.duplicates += result.duplicates
        for f in bad:
            if flag(self.rt, SOURCE, f.name, f.key, f.payload, f.reason, f.at):
                report.flagged += 1
            else:
                report.duplicates += 1
        return report
