"""Maps the domain's dataclasses onto the tables, so the domain stays free of persistence."""

from __future__ import annotations

from sqlalchemy.orm import registry, relationship

from doorstep import domain as d
from doorstep.store import tables as t

mapper_registry = registry(metadata=t.metadata)
_mapped = False


def map_domain() -> None:
    """Idempotent: safe to call from every entry point."""
    global _mapped
    if _mapped:
        return
    m = mapper_registry.map_imperatively
    m(d.Market, t.markets)
    m(d.Depot, t.depots)
    m(d.Shipper, t.shippers)
    m(d.Recipient, t.recipients)
    m(d.Driver, t.drivers)
    m(d.Vehicle, t.vehicles)
    m(d.Shift, t.shifts)
    m(d.Gap, t.gaps)
    m(d.Offer, t.offers)
    m(d.Route, t.routes)
    m(d.Stop, t.stops)
    m(d.Attempt, t.attempts)
    m(d.Disposition, t.dispositions)
    m(d.Delivery, t.deliveries, properties={
        "attempts": relationship(d.Attempt, order_by=t.attempts.c.number, lazy="select"),
    })
    m(d.RouteException, t.exceptions)
    m(d.Conversation, t.conversations)
    m(d.Message, t.messages)
    m(d.Event, t.events)
    m(d.Report, t.reports)
    _mapped = True
