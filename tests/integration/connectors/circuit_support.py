"""What the Circuit (Spoke Dispatch) connector tests share: the team's set-up on the fake
Spoke, signed posts, and reading doorstep's tables. Their fixtures are in circuit_fixtures."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import date
from typing import Any

import httpx

from doorstep.config import PlatformConfig
from doorstep.runtime import Runtime
from doorstep.sim.fakes.circuit import FakeCircuit
from tests.integration.connectors import rows
from tests.integration.connectors.rows import delivery as delivery  # re-exported for the tests
from tests.integration.connectors.rows import route as route

KEY = "circuit-test-key-0123456789"
SECRET = "s3cretS3cretS3cretS3cretS3cret12"  # §10: 32 characters
DAY = date(2026, 11, 24)  # the runtime clock's day (06:00 in New York)
# Spoke's §5 classes, paced faster for a local fake (real time passes between requests).
FAST = {c: 200.0 for c in ("read", "write", "create_driver", "import_stops", "import_drivers",
                           "optimize")}
MAPPING = PlatformConfig(
    default_depot="nyc-bk", default_shipper="threadline", shipper_field="orderInfo.sellerName",
    shippers={"FreshCart Grocery": "freshcart"}, depots={"Cicero": "chi-w"})


def signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    return {"Content-Type": "application/json",
            "spoke-signature": hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}


def post(url: str, payload: Any, secret: str = SECRET) -> httpx.Response:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return httpx.post(f"{url}/webhooks/circuit", content=body, headers=signed(body, secret),
                      timeout=10, trust_env=False)


def a_day(fake: FakeCircuit, stops: int = 3, day: date = DAY, **extra: Any) -> dict[str, Any]:
    """A plan with one driver and `stops` stops, optimized; not yet distributed."""
    driver = fake.add_driver("Dana Cruz", phone="+12125550142")
    plan = fake.add_plan(f"{day} routes", day, drivers=[driver])
    ids = [add_stop(fake, plan, i, **extra) for i in range(stops)]
    fake.optimize(plan)
    fake.finish_operations()
    return {"driver": driver, "plan": plan, "stops": ids, "route": None}


def add_stop(fake: FakeCircuit, plan: str, i: int, **fields: Any) -> str:
    """A stop as an import makes it: the delivery's id in `recipient.externalId`."""
    body = {"address": {"addressLineOne": f"{10 + i} Elm St", "city": "Brooklyn",
                        "state": "NY", "zip": "11231", "country": "US"},
            "recipient": {"externalId": f"DLV-{i}", "name": f"Ana {i}",
                          "phone": "+12125550100"},
            "orderInfo": {"sellerName": "FreshCart Grocery"},
            "timing": {"earliestAttemptTime": {"hour": 9, "minute": 0},
                       "latestAttemptTime": {"hour": 12, "minute": 0}}, **fields}
    return str(fake.team.create_stop(plan.removeprefix("plans/"), body)["id"])


def distributed(fake: FakeCircuit, stops: int = 3, **extra: Any) -> dict[str, Any]:
    day = a_day(fake, stops, **extra)
    fake.distribute(day["plan"])
    day["route"] = fake.routes_of(day["plan"])[0]
    return day


def event_rows(rt: Runtime, **where: Any) -> list[Any]:
    return rows.event_rows(rt, "circuit", **where)


