"""Fixtures of the OptimoRoute connector tests, loaded with `pytest_plugins`: one fake
OptimoRoute server per module (a new account for each test), doorstep on a real database with
the platform configured, and the connector built on them with a recorder in place of sleeping."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from doorstep.clock import VirtualClock
from doorstep.config import PlatformConfig, PlatformsConfig
from doorstep.connectors.optimoroute.connector import OptimoRouteConnector
from doorstep.runtime import Runtime
from doorstep.sim.fakes.optimoroute import FakeOptimoRoute
from tests.conftest import make_settings
from tests.integration.connectors.optimoroute_support import MAPPING


@pytest.fixture(scope="module")
def server() -> Iterator[FakeOptimoRoute]:
    with FakeOptimoRoute(seed=5) as fake:
        yield fake


@pytest.fixture
def fake(server: FakeOptimoRoute, clock: VirtualClock) -> FakeOptimoRoute:
    f = server.reset(clock=clock, timezone="America/New_York", center=(40.68, -73.99))
    f.add_driver("102", "Sam Lee", external_id="D-44", vehicle_registration="AB-123",
                 vehicle_label="Van 3", start=(40.678, -74.014))
    f.add_driver("103", "Kim Ode", vehicle_registration="AB-124", start=(40.678, -74.014))
    return f


@pytest.fixture
def account(fake: FakeOptimoRoute) -> tuple[str, str]:
    """(base URL, API key) of the OptimoRoute doorstep talks to: the fake's, unless a module
    says otherwise."""
    return fake.base_url, fake.api_key


@pytest.fixture
def mapping() -> PlatformConfig:
    return MAPPING


@pytest.fixture
def rt(tmp_path: Path, db_url: str, clock: VirtualClock, account: tuple[str, str],
       mapping: PlatformConfig) -> Iterator[Runtime]:
    settings = make_settings(tmp_path, db_url, optimoroute_api_key=account[1],
                             optimoroute_base_url=account[0])
    settings.operator.platforms = PlatformsConfig(optimoroute=mapping)
    runtime = Runtime.build(settings, clock=clock, immediate=True)
    runtime.sync_operator()
    yield runtime
    runtime.close_connectors()
    runtime.db.dispose()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def connector(rt: Runtime, mapping: PlatformConfig,
              sleeps: list[float]) -> Iterator[OptimoRouteConnector]:
    c = OptimoRouteConnector(rt, mapping, sleep=sleeps.append)
    yield c
    c.close()
