"""`doorstep bench ingest` with tiny numbers: it runs end to end and every event sent is stored.

Figures are printed, never asserted: speed is judged by reading the benchmark's output.
"""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from doorstep.bench.bare_app import TABLE as BARE_TABLE
from doorstep.bench.cli import bench
from doorstep.bench.ingest import sqlalchemy_url
from tests.conftest import OPERATOR_FILE

ENDPOINT_KEYS = {"endpoint", "requests", "ok_requests", "statuses", "events_sent",
                 "events_stored", "seconds", "requests_per_s", "events_per_s", "p50_ms", "p99_ms",
                 "server_cpu", "load_cpu"}


def stored(url: str, sql: str, run: str) -> int:
    engine = sa.create_engine(sqlalchemy_url(url))
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(sql), {"p": run + "-%"}).scalar_one())
    finally:
        engine.dispose()


@pytest.mark.parametrize("batch", [1, 5])
def test_bench_ingest_stores_every_event_sent(db_url: str, batch: int,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOORSTEP_CONFIG_FILE", str(OPERATOR_FILE))
    requests = 200
    result = CliRunner().invoke(bench, ["ingest", "--requests", str(requests), "--concurrency", "4",
                                        "--batch", str(batch), "--database-url", db_url, "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)

    assert {"run", "requests", "concurrency", "batch", "database", "cores", "bare", "doorstep",
            "ratio", "verified"} <= figures.keys()
    sent = requests * batch
    for label in ("bare", "doorstep"):
        assert figures[label].keys() >= ENDPOINT_KEYS
        assert figures[label]["events_sent"] == sent
        assert figures[label]["events_stored"] == sent
    assert figures["verified"] is True

    # Counted here too, not only by the benchmark.
    run = figures["run"]
    assert stored(db_url, "SELECT count(*) FROM events WHERE source = 'generic' "
                          "AND external_id LIKE :p", run) == sent
    assert stored(db_url, f"SELECT count(*) FROM {BARE_TABLE} WHERE external_id LIKE :p",
                  run) == sent


@pytest.fixture(autouse=True)
def _drop_the_bare_table(db_url: str):
    """The bare endpoint's table is not doorstep's: leave the shared test database as found."""
    yield
    engine = sa.create_engine(sqlalchemy_url(db_url))
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {BARE_TABLE}"))
    finally:
        engine.dispose()
