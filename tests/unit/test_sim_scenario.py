"""The scenario file: defaults written out, partial files, and bad files refused by name."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from doorstep.config import ConfigError, load_operator
from doorstep.domain import FailureReason
from doorstep.sim import generate_day
from doorstep.sim.scenario import Scenario, load_scenario

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.toml"
    path.write_text(text)
    return path


def test_the_default_file_holds_the_model_defaults() -> None:
    assert load_scenario(ROOT / "scenarios" / "default.toml") == Scenario()
    assert load_scenario(None) == Scenario()


def test_every_default_value_is_commented() -> None:
    lines = (ROOT / "scenarios" / "default.toml").read_text().splitlines()
    values = [line for line in lines if "=" in line.split("#")[0]]
    assert len(values) > 60
    for line in values:
        assert "#" in line, f"no comment on: {line}"


def test_a_partial_file_keeps_the_other_defaults(tmp_path: Path) -> None:
    sc = load_scenario(write(tmp_path, """
[outcomes]
failure_rate = 0.3
[outcomes.reasons]
damaged = 1.0
[exceptions.breakdown]
rate = 0.5
delay = { median_minutes = 10 }
"""))
    assert sc.outcomes.failure_rate == 0.3
    assert sc.outcomes.reasons == {FailureReason.DAMAGED: 1.0}  # a table is replaced whole
    assert sc.outcomes.chronic_share == Scenario().outcomes.chronic_share
    assert sc.exceptions.breakdown.rate == 0.5
    assert sc.exceptions.breakdown.delay.median_minutes == 10
    assert sc.exceptions.breakdown.delay.max_minutes == 240  # the kind's own default stays
    assert sc.exceptions.breakdown.ends_route_share == 0.3


@pytest.mark.parametrize(("text", "field", "expected"), [
    ("[outcomes]\nfailure_rate = 1.5\n", "outcomes.failure_rate", "less than or equal to 1"),
    ("[outcomes]\nfailure_rat = 0.1\n", "outcomes.failure_rat", "Extra inputs are not permitted"),
    ("[outcomes.reasons]\nlost = 1.0\n", "outcomes.reasons.lost", "not_home"),
    ("[day]\nshift_start_earliest = \"seven\"\n", "day.shift_start_earliest", "time"),
    ("[day]\nshift_start_earliest = \"10:00\"\n", "day", "shift_start_latest"),
    ("[exceptions.incident]\nseverities = { dire = 1.0 }\n", "exceptions.incident.severities", "critical"),
    ("[windows]\nwidths_hours = [2, 4]\nwidth_weights = [1]\n", "windows", "one weight per entry"),
    ("[recipients.reply_intents]\nshout = 1.0\n", "recipients.reply_intents.shout", "reschedule"),
])
def test_a_bad_file_is_refused_naming_file_and_field(tmp_path: Path, text: str, field: str,
                                                       expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_scenario(path)
    message = str(err.value)
    assert str(path) in message
    assert "scenario" in message
    assert field in message
    assert expected in message


def test_a_missing_or_broken_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such scenario file"):
        load_scenario(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_scenario(write(tmp_path, "[outcomes\n"))


def test_a_mix_naming_an_unknown_depot_is_refused() -> None:
    operator = load_operator(ROOT / "doorstep.toml")
    sc = Scenario.model_validate({"mix": {"depots": {"atlantis": 2.0}}})
    with pytest.raises(ValueError, match=r"mix\.depots\.atlantis"):
        generate_day(operator, sc, date(2025, 3, 14), 1, 10)
