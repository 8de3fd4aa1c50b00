"""The arrival-window model, pure: quantile windows, the maximum width, live re-estimation,
and the update policy's hysteresis and cap."""

from __future__ import annotations

import random

import pytest

from doorstep.windows.model import (
    LIVE,
    START,
    Band,
    Route,
    State,
    Stop,
    WindowModel,
    band_for,
    fit,
    gap_bucket,
    rounded,
    route_states,
)
from doorstep.windows.policy import Policy, play_route, summarize


def test_the_window_holds_the_target_share_of_errors_it_was_fitted_on_and_of_fresh_ones() -> None:
    rng = random.Random(1)
    errors = [rng.gauss(5, 8) for _ in range(5000)]
    band = band_for(errors, 0.90, 120)
    inside = sum(band.lo <= e <= band.hi for e in errors) / len(errors)
    assert inside >= 0.90
    fresh = [rng.gauss(5, 8) for _ in range(5000)]
    assert 0.87 <= sum(band.lo <= e <= band.hi for e in fresh) / len(fresh) <= 0.93
    # The shortest 90% interval of a normal is about ±1.645 σ.
    assert band.width == pytest.approx(2 * 1.645 * 8, rel=0.08)
    assert band.median == pytest.approx(5, abs=0.6)


def test_a_skewed_error_gets_the_shortest_interval_not_the_central_one() -> None:
    rng = random.Random(2)
    errors = [rng.expovariate(1 / 10) for _ in range(4000)]  # late, never early
    band = band_for(errors, 0.90, 120)
    assert band.lo == pytest.approx(0, abs=0.1)
    assert band.hi == pytest.approx(23, rel=0.1)  # -10 ln 0.1


def test_the_window_is_never_wider_than_the_maximum_and_keeps_the_densest_part() -> None:
    rng = random.Random(3)
    errors = [rng.gauss(0, 60) for _ in range(3000)]
    band = band_for(errors, 0.90, 120)
    assert band.width == pytest.approx(120)
    assert -75 <= band.lo <= -45


def test_a_window_sent_is_at_least_ten_minutes_and_on_five_minute_marks() -> None:
    assert rounded(100.2, 101.0) == (95.0, 110.0)
    assert rounded(7, 33) == (5.0, 35.0)
    assert rounded(10, 30) == (10.0, 30.0)


def test_stops_ahead_buckets() -> None:
    assert [gap_bucket(g) for g in (1, 2, 3, 4, 5, 6, 10, 11, 81, 500)] == [
        "1", "2", "3", "4-5", "4-5", "6-10", "6-10", "11-20", "81+", "81+"]


def _route(lateness_per_stop: float, n: int = 10, start: float = 0.0, depot: str = "d") -> Route:
    return Route(depot, start, tuple(Stop(i + 1, 10.0 * (i + 1), 10.0 * (i + 1)
                                          + lateness_per_stop * (i + 1)) for i in range(n)))


def test_states_follow_the_actual_order_of_arrivals_and_carry_the_lateness_so_far() -> None:
    route = Route("d", 0.0, (Stop(1, 10, 12), Stop(2, 20, 11), Stop(3, 30, 40)))
    states = list(route_states(route))
    assert [s.phase for s in states] == [START, LIVE, LIVE, LIVE]
    assert [s.completed for s in states] == [None, 1, 0, 2]  # stop 2 was served first
    assert [s.lateness for s in states] == [0.0, -9.0, 2.0, 10.0]
    assert [(p.index, p.gap) for p in states[1].pending] == [(0, 1), (2, 2)]


def test_live_lateness_moves_the_window_of_every_later_stop() -> None:
    model = WindowModel(0.9, 120, {"start|*": Band(1, -10, 10, 0), "live|*": Band(1, -5, 5, 0)})
    stop = Stop(5, 500.0, 530.0)
    on_time = State(0.0, START, 0.0, None, ())
    late = State(300.0, LIVE, 25.0, 2, ())
    assert model.window(stop, on_time, 5) == (490.0, 510.0)
    assert model.window(stop, late, 3) == (520.0, 530.0)
    assert model.point(stop, late, 3) == 525.0


