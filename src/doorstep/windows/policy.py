"""When a recipient hears of their window, replayed stop by stop: the first window at route
start, one update when the live estimate leaves the window held, a narrowed one N stops away;
and the figures of a replay (share of arrivals inside, widths, updates)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from doorstep.windows.model import (
    START,
    Route,
    State,
    Stop,
    WindowModel,
    quantile,
    route_states,
)


@dataclass(frozen=True, slots=True)
class Policy:
    """When a recipient hears about their window."""
    hysteresis: float = 10.0  # minutes the live estimate must be outside the window held
    max_updates: int = 1  # "running late, new window" messages per delivery
    stops_away: int | None = 3  # the narrowed "N stops away" window (None: not sent)


AWAY, UPDATE = "away", "update"


def next_change(window: tuple[float, float], updates: int, away_sent: bool, gap: int,
                point: float, policy: Policy) -> str | None:
    """What the live estimate asks of the window a recipient holds: the narrowed window once
    the driver is `stops_away` stops away or nearer (once: a stop that is already nearer when
    the route gets going hears how near), an update when the estimate has left the window by
    more than the hysteresis (up to `max_updates`), else nothing. The live notices
    (doorstep.workflows.notify) and the replay decide by this one rule."""
    if policy.stops_away is not None and gap <= policy.stops_away and not away_sent:
        return AWAY
    lo, hi = window
    if updates < policy.max_updates and (point < lo - policy.hysteresis
                                         or point > hi + policy.hysteresis):
        return UPDATE
    return None


@dataclass(slots=True)
class Held:
    first: tuple[float, float]
    window: tuple[float, float]
    updates: int = 0
    away_sent: bool = False


@dataclass(frozen=True, slots=True)
class Outcome:
    """One delivery's windows: the first one sent, the one held when the driver arrived."""
    actual: float
    first: tuple[float, float]
    held: tuple[float, float]
    updates: int
    away_sent: bool


def play_route(route: Route, window_of: Any, policy: Policy, live: bool = True) -> list[Outcome]:
    """Replay a route under a policy. `window_of(stop, state, gap)` gives a window; with
    `live`, `point_of` is window_of.point (a WindowModel's estimate) and updates are sent."""
    held: dict[int, Held] = {}
    outcomes: dict[int, Outcome] = {}
    model = window_of if isinstance(window_of, WindowModel) else None
    for state in route_states(route, model.start_offset if model else None):
        if state.completed is not None:
            h = held[state.completed]
            outcomes[state.completed] = Outcome(route.stops[state.completed].actual, h.first,
                                                h.window, h.updates, h.away_sent)
        for p in state.pending:
            stop = route.stops[p.index]
            if state.phase == START:
                w = _window(window_of, stop, state, p.gap, route.depot)
                held[p.index] = Held(w, w)
                continue
            if not live or model is None:
                continue
            h = held[p.index]
            change = next_change(h.window, h.updates, h.away_sent, p.gap,
                                 model.point(stop, state, p.gap, route.depot), policy)
            if change is not None:
                h.window = model.window(stop, state, p.gap, route.depot)
                h.away_sent = h.away_sent or change == AWAY
                h.updates += change == UPDATE
    return [outcomes[i] for i in sorted(outcomes)]


def _window(window_of: Any, stop: Stop, state: State, gap: int, depot: str
            ) -> tuple[float, float]:
    if isinstance(window_of, WindowModel):
        return window_of.window(stop, state, gap, depot)
    lo, hi = window_of(stop, state, gap)
    return float(lo), float(hi)


def fixed_window(half_width: float) -> Any:
    """The naive baseline: planned time ± a fixed half-width, whatever happens."""
    def window_of(stop: Stop, state: State, gap: int) -> tuple[float, float]:
        return stop.planned - half_width, stop.planned + half_width
    return window_of


def summarize(outcomes: Sequence[Outcome]) -> dict[str, float]:
    """Hit rate and median width of the first window and of the window held at arrival."""
    if not outcomes:
        return {"first_hit_rate": 0.0, "first_median_width_min": 0.0, "hit_rate": 0.0,
                "median_width_min": 0.0, "updates_per_delivery": 0.0,
                "stops_away_per_delivery": 0.0, "deliveries": 0}
    n = len(outcomes)

    def inside(w: tuple[float, float], t: float) -> bool:
        return w[0] <= t <= w[1]

    return {
        "first_hit_rate": sum(inside(o.first, o.actual) for o in outcomes) / n,
        "first_median_width_min": quantile(sorted(o.first[1] - o.first[0] for o in outcomes), 0.5),
        "hit_rate": sum(inside(o.held, o.actual) for o in outcomes) / n,
        "median_width_min": quantile(sorted(o.held[1] - o.held[0] for o in outcomes), 0.5),
        "updates_per_delivery": sum(o.updates for o in outcomes) / n,
        "stops_away_per_delivery": sum(o.away_sent for o in outcomes) / n,
        "deliveries": n,
    }
