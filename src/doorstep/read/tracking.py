"""What a recipient's tracking page shows: their one delivery, nothing of anyone else's and
none of their own contact details (the link may be forwarded)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from doorstep.domain import DeliveryStatus, RouteStatus, StopStatus
from doorstep.store import tracking
from doorstep.store.tables import (
    attempts,
    deliveries,
    held_windows,
    markets,
    routes,
    shippers,
    stops,
)

STATUS_WORDS = {
    DeliveryStatus.PENDING: "We have your order and are planning its delivery.",
    DeliveryStatus.SCHEDULED: "Your delivery is scheduled.",
    DeliveryStatus.OUT_FOR_DELIVERY: "Your delivery is on its way.",
    DeliveryStatus.DELIVERED: "Delivered.",
    DeliveryStatus.FAILED: "We could not deliver it this time. We will be in touch.",
    DeliveryStatus.RETURNED: "It has been returned to the sender.",
    DeliveryStatus.CANCELLED: "This delivery was cancelled.",
}
# Instructions still reach the driver only before the parcel is handed over.
OPEN = {DeliveryStatus.PENDING, DeliveryStatus.SCHEDULED, DeliveryStatus.OUT_FOR_DELIVERY,
        DeliveryStatus.FAILED}
HEX = re.compile(r"#[0-9a-fA-F]{6}")


@dataclass(frozen=True)
class TrackingView:
    delivery_id: str
    shipper_name: str
    logo_url: str | None
    primary: str
    secondary: str
    status: DeliveryStatus
    status_words: str
    timezone: str
    window_start: datetime | None
    window_end: datetime | None
    eta: datetime | None
    delivered_at: datetime | None
    stops_away: int | None
    instructions: str | None
    pod_photo_url: str | None
    pod_signature_url: str | None
    rating: int | None

    @property
    def open(self) -> bool:
        return self.status in OPEN


def _colour(value: str | None, fallback: str) -> str:
    # The colours go into a style attribute: only a plain #rrggbb gets there.
    return value if value and HEX.fullmatch(value) else fallback


def _https(url: str | None) -> str | None:
    return url if url and url.startswith("https://") else None


def stops_away(session: Session, route_id: str | None, delivery_id: str) -> int | None:
    """Unfinished stops before this one, while its route is under way."""
    if route_id is None:
        return None
    started = session.scalar(sa.select(routes.c.status).where(routes.c.id == route_id))
    if started != RouteStatus.IN_PROGRESS:
        return None
    mine = session.execute(sa.select(stops.c.sequence, stops.c.status).where(
        stops.c.route_id == route_id, stops.c.delivery_id == delivery_id)).first()
    if mine is None or mine.status not in (StopStatus.PLANNED, StopStatus.ARRIVED):
        return None
    return int(session.scalar(sa.select(sa.func.count()).select_from(stops).where(
        stops.c.route_id == route_id, stops.c.sequence < mine.sequence,
        stops.c.status.in_([StopStatus.PLANNED, StopStatus.ARRIVED]))) or 0)


def _window(session: Session, row: Any) -> dict[str, datetime | None]:
    """The window the recipient was last told for the route the parcel is on; before any was
    sent, the one the shipper promised."""
    held = session.execute(sa.select(held_windows.c.window_start, held_windows.c.window_end)
                           .where(held_windows.c.delivery_id == row.id,
                                  held_windows.c.route_id == row.route_id)).first() \
        if row.route_id else None
    if held is not None:
        return {"window_start": held.window_start, "window_end": held.window_end}
    return {"window_start": row.window_start, "window_end": row.window_end}


def load(session: Session, delivery_id: str) -> TrackingView | None:
    row = session.execute(
        sa.select(deliveries, shippers.c.name.label("shipper_name"), shippers.c.logo_url,
                  shippers.c.brand_primary, shippers.c.brand_secondary,
                  markets.c.timezone)
        .join(shippers, shippers.c.id == deliveries.c.shipper_id)
        .join(markets, markets.c.id == deliveries.c.market_id)
        .where(deliveries.c.id == delivery_id)).first()
    if row is None:
        return None
    status = DeliveryStatus(row.status)
    pod = None
    if status == DeliveryStatus.DELIVERED:
        pod = session.execute(sa.select(attempts.c.pod_photo_url, attempts.c.pod_signature_url)
                              .where(attempts.c.delivery_id == delivery_id)
                              .order_by(attempts.c.number.desc()).limit(1)).first()
    return TrackingView(
        delivery_id=delivery_id, shipper_name=row.shipper_name, logo_url=_https(row.logo_url),
        primary=_colour(row.brand_primary, "#1f2937"),
        secondary=_colour(row.brand_secondary, "#f3f4f6"),
        status=status, status_words=STATUS_WORDS[status], timezone=row.timezone,
        **_window(session, row), eta=row.eta,
        delivered_at=row.delivered_at,
        stops_away=(stops_away(session, row.route_id, delivery_id)
                    if status == DeliveryStatus.OUT_FOR_DELIVERY else None),
        instructions=row.instructions,
        pod_photo_url=_https(pod.pod_photo_url) if pod else None,
        pod_signature_url=_https(pod.pod_signature_url) if pod else None,
        rating=tracking.rating_of(session, delivery_id))
