"""Event builders and state readers shared by the processing and store tests.

Events are built with `doorstep.events.format.make_event`, exactly as a sender would build them;
defaults name things the demo operator (doorstep.toml) configures: depot `nyc-bk` in market
`nyc`, shipper `freshcart`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from doorstep.domain import EventType as T
from doorstep.events.format import make_event, subject_of
from doorstep.events.parse import parse_event
from doorstep.store import event_log
from doorstep.store.db import Database
from doorstep.store.tables import events, messages

DEPOT = "nyc-bk"
MARKET = "nyc"
SHIPPER = "freshcart"
PHONE = "+12125552000"


def delivery_created(eid: str, at: datetime, delivery_id: str = "D1", *,
                     depot: str = DEPOT, shipper: str = SHIPPER, phone: str | None = PHONE,
                     line1: str = "1 Main St", postal_code: str = "11201",
                     name: str = "Robin Recipient", email: str | None = None,
                     language: str | None = None, **extra: Any) -> dict[str, Any]:
    recipient: dict[str, Any] = {"name": name}
    if phone is not None:
        recipient["phone"] = phone
    if email is not None:
        recipient["email"] = email
    if language is not None:
        recipient["language"] = language
    return make_event(eid, T.DELIVERY_CREATED, at, {
        "delivery_id": delivery_id, "shipper": shipper, "depot": depot,
        "service_date": at.date().isoformat(), "recipient": recipient,
        "address": {"line1": line1, "city": "Brooklyn", "postal_code": postal_code},
        **extra})


def route_planned(eid: str, at: datetime, route_id: str = "R1",
                  deliveries: tuple[str, ...] = ("D1",), *, depot: str = DEPOT,
                  **extra: Any) -> dict[str, Any]:
    stops = [{"delivery_id": d, "sequence": i + 1,
              "planned_arrival": (at + timedelta(hours=2, minutes=10 * i)).isoformat()}
             for i, d in enumerate(deliveries)]
    return make_event(eid, T.ROUTE_PLANNED, at, {
        "route_id": route_id, "depot": depot, "service_date": at.date().isoformat(),
        "planned_start": (at + timedelta(hours=1)).isoformat(), "stops": stops, **extra})


def route_started(eid: str, at: datetime, route_id: str = "R1") -> dict[str, Any]:
    return make_event(eid, T.ROUTE_STARTED, at, {"route_id": route_id})


def route_completed(eid: str, at: datetime, route_id: str = "R1") -> dict[str, Any]:
    return make_event(eid, T.ROUTE_COMPLETED, at, {"route_id": route_id})


def eta_updated(eid: str, at: datetime, eta: datetime,
                delivery_id: str = "D1") -> dict[str, Any]:
    return make_event(eid, T.DELIVERY_ETA_UPDATED, at,
                      {"delivery_id": delivery_id, "eta": eta.isoformat()})


def arrived(eid: str, at: datetime, delivery_id: str = "D1") -> dict[str, Any]:
    return make_event(eid, T.DELIVERY_ARRIVED, at, {"delivery_id": delivery_id})


def delivered(eid: str, at: datetime, delivery_id: str = "D1", *,
              photo_url: str = "https://pod.example/p.jpg",
              received_by: str = "front desk") -> dict[str, Any]:
    return make_event(eid, T.DELIVERY_DELIVERED, at, {
        "delivery_id": delivery_id,
        "pod": {"photo_url": photo_url, "received_by": received_by}})


def failed(eid: str, at: datetime, delivery_id: str = "D1",
           reason: str = "not_home") -> dict[str, Any]:
    return make_event(eid, T.DELIVERY_FAILED, at, {"delivery_id": delivery_id, "reason": reason})


def cancelled(eid: str, at: datetime, delivery_id: str = "D1") -> dict[str, Any]:
    return make_event(eid, T.DELIVERY_CANCELLED, at, {"delivery_id": delivery_id})


def driver_upserted(eid: str, at: datetime, driver_id: str = "DR1", *,
                    depot: str = DEPOT) -> dict[str, Any]:
    return make_event(eid, T.DRIVER_UPSERTED, at, {
        "driver_id": driver_id, "name": "Pat Driver", "depot": depot, "phone": "+12125553000"})


def shift_planned(eid: str, at: datetime, shift_id: str = "S1", *, depot: str = DEPOT,
                  driver_id: str | None = None, starts_in: timedelta = timedelta(hours=3),
                  ) -> dict[str, Any]:
    starts = at + starts_in
    data: dict[str, Any] = {
        "shift_id": shift_id, "depot": depot, "service_date": starts.date().isoformat(),
        "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=8)).isoformat()}
    if driver_id is not None:
        data["driver_id"] = driver_id
    return make_event(eid, T.SHIFT_PLANNED, at, data)


def shift_callout(eid: str, at: datetime, shift_id: str = "S1",
                  reason: str | None = "sick") -> dict[str, Any]:
    return make_event(eid, T.SHIFT_CALLOUT, at, {"shift_id": shift_id, "reason": reason})


def exception_reported(eid: str, at: datetime, exception_id: str = "X1", *,
                       severity: str = "critical", kind: str = "breakdown",
                       **place: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"exception_id": exception_id, "kind": kind, "severity": severity,
                            "description": "van will not start"}
    data.update(place or {"depot": DEPOT})
    return make_event(eid, T.EXCEPTION_REPORTED, at, data)


def lifecycle(start: datetime, delivery_id: str = "D1", route_id: str = "R1",
              prefix: str = "e") -> list[dict[str, Any]]:
    """created -> route.planned -> route.started -> arrived -> delivered, a minute apart."""
    at = [start + timedelta(minutes=i) for i in range(5)]
    return [
        delivery_created(f"{prefix}-created", at[0], delivery_id),
        route_planned(f"{prefix}-planned", at[1], route_id, (delivery_id,)),
        route_started(f"{prefix}-started", at[2], route_id),
        arrived(f"{prefix}-arrived", at[3], delivery_id),
        delivered(f"{prefix}-delivered", at[4], delivery_id),
    ]


# --- reading state back -------------------------------------------------------------------------

def outbox(db: Database) -> list[tuple[Any, ...]]:
    """The outbound messages as comparable tuples (no generated ids or timestamps)."""
    with db.reading() as s:
        rows = s.execute(sa.select(messages.c.purpose, messages.c.channel, messages.c.dedup_key,
                                   messages.c.to_addr, messages.c.subject_type,
                                   messages.c.subject_id, messages.c.recipient_id,
                                   messages.c.status)
                         .where(messages.c.direction == "outbound")).all()
    return sorted(tuple(str(v) if v is not None else None for v in r) for r in rows)


def event_statuses(db: Database) -> dict[str, tuple[str, str | None]]:
    """external id -> (status, note)."""
    with db.reading() as s:
        rows = s.execute(sa.select(events.c.external_id, events.c.status, events.c.note)).all()
    return {ext: (str(status), note) for ext, status, note in rows}


def store_only(runtime: Any, raw_events: list[dict[str, Any]], source: str = "platform") -> list[int]:
    """Store events the way intake does up to its commit, but enqueue nothing: the job is lost."""
    rows = []
    for raw in raw_events:
        env, data = parse_event(raw)
        rows.append({"source": source, "external_id": env.id, "type": env.type.value,
                     "occurred_at": env.occurred_at, "received_at": runtime.clock.now(),
                     "payload": env.data, "subject": subject_of(env.type, data)})
    with runtime.db.transaction() as s:
        return event_log.insert_new(s, rows)
