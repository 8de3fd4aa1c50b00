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


def run(history: Path | None, days: int, deliveries: int, seed: int) -> dict[str, Any]:
    if history is not None:
        rows = read_history(history)
        source = str(history)
    else:
        rows = simulated_history(days, deliveries, seed)
        source = f"simulated: {days} days × {deliveries} deliveries, seed {seed}"
    result = replay(rows)
    result["source"] = source
    return result


def as_json(result: dict[str, Any]) -> dict[str, Any]:
    return {side: {k: round(result[side][k], 4) for k in KEYS} for side in ("model", "baseline")}


def render(result: dict[str, Any], console: Console) -> None:
    m, b = result["model"], result["baseline"]
    pol = result["policy"]
    table = Table(title=f"Arrival windows — {result['source']}; fitted on "
                        f"{len(result['fit_dates'])} days, replayed on "
                        f"{len(result['replay_dates'])} ({m['deliveries']:,} arrivals)")
    table.add_column("figure")
    table.add_column("model", justify="right")
    table.add_column(f"baseline (planned ± {pol['baseline_half_width_min']:.0f} min)",
                     justify="right")
    table.add_column("target", justify="right")
    table.add_row("first window: arrivals inside", f"{m['first_hit_rate']:.1%}",
                  f"{b['first_hit_rate']:.1%}", "")
    table.add_row("first window: median width", f"{m['first_median_width_min']:.0f} min",
                  f"{b['first_median_width_min']:.0f} min", "")
    table.add_row("window held at arrival: inside", f"{m['hit_rate']:.1%}",
                  f"{b['hit_rate']:.1%}", f"≥ {pol['target']:.0%}")
    table.add_row("window held at arrival: median width", f"{m['median_width_min']:.0f} min",
                  f"{b['median_width_min']:.0f} min", "≤ 60 min")
    table.add_row("updates per delivery", f"{m['updates_per_delivery']:.3f}",
                  f"{b['updates_per_delivery']:.3f}", "≤ 1")
    table.add_row("\"N stops away\" windows per delivery",
                  f"{m['stops_away_per_delivery']:.3f}", f"{b['stops_away_per_delivery']:.3f}", "")
    console.print(table)
    console.print(f"Policy: first window at route start; an update when the live estimate is "
                  f"more than {pol['hysteresis_min']:.0f} min outside the window held (at most "
                  f"{pol['max_updates']} per delivery); a narrowed window at "
                  f"{pol['stops_away']} stops away; widest window {pol['max_width_min']:.0f} min.",
                  style="dim", highlight=False)
