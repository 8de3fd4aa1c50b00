"""The plan of a simulated day: who, where, when — in each market's own time zone."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from doorstep.config import OperatorConfig, load_operator
from doorstep.sim import Scenario, generate_day
from doorstep.sim.model import SimDay

ROOT = Path(__file__).resolve().parents[2]
DAY = date(2025, 3, 14)


@pytest.fixture(scope="module")
def operator() -> OperatorConfig:
    return load_operator(ROOT / "doorstep.toml")


@pytest.fixture(scope="module")
def day(operator: OperatorConfig) -> SimDay:
    return generate_day(operator, Scenario(), DAY, seed=3, deliveries=2000)


def local(ts: float, tz: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(ts, tz)


@pytest.mark.parametrize("n", [0, 1, 7, 2000])
def test_exactly_the_deliveries_asked_for(operator: OperatorConfig, n: int) -> None:
    day = generate_day(operator, Scenario(), DAY, seed=1, deliveries=n)
    assert len(day.deliveries) == n
    assert sum(len(r.stops) for r in day.routes) == n
    assert len({d.id for d in day.deliveries}) == n


def test_every_market_depot_and_shipper_takes_part(day: SimDay, operator: OperatorConfig) -> None:
    assert {d.depot.id for d in day.deliveries} == {d.id for d in operator.depots}
    assert {d.depot.market.id for d in day.deliveries} == {m.id for m in operator.markets}
    assert {d.shipper.id for d in day.deliveries} == {s.id for s in operator.shippers}
    assert len({m.tz.key for m in day.markets}) >= 2


def test_shifts_start_between_7_and_9_local_in_every_market(day: SimDay) -> None:
    seen = set()
    for shift in day.shifts:
        start = local(shift.starts_ts, shift.depot.market.tz)
        assert start.date() == DAY
        assert time(7, 0) <= start.time() <= time(9, 0), (shift.id, start)
        seen.add(shift.depot.market.id)
    assert seen == {"nyc", "chi", "phx"}
    phoenix = [s for s in day.shifts if s.depot.market.id == "phx"]
    assert phoenix and all(local(s.starts_ts, ZoneInfo("America/Phoenix")).utcoffset()
                           == timedelta(hours=-7) for s in phoenix)


def test_the_spring_forward_day_keeps_local_hours(operator: OperatorConfig) -> None:
    day = generate_day(operator, Scenario(), date(2025, 3, 9), seed=2, deliveries=400)
    nyc = ZoneInfo("America/New_York")
    for shift in (s for s in day.shifts if s.depot.market.id == "nyc"):
        start = local(shift.starts_ts, nyc)
        assert time(7, 0) <= start.time() <= time(9, 0)
        assert start.utcoffset() == timedelta(hours=-4)  # EDT from 2025-03-09 03:00
        if shift.confirm_reply:  # the evening before was still EST
            reply = local(shift.confirm_reply[0], nyc)
            assert reply.date() == date(2025, 3, 8) and reply.utcoffset() == timedelta(hours=-5)
            assert time(17, 0) <= reply.time() <= time(20, 0)


def test_routes_are_ordered_and_timed(day: SimDay) -> None:
    for route in day.routes:
        assert [d.sequence for d in route.stops] == list(range(1, len(route.stops) + 1))
        times = [d.planned_ts for d in route.stops]
        assert route.planned_start_ts < times[0]
        assert all(a < b for a, b in zip(times, times[1:], strict=False))
        assert times[-1] < route.planned_end_ts <= route.shift.ends_ts
        assert route.shift.starts_ts < route.planned_start_ts
        hours = (route.planned_end_ts - route.planned_start_ts) / 3600
        assert 2 < hours < 12, (route.id, hours)
        assert len({d.depot.id for d in route.stops}) == 1


def test_windows_hold_the_planned_arrival(day: SimDay) -> None:
    widths = set()
    for d in day.deliveries:
        assert d.window_start_ts <= d.planned_ts <= d.window_end_ts
        widths.add((d.window_end_ts - d.window_start_ts) / 3600)
        if d.shipper.time_sensitive:
            assert d.time_sensitive
    assert widths == {2.0, 4.0}
    assert sum(d.time_sensitive and not d.shipper.time_sensitive for d in day.deliveries) > 0


def test_a_fleet_of_several_classes_with_drivers_on_call(day: SimDay) -> None:
    assert len({v.vehicle_class for v in day.vehicles}) >= 3
    assert len(day.vehicles) >= len(day.routes)
    on_call = [d for d in day.drivers if d.on_call]
    assert on_call and len(day.drivers) == len(day.routes) + len(on_call)
    assert len({d.phone for d in day.drivers}) == len(day.drivers)
    assert {d.language for d in day.drivers} <= {"en", "es"}


def test_recipients_come_back_on_later_days(operator: OperatorConfig) -> None:
    one = generate_day(operator, Scenario(), DAY, seed=5, deliveries=1000)
    two = generate_day(operator, Scenario(), DAY + timedelta(days=1), seed=5, deliveries=1000)

    def people(day: SimDay) -> dict[str, tuple[str, str]]:
        return {p.phone: (p.name, p.line1) for p in map(day.recipient, day.deliveries) if p.phone}

    a, b = people(one), people(two)
    again = a.keys() & b.keys()
    assert len(again) > 50
    assert all(a[phone] == b[phone] for phone in again)  # same person, same address
    assert {d.id for d in one.deliveries}.isdisjoint(d.id for d in two.deliveries)
    drivers = {d.id: (d.name, d.phone) for d in one.drivers}
    both = [d for d in two.drivers if d.id in drivers]
    assert len(both) > 10 and all(drivers[d.id] == (d.name, d.phone) for d in both)


def test_same_seed_same_plan_other_seed_other_plan(operator: OperatorConfig) -> None:
    def plan(seed: int) -> list[tuple[str, float, float]]:
        day = generate_day(operator, Scenario(), DAY, seed=seed, deliveries=300)
        return [(d.id, d.planned_ts, d.lat) for d in day.deliveries]

    assert plan(9) == plan(9)
    assert plan(9) != plan(10)


def test_more_deliveries_more_routes_of_similar_size(operator: OperatorConfig) -> None:
    day = generate_day(operator, Scenario(), DAY, seed=1, deliveries=20_000)
    sizes = [len(r.stops) for r in day.routes]
    target = Scenario().day.stops_per_route
    assert 0.6 * target <= sum(sizes) / len(sizes) <= target
    assert max(sizes) <= 1.3 * target


def test_nobody_shares_a_number_with_the_operator_or_anyone_else(
        operator: OperatorConfig) -> None:
    day = generate_day(operator, Scenario(), DAY, seed=1, deliveries=5000)  # > 9,900 people in NYC
    owner: dict[str, tuple[str, int]] = {}
    for d in day.deliveries:
        phone = day.recipient(d).phone
        if phone:
            assert owner.setdefault(phone, (d.depot.id, d.recipient)) == (d.depot.id, d.recipient)
    drivers = {d.phone for d in day.drivers}
    assert len(drivers) == len(day.drivers) and drivers.isdisjoint(owner)
    config = {operator.operator.support_phone,
              *(m.supervisor.phone for m in operator.markets if m.supervisor),
              *(s.senders.sms_from for s in operator.shippers)}
    assert config.isdisjoint(owner) and config.isdisjoint(drivers)
    assert len({p[2:5] for p in owner}) > 3  # NYC overflowed into a spare area code
