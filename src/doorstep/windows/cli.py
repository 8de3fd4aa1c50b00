"""`doorstep windows fit`: learn arrival windows from the operator's own stop history."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from doorstep.windows.saved import MODEL_FILE

windows = typer.Typer(help="Arrival windows learned from the operator's stop history.",
                      no_args_is_help=True, add_completion=False)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)



@windows.callback()
def _group() -> None:
    """Arrival windows learned from the operator's stop history."""


@windows.command()
def fit(
    history: Annotated[Path, typer.Option(help="Stop-history CSV (one row per stop; see the "
                                               "README).")],
    out_path: Annotated[Path | None, typer.Option(
        "--out", help=f"Where to save the model (JSON). Default: DOORSTEP_DATA_DIR/{MODEL_FILE}")] = None,
    target: Annotated[float, typer.Option(min=0.5, max=0.999,
                                          help="Share of arrivals the window must hold.")] = 0.90,
    max_width: Annotated[float, typer.Option(min=10, max=720,
                                             help="Widest window sent, minutes.")] = 120.0,
    config: Annotated[Path | None, typer.Option("--config", help="Operator file (TOML).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the model as JSON.")] = False,
) -> None:
    """Fit the window model on a history CSV, print what it learned, and save it."""
    from doorstep.windows.history import HistoryError, read_history
    from doorstep.windows.model import fit as fit_model
    from doorstep.windows.replay import routes_from

    try:
        rows = read_history(history)
    except HistoryError as e:
        err.print(Text("doorstep windows fit: ", style="red") + Text(str(e)))
        raise typer.Exit(2) from None
    if not rows:
        err.print(Text("doorstep windows fit: ", style="red") + Text(f"{history}: no stops"))
        raise typer.Exit(2)
    if out_path is None:
        from doorstep.cli import settings_from

        out_path = settings_from(config_file=config).data_dir / MODEL_FILE
    routes = routes_from(rows)
    model = fit_model(routes, target=target, max_width=max_width)
    doc = model.as_json()
    doc["history"] = {"file": str(history), "stops": len(rows), "routes": len(routes),
                      "dates": sorted({r.date.isoformat() for r in rows})}
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(out_path.name + ".tmp")
    tmp.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    tmp.replace(out_path)
    if as_json:
        typer.echo(json.dumps(doc, indent=2))
    else:
        render(doc, out)
    err.print(f"saved {out_path}", highlight=False, markup=False)


def _bucket_order(key: str) -> tuple[int, int]:
    phase, bucket = key.split("|")
    first = 10**9 if bucket == "*" else int(bucket.split("-")[0].rstrip("+"))
    return (0 if phase == "start" else 1, first)


def render(doc: dict[str, object], console: Console) -> None:
    bands = doc["bands"]
    assert isinstance(bands, dict)
    hist = doc.get("history", {})
    assert isinstance(hist, dict)
    table = Table(title=f"Arrival-window errors learned from {hist.get('stops', '?')} stops, "
                        f"{hist.get('routes', '?')} routes (target {doc['target']:.0%}, "
                        f"at most {doc['max_width_min']:.0f} min)")
    for column in ("from", "ahead", "n", "p05", "p25", "p50", "p75", "p95", "window", "width"):
        table.add_column(column, justify="left" if column in ("from", "ahead") else "right")
    for key in sorted(bands, key=_bucket_order):
        b = bands[key]
        phase, bucket = key.split("|")
        q = b["quantiles"]
        table.add_row(phase,
                      "all" if bucket == "*" else bucket, f"{b['n']:,}",
                      *(f"{q[k]:+.1f}" for k in ("p05", "p25", "p50", "p75", "p95")),
                      f"{b['lo']:+.0f}…{b['hi']:+.0f}", f"{b['hi'] - b['lo']:.0f}")
    console.print(table)
    depots = doc.get("depot_bands") or {}
    assert isinstance(depots, dict)
    if depots:
        console.print(f"Depots with buckets of their own: "
                      f"{', '.join(f'{d} ({len(bs)})' for d, bs in sorted(depots.items()))}",
                      highlight=False)
    console.print("Minutes of actual arrival − (planned + lateness of the last completed stop), "
                  "by stops ahead (from the route's start, or live after a stop); the window is "
                  "the shortest interval holding the target share of them.", style="dim",
                  highlight=False)