def test_a_model_fitted_on_late_routes_learns_that_lateness_builds_up() -> None:
    model = fit([_route(2.0, 30) for _ in range(40)], target=0.9, max_width=120)
    assert model.band(START, 1).median == pytest.approx(2.0)
    assert model.band(START, 25).median > model.band(START, 2).median  # more stops, more drift
    assert model.band(LIVE, 1).median == pytest.approx(2.0)  # one more stop's worth


def _stub(first: tuple[float, float], live: tuple[float, float]) -> WindowModel:
    return WindowModel(0.9, 120, {"start|*": Band(1, *first, median=0),
                                  "live|*": Band(1, *live, median=0)})


def test_an_update_needs_the_estimate_outside_by_more_than_the_hysteresis() -> None:
    model = _stub((-10, 10), (-10, 10))
    slightly = _route(0.5, 6)  # lateness at most 3 min, inside the first window
    [*_, last] = play_route(slightly, model, Policy(hysteresis=10, stops_away=None))
    assert last.updates == 0
    very = _route(8.0, 6)  # 8 min more late at every stop
    outcomes = play_route(very, model, Policy(hysteresis=10, max_updates=1, stops_away=None))
    assert outcomes[-1].updates == 1  # capped at one, however far it drifts
    assert outcomes[-1].held != outcomes[-1].first
    assert max(o.updates for o in outcomes) == 1


def test_the_cap_can_allow_more_updates_and_zero_allows_none() -> None:
    model = _stub((-10, 10), (-10, 10))
    very = _route(8.0, 12)
    many = play_route(very, model, Policy(hysteresis=5, max_updates=3, stops_away=None))
    assert max(o.updates for o in many) == 3
    none = play_route(very, model, Policy(hysteresis=5, max_updates=0, stops_away=None))
    assert all(o.updates == 0 and o.held == o.first for o in none)


def test_the_stops_away_window_is_the_narrow_live_one_and_is_sent_once() -> None:
    model = _stub((-30, 30), (-4, 4))
    outcomes = play_route(_route(0.0, 8), model, Policy(stops_away=3))
    # Every stop but the first hears it: those already nearer than 3 stops at the first
    # arrival hear it then, the others when they come 3 stops away.
    assert [o.away_sent for o in outcomes] == [False, True, True, True, True, True, True, True]
    assert outcomes[-1].held[1] - outcomes[-1].held[0] == 10  # the minimum width
    assert outcomes[-1].first[1] - outcomes[-1].first[0] == 60
    s = summarize(outcomes)
    assert s["hit_rate"] == 1.0 and s["median_width_min"] == 10 and s["first_median_width_min"] == 60


def test_the_model_round_trips_through_json() -> None:
    model = fit([_route(1.0, 40, depot=d) for d in ("a", "b") for _ in range(10)])
    again = WindowModel.from_json(model.as_json())
    assert again.bands.keys() == model.bands.keys()
    assert again.band(LIVE, 4).lo == pytest.approx(model.band(LIVE, 4).lo, abs=1e-3)


def test_a_route_that_starts_later_than_usual_is_expected_that_much_later() -> None:
    usual = [_route(0.0, 30, start=5.0) for _ in range(40)]  # 5 min before the first stop
    model = fit(usual)
    assert model.start_offset == pytest.approx(-5.0)
    late = _route(0.0, 5, start=25.0)  # starts 20 minutes later than usual
    [state, *_] = route_states(late, model.start_offset)
    assert state.phase == START and state.lateness == pytest.approx(20.0)
    assert model.point(late.stops[2], state, 3) == pytest.approx(late.stops[2].planned + 20)
    assert WindowModel.from_json(model.as_json()).start_offset == pytest.approx(-5.0)
    assert fit(usual, use_start=False).start_offset is None


def test_a_long_history_learns_from_every_kth_live_state(monkeypatch: pytest.MonkeyPatch) -> None:
    import doorstep.windows.model as windows_model

    routes = [_route(1.0, 40) for _ in range(10)]
    full = fit(routes)
    monkeypatch.setattr(windows_model, "MAX_ERRORS", 2000)
    thinned = fit(routes)
    assert thinned.band(LIVE, 1).n < full.band(LIVE, 1).n / 2
    assert thinned.band(START, 1).n == full.band(START, 1).n  # the first window keeps every route
    assert thinned.band(LIVE, 1).median == pytest.approx(full.band(LIVE, 1).median)
