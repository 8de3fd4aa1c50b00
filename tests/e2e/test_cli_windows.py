"""`doorstep windows fit` and `doorstep bench windows` as an operator runs them, in a child
process, on a small simulated history the test writes."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from doorstep.windows.history import simulated_history, write_history
from tests.conftest import OPERATOR_FILE
from tests.integration.http.processes import doorstep_bin

KEYS = {"first_hit_rate", "first_median_width_min", "hit_rate", "median_width_min",
        "updates_per_delivery"}


def run(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOORSTEP_")}
    env.update(DOORSTEP_DATA_DIR=str(tmp / "data"), DOORSTEP_CONFIG_FILE=str(OPERATOR_FILE),
               DOORSTEP_DATABASE_URL=f"sqlite:///{tmp / 'unused.db'}", COLUMNS="160")
    return subprocess.run([doorstep_bin(), *args], env=env, capture_output=True, text=True,
                          timeout=120, cwd=tmp)


@pytest.fixture
def history(tmp_path: Path) -> Path:
    path = tmp_path / "history.csv"
    write_history(path, simulated_history(3, 300, seed=11))
    return path


def test_fit_prints_what_it_learned_and_saves_the_model_in_the_data_dir(
        tmp_path: Path, history: Path) -> None:
    done = run(tmp_path, "windows", "fit", "--history", str(history))
    assert done.returncode == 0, done.stderr
    assert "Arrival-window errors learned from" in done.stdout
    assert "start" in done.stdout and "live" in done.stdout and "p95" in done.stdout
    saved = tmp_path / "data" / "windows-model.json"
    assert str(saved) in done.stderr
    model = json.loads(saved.read_text())
    assert model["target"] == 0.9 and model["max_width_min"] == 120
    assert all(b["hi"] - b["lo"] <= 120 + 1e-6 for b in model["bands"].values())
    assert model["history"]["stops"] == len(history.read_text().splitlines()) - 1


def test_fit_writes_elsewhere_with_out_and_refuses_a_bad_file_by_line(
        tmp_path: Path, history: Path) -> None:
    out = tmp_path / "m.json"
    assert run(tmp_path, "windows", "fit", "--history", str(history), "--out", str(out),
               "--json").returncode == 0
    assert json.loads(out.read_text())["version"] == 1
    lines = history.read_text().splitlines()
    lines[5] = lines[5].replace("-04:00", "", 1)
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n")
    done = run(tmp_path, "windows", "fit", "--history", str(bad), "--out",
               str(tmp_path / "never.json"))
    assert done.returncode == 2
    assert f"{bad}:6, column" in done.stderr.replace("\n", "")
    assert not (tmp_path / "never.json").exists()


def test_bench_windows_json_has_the_figures_of_model_and_baseline(tmp_path: Path) -> None:
    done = run(tmp_path, "bench", "windows", "--json", "--days", "4", "--deliveries", "200")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert set(result) == {"model", "baseline"}
    for side in result.values():
        assert set(side) == KEYS
        assert 0 <= side["first_hit_rate"] <= 1 and 0 <= side["hit_rate"] <= 1
        assert 0 < side["median_width_min"] <= 120 and 0 < side["first_median_width_min"] <= 120
        assert 0 <= side["updates_per_delivery"] <= 1
    assert result["baseline"]["median_width_min"] == 60
    assert result["baseline"]["updates_per_delivery"] == 0
    assert result["model"]["hit_rate"] >= 0.85
    assert result["model"]["median_width_min"] <= 60


def test_bench_windows_table_on_a_given_history(tmp_path: Path, history: Path) -> None:
    done = run(tmp_path, "bench", "windows", "--history", str(history))
    assert done.returncode == 0, done.stderr
    assert "window held at arrival" in done.stdout and "baseline" in done.stdout
