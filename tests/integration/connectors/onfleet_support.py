"""Shared set-up of the Onfleet connector tests: a fake Onfleet with two teams and a driver,
doorstep on a real database with Onfleet configured and served over HTTP, and the process's one
connector built with a recorder in place of sleeping."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from doorstep.clock import VirtualClock
from doorstep.config import PlatformConfig, PlatformsConfig
from doorstep.connectors.onfleet.connector import OnfleetConnector
from doorstep.runtime import Runtime
from doorstep.sim.fakes.onfleet import FakeOnfleet, onfleet_signature
from doorstep.sim.fakes.serving import Served
from doorstep.web.app import create_app
from tests.conftest import make_settings
from tests.integration.connectors import rows
from tests.integration.connectors.rows import delivery as delivery  # re-exported for the tests
from tests.integration.connectors.rows import route as route
from tests.integration.connectors.rows import writes as writes

DAY = date(2026, 11, 24)  # the runtime clock's day (06:00 in New York)
NINE = int(datetime(2026, 11, 24, 14, 0, tzinfo=UTC).timestamp() * 1000)  # 09:00 New York
NOON = NINE + 3 * 3_600_000


@dataclass
class Org:
    queens: str  # mapped by id
    chicago: str  # mapped by name
    driver: str  # a worker with doorstep's driver id on it
    mapping: PlatformConfig


@pytest.fixture
def fake(clock: VirtualClock) -> Iterator[FakeOnfleet]:
    with FakeOnfleet(clock=clock, seed=11, country="US", timezone="America/New_York",
                     rate_limit=None) as f:
        yield f


@pytest.fixture
def org(fake: FakeOnfleet) -> Org:
    queens, chicago = fake.add_team("Queens"), fake.add_team("Chicago West")
    driver = fake.org.create_worker({
        "name": "Dana Cruz", "phone": "+12125550142", "teams": [queens],
        "vehicle": {"type": "TRUCK", "licensePlate": "VAN-7"},
        "metadata": [{"name": "doorstep_driver", "type": "string", "value": "DR-7"}]})["id"]
    mapping = PlatformConfig(default_depot="nyc-bk", default_shipper="threadline",
                             depots={queens: "nyc-qn", "Chicago West": "chi-w"},
                             shippers={"FC": "freshcart"})
    return Org(queens, chicago, driver, mapping)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def rt(tmp_path: Path, db_url: str, clock: VirtualClock, fake: FakeOnfleet, org: Org,
       sleeps: list[float]) -> Iterator[Runtime]:
    settings = make_settings(tmp_path, db_url, onfleet_api_key=fake.api_key,
                             onfleet_base_url=fake.base_url,
                             onfleet_webhook_secret=fake.webhook_secret)
    settings.operator.platforms = PlatformsConfig(onfleet=org.mapping)
    runtime = Runtime.build(settings, clock=clock, immediate=True)
    runtime.sync_operator()
    # The one connector of the process (webhooks and jobs share it), without real sleeps.
    runtime._connectors = {"onfleet": OnfleetConnector(runtime, org.mapping,
                                                       sleep=sleeps.append, retries=3)}
    yield runtime
    runtime.close_connectors()
    runtime.db.dispose()


@pytest.fixture
def connector(rt: Runtime) -> OnfleetConnector:
    found = rt.connectors()["onfleet"]
    assert isinstance(found, OnfleetConnector)
    return found


@pytest.fixture
def doorstep(rt: Runtime) -> Iterator[str]:
    served = Served("doorstep")
    url = served.start(create_app(rt))
    try:
        yield url
    finally:
        served.stop()


@pytest.fixture
def hooked(doorstep: str, connector: OnfleetConnector) -> str:
    """doorstep served and its webhooks registered with the fake, as the operator would."""
    connector.register_webhooks(doorstep)
    return doorstep


def post(url: str, payload: Any, secret: str | None, *, signature: str | None = None
         ) -> httpx.Response:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {"Content-Type": "application/json"}
    if signature is not None or secret is not None:
        headers["X-Onfleet-Signature"] = signature or onfleet_signature(secret or "", body)
    return httpx.post(f"{url}/webhooks/onfleet", content=body, headers=headers, timeout=10,
                      trust_env=False)


def add_task(fake: FakeOnfleet, team: str, n: int, **fields: Any) -> str:
    """A task as a dispatcher makes it in a team's list: Brooklyn address, 09:00-12:00."""
    body: dict[str, Any] = {
        "destination": {"address": {"number": str(10 + n), "street": "Elm St",
                                    "apartment": "2F", "city": "Brooklyn", "state": "NY",
                                    "postalCode": "11231", "country": "United States"},
                        "location": [-73.99, 40.68]},
        "recipients": [{"name": f"Ana {n}", "phone": f"+1212555014{n % 10}"}],
        "completeAfter": NINE, "completeBefore": NOON, "notes": "Ring twice",
        "container": {"type": "TEAM", "team": team},
        "metadata": [{"name": "shipper", "type": "string", "value": "FC"}], **fields}
    return str(fake.org.create_task(body)["id"])


def event_rows(rt: Runtime, **where: Any) -> list[Any]:
    return rows.event_rows(rt, "onfleet", **where)


def types(rt: Runtime) -> list[str]:
    return [r.type for r in event_rows(rt)]


