"""Helpers of the OptimoRoute connector tests (their fixtures are in optimoroute_fixtures.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from doorstep.config import PlatformConfig
from doorstep.runtime import Runtime
from doorstep.sim.fakes.optimoroute import FakeOptimoRoute
from doorstep.store.tables import stops
from tests.integration.connectors import rows
from tests.integration.connectors.rows import delivery as delivery  # re-exported for the tests
from tests.integration.connectors.rows import driver as driver
from tests.integration.connectors.rows import one as one
from tests.integration.connectors.rows import route as route

DAY = date(2026, 11, 24)  # the runtime clock's day (06:00 in New York)
MAPPING = PlatformConfig(
    default_depot="nyc-bk", default_shipper="threadline", shipper_field="customField1",
    depot_field="customField2", shippers={"FC": "freshcart"},
    depots={"Queens": "nyc-qn", "Cicero": "chi-w", "D-77": "chi-w"})


def order(fake: FakeOptimoRoute, number: str, day: date = DAY, **fields: Any) -> str:
    """An order as a dispatcher enters it, with the address and fields doorstep reads."""
    defaults: dict[str, Any] = {
        "address": f"{len(number) * 7} Elm St, Brooklyn, NY 11231",
        "locationName": f"Recipient {number}", "phone": "+12125550199",
        "timeWindows": [{"twFrom": "09:00", "twTo": "12:00"}], "customField1": "FC"}
    loc = {k: defaults.pop(k) for k in ("address", "locationName")}
    return fake.add_order(number, day, address=fields.pop("address", loc["address"]),
                          locationName=fields.pop("locationName", loc["locationName"]),
                          **{**defaults, **fields})


def route_stops(rt: Runtime, route_id: str) -> list[str]:
    with rt.db.reading() as s:
        return list(s.scalars(sa.select(stops.c.delivery_id).where(stops.c.route_id == route_id)
                              .order_by(stops.c.sequence)))


def stored(rt: Runtime, *, source: str = "optimoroute") -> list[Any]:
    return rows.event_rows(rt, source)
