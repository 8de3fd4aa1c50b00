"""Send budgets, the pure parts: the GCRA arithmetic, which budget a message draws on and at
what cost, and the rates the settings make."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doorstep.config import Settings
from doorstep.domain import Channel
from doorstep.messaging.rate import DatabaseStore, Limiter, Rate, RedisStore, build_limiter, gcra

NOW = 1_795_000_000.0  # late 2026, in epoch seconds: where float precision is tightest
LONG_CODE = Rate(1.0, 1.0)
FAST = Rate(10.0, 5.0)


def test_a_sender_idle_for_long_may_spend_its_whole_burst_at_once() -> None:
    tat = None
    for _ in range(5):
        tat, wait = gcra(tat, 1, FAST, NOW)
        assert tat is not None and wait == 0.0
    assert tat == pytest.approx(NOW + 0.5)


def test_past_the_burst_a_send_is_refused_with_the_wait_until_it_fits() -> None:
    tat = NOW + 0.5  # five units just spent at 10/s, burst 5
    new, wait = gcra(tat, 1, FAST, NOW)
    assert new is None and wait == pytest.approx(0.1, abs=1e-5)
    new, wait = gcra(tat, 3, FAST, NOW + 0.05)  # three segments need 0.3 s of the rate
    assert new is None and wait == pytest.approx(0.25, abs=1e-5)


def test_the_budget_refills_with_time_at_the_rate() -> None:
    tat = NOW + 0.5
    assert gcra(tat, 1, FAST, NOW + 0.099)[0] is None
    assert gcra(tat, 1, FAST, NOW + 0.1)[0] == pytest.approx(NOW + 0.6)
    assert gcra(tat, 3, FAST, NOW + 0.3)[0] == pytest.approx(NOW + 0.8)
    assert gcra(tat, 5, FAST, NOW + 10)[0] == pytest.approx(NOW + 10.5)  # full again, no more


def test_a_message_larger_than_the_burst_goes_alone_once_the_sender_is_idle() -> None:
    """A 3-segment text on a 1 segment/s number would never fit a 1-unit burst: it goes when
    nothing is pending, and the next message waits its three seconds out."""
    tat, wait = gcra(None, 3, LONG_CODE, NOW)
    assert tat == pytest.approx(NOW + 3) and wait == 0.0
    assert gcra(tat, 1, LONG_CODE, NOW + 1.5)[1] == pytest.approx(1.5, abs=1e-5)
    assert gcra(tat, 3, LONG_CODE, NOW + 2.5)[0] is None
    assert gcra(tat, 1, LONG_CODE, NOW + 3)[0] == pytest.approx(NOW + 4)


@given(st.lists(st.tuples(st.floats(0, 0.5), st.integers(1, 4)), min_size=1, max_size=200),
       st.floats(0.5, 50), st.integers(1, 20))
def test_no_window_of_a_second_holds_more_than_rate_plus_burst(
        steps: list[tuple[float, int]], per_second: float, burst: int) -> None:
    rate = Rate(per_second, max(float(burst), 4.0))
    now, tat, spent = NOW, None, []
    for gap, cost in steps:
        now += gap
        new, wait = gcra(tat, cost, rate, now)
        if new is None:
            assert wait > 0
            now += wait  # a caller that comes back when told
            new, wait = gcra(tat, cost, rate, now)
            assert new is not None and wait == 0.0
        tat = new
        spent.append((now, cost))
    for start, _ in spent:
        in_window = sum(c for t, c in spent if start <= t <= start + 1.0)
        assert in_window <= rate.per_second * 1.0 + rate.burst + 1e-6


def test_each_kind_of_sender_draws_on_its_own_budget() -> None:
    sms, service, email = Rate(1, 1), Rate(10, 10), Rate(5, 5)
    limiter = Limiter(DatabaseStore(), sms=sms, sms_service=service, email=email)
    assert limiter.rate_for(Channel.SMS, "+12125550110") is sms
    assert limiter.rate_for(Channel.SMS, "MG00000000000000000000000000000001") is service
    assert limiter.rate_for(Channel.EMAIL, "orders@freshcart.example") is email
    assert limiter.rate_for(Channel.ALERT, "ops") is None
    assert limiter.rate_for(Channel.CONSOLE, "+12125550110") is None
    assert Limiter.key(Channel.SMS, "+12125550110") == "sms:+12125550110"
    assert Limiter.key(Channel.EMAIL, "FreshCart <Orders@FreshCart.example>") == \
        Limiter.key(Channel.EMAIL, "orders@freshcart.example") == "email:orders@freshcart.example"


def test_sms_costs_its_segments_and_email_one_message() -> None:
    assert Limiter.cost(Channel.SMS, "Your parcel arrives today.") == 1
    assert Limiter.cost(Channel.SMS, "x" * 161) == 2  # GSM-7: 153 a part once split
    assert Limiter.cost(Channel.SMS, "é" * 60 + "🚚") == 1  # UCS-2: 62 units of 70
    assert Limiter.cost(Channel.SMS, "ñ" * 40 + "ç" * 40) == 2  # UCS-2: 67 a part once split
    assert Limiter.cost(Channel.EMAIL, "x" * 10_000) == 1


def test_settings_make_the_rates_with_a_burst_of_at_least_one_unit(tmp_path: Path) -> None:
    live = Settings(messaging="live", data_dir=tmp_path, sms_rate_per_sender=0.5,
                    sms_rate_per_service=30, email_rate_per_sender=10, send_burst_seconds=2)
    limiter = build_limiter(live)
    assert limiter is not None and isinstance(limiter.store, DatabaseStore)
    assert limiter.sms == Rate(0.5, 1.0)  # 2 s of 0.5/s is one unit
    assert limiter.sms_service == Rate(30, 60) and limiter.email == Rate(10, 20)
    defaults = build_limiter(Settings(messaging="live", data_dir=tmp_path))
    assert defaults is not None
    assert (defaults.sms, defaults.sms_service, defaults.email) == \
        (Rate(1, 1), Rate(10, 10), Rate(10, 10))


def test_redis_keeps_the_budgets_when_configured_and_development_sends_nothing_to_limit(
        tmp_path: Path) -> None:
    on_redis = build_limiter(Settings(messaging="live", data_dir=tmp_path,
                                      redis_url="redis://127.0.0.1:9/0"))  # never connected
    assert on_redis is not None and isinstance(on_redis.store, RedisStore)
    assert build_limiter(Settings(data_dir=tmp_path)) is None
