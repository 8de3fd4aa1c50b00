"""Fixtures of the Circuit (Spoke Dispatch) connector tests (`pytest_plugins`): one fake Spoke
server per module (a new team for each test), doorstep on a real database with the platform
configured and served over HTTP, the fake's webhooks pointed at it, and the connector built
with a recorder in place of sleeping."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from doorstep.clock import VirtualClock
from doorstep.config import PlatformsConfig
from doorstep.connectors.circuit.connector import CircuitConnector
from doorstep.runtime import Runtime
from doorstep.sim.fakes.circuit import FakeCircuit
from doorstep.sim.fakes.serving import Served
from doorstep.web.app import create_app
from tests.conftest import make_settings
from tests.integration.connectors.circuit_support import FAST, KEY, MAPPING, SECRET


@pytest.fixture(scope="module")
def server() -> Iterator[FakeCircuit]:
    with FakeCircuit(seed=4) as f:
        yield f


@pytest.fixture
def fake(server: FakeCircuit, clock: VirtualClock) -> FakeCircuit:
    server.reset(seed=4, clock=clock, api_key=KEY, webhook_secret=SECRET, rate_limits=False,
                 timezone="America/New_York")
    return server


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def rt(tmp_path: Path, db_url: str, clock: VirtualClock, fake: FakeCircuit,
       sleeps: list[float]) -> Iterator[Runtime]:
    settings = make_settings(tmp_path, db_url, circuit_api_key=KEY,
                             circuit_base_url=fake.api_url, circuit_webhook_secret=SECRET)
    settings.operator.platforms = PlatformsConfig(circuit=MAPPING)
    runtime = Runtime.build(settings, clock=clock, immediate=True)
    runtime.sync_operator()
    # The one connector of the process (webhooks and jobs share it), without real sleeps.
    runtime._connectors = {"circuit": CircuitConnector(runtime, MAPPING, sleep=sleeps.append,
                                                       rates=FAST)}
    yield runtime
    runtime.close_connectors()
    runtime.db.dispose()


@pytest.fixture
def connector(rt: Runtime) -> CircuitConnector:
    found = rt.connectors()["circuit"]
    assert isinstance(found, CircuitConnector)
    return found


@pytest.fixture
def doorstep(rt: Runtime, fake: FakeCircuit) -> Iterator[str]:
    """doorstep served; the fake's webhook (set in Spoke's dashboard) points at it."""
    served = Served("doorstep")
    url = served.start(create_app(rt))
    fake.set_webhook(f"{url}/webhooks/circuit")
    try:
        yield url
    finally:
        served.stop()
