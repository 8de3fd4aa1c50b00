"""`doorstep bench windows`: windows learned on the earlier days of a stop history, replayed
stop by stop on the later days, beside the naive planned time ± 30 minutes in the same run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from doorstep.windows.history import read_history, simulated_history
from doorstep.windows.replay import run as replay

KEYS = ("first_hit_rate", "first_median_width_min", "hit_rate", "median_width_min",
        "updates_per_delivery")


def run(history: Path | None, days: int, deliveries: int, seed: int,
        scenario: Path | None = None) -> dict[str, Any]:
    if history is not None:
        rows = read_history(history)
        source = str(history)
    else:
        rows = simulated_history(days, deliveries, seed, scenario_file=scenario)
        source = (f"simulated ({scenario.name if scenario else 'default scenario'}): {days} "
                  f"days × {deliveries} deliveries, seed {seed}")
    result = replay(rows)
    result["source"] = source
    return result


def as_json(result: dict[str, Any]) -> dict[str, Any]:
    return {side: {k: round(result[side][k], 4) for k in KEYS} for side in ("model", "baseline")}


def render(result: dict[str, Any], console: Console) -> None:
    m, b, u = result["model"], result["baseline"], result["model_without_stops_away"]
    pol = result["policy"]
    table = Table(title=f"Arrival windows — {result['source']}; fitted on "
                        f"{len(result['fit_dates'])} days, replayed on "
                        f"{len(result['replay_dates'])} ({m['deliveries']:,} arrivals)")
    table.add_column("figure")
    table.add_column("model", justify="right")
    table.add_column("model, no \"stops away\" window", justify="right")
    table.add_column(f"baseline (planned ± {pol['baseline_half_width_min']:.0f} min)",
                     justify="right")
    table.add_column("target", justify="right")
    rows = (("first window: arrivals inside", "first_hit_rate", "{:.1%}", ""),
            ("first window: median width", "first_median_width_min", "{:.0f} min", ""),
            ("window held at arrival: inside", "hit_rate", "{:.1%}", f"≥ {pol['target']:.0%}"),
            ("window held at arrival: median width", "median_width_min", "{:.0f} min",
             "≤ 60 min"),
            ("updates per delivery", "updates_per_delivery", "{:.3f}", "≤ 1"),
            ("\"N stops away\" windows per delivery", "stops_away_per_delivery", "{:.3f}", ""))
    for label, key, fmt, target in rows:
        table.add_row(label, *(fmt.format(side[key]) for side in (m, u, b)), target)
    console.print(table)
    console.print(f"Policy: first window at route start; an update when the live estimate is "
                  f"more than {pol['hysteresis_min']:.0f} min outside the window held (at most "
                  f"{pol['max_updates']} per delivery); a narrowed window at "
                  f"{pol['stops_away']} stops away; widest window {pol['max_width_min']:.0f} min.",
                  style="dim", highlight=False)
