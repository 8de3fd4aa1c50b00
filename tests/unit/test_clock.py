"""The clocks: a virtual one that stands still, advances, never goes back, or runs fast."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from doorstep.clock import SystemClock, VirtualClock

START = datetime(2026, 11, 24, 6, 0, tzinfo=ZoneInfo("America/New_York"))


def test_system_clock_is_aware_utc_and_current():
    before = datetime.now(UTC)
    now = SystemClock().now()
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)
    assert before <= now <= datetime.now(UTC)


def test_virtual_clock_refuses_a_naive_start():
    with pytest.raises(ValueError):
        VirtualClock(datetime(2026, 11, 24, 6, 0))


def test_speed_zero_stands_still_and_reports_utc():
    clock = VirtualClock(START)
    first = clock.now()
    real = time.monotonic()
    while time.monotonic() == real:  # let real time pass without sleeping
        pass
    assert clock.now() == first == START
    assert first.utcoffset() == timedelta(0)
    assert clock.speed == 0


def test_advance_moves_by_exactly_the_delta():
    clock = VirtualClock(START)
    returned = clock.advance(timedelta(hours=2, seconds=5))
    assert returned == clock.now() == START + timedelta(hours=2, seconds=5)
    clock.advance(timedelta(days=1))
    assert clock.now() == START + timedelta(days=1, hours=2, seconds=5)


def test_set_moves_forward_never_backwards():
    clock = VirtualClock(START)
    later = START + timedelta(hours=5)
    clock.set(later)
    assert clock.now() == later
    clock.set(START)  # an earlier instant is refused silently
    assert clock.now() == later
    clock.set(later.astimezone(ZoneInfo("Asia/Tokyo")))  # same instant, other zone
    assert clock.now() == later


def test_a_running_clock_moves_forward_faster_than_real_time():
    speed = 3600.0
    real_start = time.monotonic()  # before the clock's own base: bounds it from above
    clock = VirtualClock(START, speed=speed)
    first = clock.now()
    assert first >= START
    while time.monotonic() - real_start < 0.002:  # a couple of real milliseconds
        pass
    second = clock.now()
    real_elapsed = time.monotonic() - real_start
    assert second > first
    # Virtual time elapsed is at most speed x real time (plus float slack).
    assert (second - START).total_seconds() <= speed * real_elapsed + 1e-3
    assert (second - START).total_seconds() >= speed * 0.001


def test_a_running_clock_advances_and_sets_forward_only():
    clock = VirtualClock(START, speed=10.0)
    clock.advance(timedelta(hours=1))
    assert clock.now() >= START + timedelta(hours=1)
    clock.set(START)
    assert clock.now() >= START + timedelta(hours=1)


def test_reads_from_many_threads_never_go_backwards():
    clock = VirtualClock(START, speed=1000.0)
    failures: list[str] = []

    def reader() -> None:
        last = clock.now()
        for _ in range(2000):
            now = clock.now()
            if now < last:
                failures.append(f"{now} < {last}")
            last = now

    def advancer() -> None:
        for _ in range(200):
            clock.advance(timedelta(seconds=1))

    threads = [threading.Thread(target=reader) for _ in range(4)]
    threads.append(threading.Thread(target=advancer))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert clock.now() >= START + timedelta(seconds=200)
