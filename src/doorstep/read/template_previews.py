"""What the template editor needs from the database: the shippers one may see, recent
deliveries to preview against, and the values a message template would get for one of them —
as the asker may see them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from doorstep.domain import AttemptOutcome, DeliveryStatus, FailureReason
from doorstep.domain.access import Principal
from doorstep.store.tables import attempts, deliveries, recipients, shippers
from doorstep.workflows.recover import first_name

RECENT = 30
ADDRESS_REASONS = (FailureReason.WRONG_ADDRESS, FailureReason.ACCESS)


@dataclass(frozen=True)
class ShipperLanguages:
    id: str
    name: str
    languages: tuple[str, ...]  # English first: every message falls back to it


def shipper_languages(s: Session, who: Principal) -> list[ShipperLanguages]:
    """Every shipper with the languages it writes to its customers in; a shipper's own people
    get their own shipper only."""
    stmt = sa.select(shippers.c.id, shippers.c.name, shippers.c.languages).order_by(
        shippers.c.name)
    if who.is_shipper:
        stmt = stmt.where(shippers.c.id == who.shipper_id)
    return [ShipperLanguages(r.id, r.name, tuple(dict.fromkeys(["en", *(r.languages or [])])))
            for r in s.execute(stmt)]


def recent_deliveries(s: Session, shipper_id: str | None, limit: int = RECENT) -> list[Any]:
    """The latest deliveries (of one shipper, or of all for the operator's defaults)."""
    stmt = sa.select(deliveries.c.id, deliveries.c.status, deliveries.c.service_date,
                     deliveries.c.shipper_id, deliveries.c.attempt_count)
    if shipper_id is not None:
        stmt = stmt.where(deliveries.c.shipper_id == shipper_id)
    return list(s.execute(stmt.order_by(deliveries.c.service_date.desc(),
                                        deliveries.c.status_at.desc(), deliveries.c.id)
                          .limit(limit)))


def default_delivery(rows: list[Any]) -> str | None:
    """The most recent failed delivery (what a failed-attempt message is about), else the most
    recent one."""
    failed = [r.id for r in rows if r.status == DeliveryStatus.FAILED]
    return failed[0] if failed else (rows[0].id if rows else None)


@dataclass(frozen=True)
class DeliveryValues:
    delivery_id: str
    values: dict[str, Any]
    shipper_name: str
    recipient_language: str


def delivery_values(s: Session, delivery_id: str, message: str, shipper_id: str | None,
                    who: Principal) -> DeliveryValues | None:
    """The values the `message` template would get for this delivery, built as its workflow
    builds them; None when the delivery is not the asker's to see, or not `shipper_id`'s (None:
    any shipper's, for the operator's defaults)."""
    row = s.execute(sa.select(deliveries, shippers.c.name.label("shipper_name"),
                              recipients.c.language.label("recipient_language"),
                              recipients.c.name.label("recipient_name"))
                    .join(shippers, shippers.c.id == deliveries.c.shipper_id)
                    .join(recipients, recipients.c.id == deliveries.c.recipient_id)
                    .where(deliveries.c.id == delivery_id)).first()
    if row is None or not who.may_see_shipper(row.shipper_id) \
            or shipper_id not in (None, row.shipper_id):
        return None
    values: dict[str, Any] = {"shipper": row.shipper_name}
    if message == "failed_attempt":
        last = s.execute(sa.select(attempts.c.number, attempts.c.failure_reason)
                         .where(attempts.c.delivery_id == delivery_id,
                                attempts.c.outcome == AttemptOutcome.FAILED)
                         .order_by(attempts.c.number.desc()).limit(1)).first()
        values["reason"] = _text(last.failure_reason) if last else None
        values["attempt"] = last.number if last else max(int(row.attempt_count), 1)
        values.update(first_name=first_name(row.recipient_name), delivery_id=delivery_id)
    elif message == "chronic_address":
        values.update(city=row.address_city, postal_code=row.address_postal_code,
                      failures=_address_failures(s, row))
    return DeliveryValues(delivery_id, values, row.shipper_name, row.recipient_language)


def _address_failures(s: Session, delivery: Any) -> int:
    same_address = sa.select(deliveries.c.id).where(
        deliveries.c.address_postal_code == delivery.address_postal_code,
        sa.func.lower(deliveries.c.address_line1) == delivery.address_line1.lower())
    return int(s.scalar(sa.select(sa.func.count()).select_from(attempts).where(
        attempts.c.delivery_id.in_(same_address), attempts.c.outcome == AttemptOutcome.FAILED,
        attempts.c.failure_reason.in_(ADDRESS_REASONS))) or 0)


def _text(value: Any) -> str | None:
    return None if value is None else str(getattr(value, "value", value))
