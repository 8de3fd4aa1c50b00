"""The arrival-window model: pure data in, windows out (no I/O, no database).

An arrival is estimated as its planned time plus the lateness the route has shown so far (the
last completed stop's actual − planned; at the start, how much later than usual the route
started, measured against its first planned arrival), and the window around that
estimate comes from the empirical error of exactly that estimate in the operator's history,
bucketed by how many stops ahead the arrival is (at route start: the stop's position), and by
depot where the depot has enough history. Each bucket keeps the shortest interval of its errors
that holds the target share of them, never wider than the maximum width. So the window a
recipient is sent at route start is wide (many stops of drift ahead), and the live windows
narrow as the driver comes closer.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

START, LIVE = "start", "live"
# Upper bounds (inclusive) of the "stops ahead" buckets; the last one is open.
GAP_EDGES = (1, 2, 3, 5, 10, 20, 40, 80)
MIN_BUCKET = 30  # fewer errors than this: use the phase's pooled errors
MIN_DEPOT_BUCKET = 300  # a depot gets its own bucket with at least this many errors
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
MAX_ERRORS = 2_000_000  # a longer history learns from every k-th live state, to stay in memory
MODEL_VERSION = 1
ROUND_TO = 5.0  # minutes: a window sent to a person starts and ends on a multiple of this
MIN_WIDTH = 10.0  # minutes: no window narrower than this is sent


def gap_bucket(gap: int) -> str:
    low = 1
    for edge in GAP_EDGES:
        if gap <= edge:
            return str(edge) if low == edge else f"{low}-{edge}"
        low = edge + 1
    return f"{low}+"


@dataclass(frozen=True, slots=True)
class Stop:
    """One stop of a route; times in minutes on any common scale (e.g. POSIX minutes)."""
    seq: int
    planned: float
    actual: float


@dataclass(frozen=True, slots=True)
class Route:
    depot: str
    started: float
    stops: tuple[Stop, ...]


@dataclass(frozen=True, slots=True)
class Pending:
    index: int  # in route.stops
    gap: int  # stops still to serve up to and including this one (in planned order)


@dataclass(frozen=True, slots=True)
class State:
    """What is known at one moment of a route: at its start, then after each arrival."""
    at: float
    phase: str
    lateness: float  # minutes, of the last completed stop (0 at start)
    completed: int | None  # index of the stop just completed (None at start)
    pending: tuple[Pending, ...]


def start_gap(route: Route) -> float:
    """Minutes from the route's start to its first planned arrival (negative: the usual)."""
    return route.started - min(s.planned for s in route.stops)


def route_states(route: Route, start_offset: float | None = None) -> Iterator[State]:
    """The route's states in time order; stops are taken as served in their actual order,
    which need not be the plan's. With `start_offset` (the usual `start_gap` of a route), the
    lateness at the start is how much later than usual the route started; else 0."""
    order = sorted(range(len(route.stops)), key=lambda i: (route.stops[i].actual, i))
    by_plan = sorted(range(len(route.stops)), key=lambda i: (route.stops[i].planned,
                                                             route.stops[i].seq))
    done = [False] * len(route.stops)

    def pending() -> tuple[Pending, ...]:
        out, gap = [], 0
        for i in by_plan:
            if not done[i]:
                gap += 1
                out.append(Pending(i, gap))
        return tuple(out)

    late = 0.0 if start_offset is None or not route.stops else start_gap(route) - start_offset
    yield State(route.started, START, late, None, pending())
    for i in order:
        done[i] = True
        s = route.stops[i]
        yield State(s.actual, LIVE, s.actual - s.planned, i, pending())


def estimate(stop: Stop, state: State) -> float:
    """The point estimate of a stop's arrival in a state (before the bucket's median shift)."""
    return stop.planned + state.lateness


@dataclass(frozen=True, slots=True)
class Band:
    """A bucket's errors: count, quantiles, and the window's offsets from the estimate."""
    n: int
    lo: float
    hi: float
    median: float
    quantiles: dict[str, float] = field(default_factory=dict)

    @property
    def width(self) -> float:
        return self.hi - self.lo

    def as_json(self) -> dict[str, Any]:
        return {"n": self.n, "lo": round(self.lo, 3), "hi": round(self.hi, 3),
                "median": round(self.median, 3),
                "quantiles": {k: round(v, 3) for k, v in self.quantiles.items()}}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Band:
        return cls(int(raw["n"]), float(raw["lo"]), float(raw["hi"]), float(raw["median"]),
                   {str(k): float(v) for k, v in raw.get("quantiles", {}).items()})


