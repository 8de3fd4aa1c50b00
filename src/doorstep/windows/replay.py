"""Fit on the earlier days of a history, replay the later days stop by stop, and measure the
windows a recipient would have held, for the model and for the naive baseline."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from doorstep.windows.history import StopRow
from doorstep.windows.model import Route, Stop, fit
from doorstep.windows.policy import Policy, fixed_window, play_route, summarize

BASELINE_HALF_WIDTH = 30.0  # minutes: planned time ± 30 min, as Routific does


def _minutes(at: Any) -> float:
    return float(at.timestamp()) / 60.0


def routes_from(rows: Sequence[StopRow]) -> list[Route]:
    """The routes of a history, one per (date, route_id), in date then id order."""
    grouped: dict[tuple[str, str], list[StopRow]] = {}
    for r in rows:
        grouped.setdefault((r.date.isoformat(), r.route_id), []).append(r)
    routes = []
    for key in sorted(grouped):
        rs = grouped[key]
        stops = tuple(Stop(r.stop_sequence, _minutes(r.planned_arrival), _minutes(r.actual_arrival))
                      for r in sorted(rs, key=lambda r: r.stop_sequence))
        routes.append(Route(rs[0].depot, min(_minutes(r.route_started_at) for r in rs), stops))
    return routes


def split_days(rows: Sequence[StopRow], test_share: float = 0.3
               ) -> tuple[list[StopRow], list[StopRow], list[str], list[str]]:
    """(fit rows, replay rows, fit dates, replay dates): the later `test_share` of the dates
    (at least one) are replayed; at least one date is kept to fit on."""
    dates = sorted({r.date.isoformat() for r in rows})
    if len(dates) < 2:
        raise ValueError("the history needs at least two dates: earlier ones to fit on, "
                         "later ones to replay")
    n_test = min(len(dates) - 1, max(1, round(len(dates) * test_share)))
    fit_dates, test_dates = dates[:-n_test], dates[-n_test:]
    later = set(test_dates)
    return ([r for r in rows if r.date.isoformat() not in later],
            [r for r in rows if r.date.isoformat() in later], fit_dates, test_dates)


def run(rows: Sequence[StopRow], *, target: float = 0.90, max_width: float = 120.0,
        policy: Policy | None = None, baseline_half_width: float = BASELINE_HALF_WIDTH
        ) -> dict[str, Any]:
    policy = policy or Policy()
    fit_rows, test_rows, fit_dates, test_dates = split_days(rows)
    model = fit(routes_from(fit_rows), target=target, max_width=max_width)
    test = routes_from(test_rows)
    ours = [o for route in test for o in play_route(route, model, policy)]
    no_away = Policy(policy.hysteresis, policy.max_updates, None)
    updates_only = [o for route in test for o in play_route(route, model, no_away)]
    naive = [o for route in test for o in play_route(route, fixed_window(baseline_half_width),
                                                     policy, live=False)]
    return {
        "model": summarize(ours),
        "baseline": summarize(naive),
        "model_without_stops_away": summarize(updates_only),
        "fit_dates": fit_dates, "replay_dates": test_dates,
        "fit_stops": len(fit_rows), "replay_stops": len(test_rows),
        "policy": {"target": target, "max_width_min": max_width,
                   "hysteresis_min": policy.hysteresis, "max_updates": policy.max_updates,
                   "stops_away": policy.stops_away,
                   "baseline_half_width_min": baseline_half_width},
    }
