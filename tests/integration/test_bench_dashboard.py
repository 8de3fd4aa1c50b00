"""`doorstep bench dashboard` on a small day: it runs end to end and every endpoint answers 200.

Figures are printed, never asserted: speed is judged by reading the benchmark's output.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from rich.console import Console
from typer.testing import CliRunner

from doorstep.bench import dashboard
from doorstep.bench.cli import bench
from doorstep.bench.ingest import BenchError
from tests.conftest import OPERATOR_FILE

FIGURES = {"p50_ms", "p95_ms", "p99_ms", "max_ms", "requests", "failures"}
PAGES = {"healthz", "today_market", "today_all", "today_market_live", "today_market_shipper",
         "delivery_page", "route_page"}
API = {"api_deliveries", "api_deliveries_shipper", "api_delivery"}
HAS_API = importlib.util.find_spec("doorstep.web.api") is not None


@pytest.fixture(autouse=True)
def _operator_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOORSTEP_CONFIG_FILE", str(OPERATOR_FILE))


def check_figures(figures: dict, requests: int) -> None:
    assert figures["ok"] is True, figures.get("failed_endpoints")
    assert figures["failed_endpoints"] == {}
    assert figures["date"] == "2026-11-24"
    assert figures["deliveries_on_day"] > 0 and figures["events"] > figures["deliveries"]
    assert figures["floor"] == "healthz"
    assert figures["endpoints"].keys() == PAGES | API
    for key in PAGES | (API if HAS_API else set()):
        e = figures["endpoints"][key]
        assert e.keys() >= FIGURES, key
        assert e["available"] is True
        assert e["requests"] == requests
        assert e["failures"] == 0
        assert e["statuses"] == {"200": requests}, key
        assert 0 < e["p50_ms"] <= e["p95_ms"] <= e["p99_ms"] <= e["max_ms"]
    if HAS_API:
        for key in ("api_deliveries", "api_deliveries_shipper"):
            assert figures["endpoints"][key]["items"] > 0
            assert figures["endpoints"][key]["foreign_items"] == 0
    else:
        for key in API:
            assert figures["endpoints"][key]["note"] == dashboard.NOT_AVAILABLE
    raw = figures["raw_sql"]
    assert raw["rows"] == figures["deliveries"] and raw["p50_ms"] >= 0


def test_bench_dashboard_on_a_fresh_simulated_day() -> None:
    requests = 10
    result = CliRunner().invoke(bench, ["dashboard", "--deliveries", "300", "--requests",
                                        str(requests), "--concurrency", "2", "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["simulated_here"] is True
    assert figures["deliveries"] == 300
    check_figures(figures, requests)


def test_bench_dashboard_on_a_given_database_leaves_it_as_found(
        tmp_path: Path, sqlite_template: Path) -> None:
    console = Console(stderr=True)
    url, _ = dashboard.simulate_day(200, 3, tmp_path, OPERATOR_FILE, console)

    figures = dashboard.run(deliveries=1, seed=3, requests=5, concurrency=2, database_url=url,
                            console=console)
    assert figures["simulated_here"] is False
    assert figures["deliveries"] == 200
    check_figures(figures, 5)
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:  # the bench's people, sessions and tokens are gone
            for table in ("users", "sessions", "api_tokens"):
                assert conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one() == 0
    finally:
        engine.dispose()

    empty = tmp_path / "empty.db"  # migrated, never simulated: refused with the reason
    shutil.copy(sqlite_template, empty)
    with pytest.raises(BenchError, match="no deliveries or routes on 2026-11-24"):
        dashboard.run(deliveries=1, seed=3, requests=5, concurrency=2,
                      database_url=f"sqlite:///{empty}", console=console)