def quantile(sorted_values: Sequence[float], q: float) -> float:
    """Linear-interpolated quantile of already sorted values."""
    if not sorted_values:
        raise ValueError("quantile of no values")
    pos = q * (len(sorted_values) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def rounded(lo: float, hi: float, step: float = ROUND_TO, min_width: float = MIN_WIDTH
            ) -> tuple[float, float]:
    """Widen a window to at least `min_width` (about its middle), then outwards to whole
    `step`s of the clock, as a person would be told it."""
    if hi - lo < min_width:
        mid = (lo + hi) / 2
        lo, hi = mid - min_width / 2, mid + min_width / 2
    return math.floor(lo / step + 1e-9) * step, math.ceil(hi / step - 1e-9) * step


def band_for(errors: Sequence[float], target: float, max_width: float) -> Band:
    """The shortest interval holding at least `target` of the errors; if that is wider than
    `max_width`, the interval of that width holding the most of them."""
    if not errors:
        raise ValueError("band of no errors")
    if not 0 < target <= 1:
        raise ValueError(f"target: expected a share in (0, 1], got {target}")
    xs = sorted(errors)
    n = len(xs)
    median = quantile(xs, 0.5)
    quantiles = {f"p{round(q * 100):02d}": quantile(xs, q) for q in QUANTILES}
    k = min(n, max(1, math.ceil(target * n)))
    best = min(range(n - k + 1), key=lambda i: (xs[i + k - 1] - xs[i], abs(i + k / 2 - n / 2)))
    lo, hi = xs[best], xs[best + k - 1]
    if hi - lo > max_width:
        lo, hi = _densest(xs, max_width)
    return Band(n, lo, hi, median, quantiles)


def _densest(xs: Sequence[float], width: float) -> tuple[float, float]:
    """The interval of `width` starting at an error that holds the most errors."""
    best_i, best_count, j = 0, 0, 0
    for i in range(len(xs)):
        while j < len(xs) and xs[j] <= xs[i] + width:
            j += 1
        if j - i > best_count:
            best_i, best_count = i, j - i
    return xs[best_i], xs[best_i] + width


@dataclass(slots=True)
class WindowModel:
    target: float
    max_width: float  # minutes, the whole window
    bands: dict[str, Band]  # "phase|bucket" and "phase|*"
    depot_bands: dict[str, dict[str, Band]] = field(default_factory=dict)
    start_offset: float | None = None  # the usual minutes from route start to first stop

    def band(self, phase: str, gap: int, depot: str | None = None) -> Band:
        key = f"{phase}|{gap_bucket(gap)}"
        if depot is not None and key in self.depot_bands.get(depot, {}):
            return self.depot_bands[depot][key]
        return self.bands.get(key) or self.bands[f"{phase}|*"]

    def window(self, stop: Stop, state: State, gap: int, depot: str | None = None
               ) -> tuple[float, float]:
        """(start, end) of the window for a pending stop, in the stops' minutes."""
        b = self.band(state.phase, gap, depot)
        base = estimate(stop, state)
        return rounded(base + b.lo, base + b.hi)

    def point(self, stop: Stop, state: State, gap: int, depot: str | None = None) -> float:
        """The live point estimate: the most likely arrival."""
        return estimate(stop, state) + self.band(state.phase, gap, depot).median

    def as_json(self) -> dict[str, Any]:
        return {"version": MODEL_VERSION, "target": self.target, "max_width_min": self.max_width,
                "bands": {k: b.as_json() for k, b in self.bands.items()},
                "depot_bands": {d: {k: b.as_json() for k, b in bs.items()}
                                for d, bs in self.depot_bands.items()},
                "start_offset_min": self.start_offset}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> WindowModel:
        if raw.get("version") != MODEL_VERSION:
            raise ValueError(f"not a version-{MODEL_VERSION} windows model")
        return cls(float(raw["target"]), float(raw["max_width_min"]),
                   {k: Band.from_json(v) for k, v in raw["bands"].items()},
                   {d: {k: Band.from_json(v) for k, v in bs.items()}
                    for d, bs in raw.get("depot_bands", {}).items()},
                   None if raw.get("start_offset_min") is None
                   else float(raw["start_offset_min"]))


def errors_of(routes: Sequence[Route], start_offset: float | None = None,
              live_every: int = 1) -> dict[tuple[str, str, str], list[float]]:
    """(depot, phase, bucket) → errors of the estimate, over every state of every route (of
    the live states, every `live_every`-th of each route)."""
    out: dict[tuple[str, str, str], list[float]] = {}
    for route in routes:
        for k, state in enumerate(route_states(route, start_offset)):
            if k % live_every:
                continue
            for p in state.pending:
                s = route.stops[p.index]
                key = (route.depot, state.phase, gap_bucket(p.gap))
                out.setdefault(key, []).append(s.actual - estimate(s, state))
    return out


def fit(routes: Sequence[Route], target: float = 0.90, max_width: float = 120.0,
        by_depot: bool = True, use_start: bool = True) -> WindowModel:
    """Learn the bands from routes already played. With `use_start`, a route that starts later
    than usual is expected that much later at every stop (the rest is the bands' error)."""
    routes = [r for r in routes if r.stops]
    if not routes:
        raise ValueError("no routes to learn from")
    offset = quantile(sorted(start_gap(r) for r in routes), 0.5) if use_start else None
    pairs = sum(len(r.stops) * (len(r.stops) + 3) // 2 for r in routes)
    errors = errors_of(routes, offset, max(1, math.ceil(pairs / MAX_ERRORS)))
    pooled: dict[str, list[float]] = {}
    for (_, phase, bucket), errs in errors.items():
        pooled.setdefault(f"{phase}|{bucket}", []).extend(errs)
        pooled.setdefault(f"{phase}|*", []).extend(errs)
    bands = {k: band_for(v, target, max_width) for k, v in pooled.items()
             if len(v) >= MIN_BUCKET or k.endswith("|*")}
    depot_bands: dict[str, dict[str, Band]] = {}
    if by_depot and len({d for d, _, _ in errors}) > 1:
        for (depot, phase, bucket), errs in errors.items():
            if len(errs) >= MIN_DEPOT_BUCKET:
                depot_bands.setdefault(depot, {})[f"{phase}|{bucket}"] = band_for(
                    errs, target, max_width)
    return WindowModel(target, max_width, bands, depot_bands, offset)
