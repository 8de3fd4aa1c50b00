"""`doorstep simulate`'s plumbing: today read on the clock, and what it opens it closes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from doorstep.clock import VirtualClock
from doorstep.config import Settings
from doorstep.sim.run import Plan, build_days, operator_today
from tests.conftest import make_settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, f"sqlite:///{tmp_path / 'doorstep.db'}")


def test_today_is_read_on_the_given_clock_in_the_first_markets_zone(settings: Settings) -> None:
    assert settings.operator.markets[0].timezone == "America/New_York"
    late_evening = VirtualClock(datetime(2025, 3, 14, 3, 30, tzinfo=UTC))  # 23:30 the 13th
    assert operator_today(settings, late_evening) == date(2025, 3, 13)
    plan = Plan(scenario=None, seed=1, deliveries=20, service_date=None, days=2)
    assert [d.service_date for d in build_days(settings, plan, late_evening)] == [
        date(2025, 3, 13), date(2025, 3, 14)]
