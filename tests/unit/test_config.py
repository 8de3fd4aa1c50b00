"""The operator's file: the demo file loads; a bad one is refused with file, field and reason."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from datetime import time
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from doorstep.config import ConfigError, load_operator, load_settings

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "doorstep.toml"


def demo() -> dict[str, Any]:
    return tomllib.loads(DEMO.read_text())


def test_the_demo_file_loads():
    cfg = load_operator(DEMO)
    assert cfg.operator.name
    assert {m.id for m in cfg.markets} >= {"nyc", "chi", "phx"}
    assert cfg.depot("nyc-bk").market == "nyc"
    assert cfg.market("phx").timezone == "America/Phoenix"
    assert cfg.policies.critical_severity == "high"
    assert cfg.policies.chronic_failures == 3
    assert cfg.policies.quiet_hours.start == time(8, 0)
    markets, depots, shippers = cfg.to_domain()
    assert len(markets) == len(cfg.markets) and len(depots) == len(cfg.depots)
    freshcart = next(s for s in shippers if s.id == "freshcart")
    assert freshcart.brand_primary == "#1B5E20" and freshcart.time_sensitive
    assert freshcart.languages == ["en", "es"]
    nyc = next(m for m in markets if m.id == "nyc")
    assert nyc.supervisor_email and nyc.supervisor_phone


def test_colours_are_normalised_to_upper_case(tmp_path):
    raw = demo()
    raw["shippers"][0]["brand"]["primary"] = "#1b5e20"
    path = tmp_path / "op.toml"
    path.write_text(tomli_w.dumps(raw))
    assert load_operator(path).shippers[0].brand.primary == "#1B5E20"


def _set(*keys: Any, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(raw: dict[str, Any]) -> None:
        node = raw
        for k in keys[:-1]:
            node = node[k]
        node[keys[-1]] = value
    return edit


def _dup_market(raw: dict[str, Any]) -> None:
    raw["markets"].append(dict(raw["markets"][0]))


def _drop(*keys: Any) -> Callable[[dict[str, Any]], None]:
    def edit(raw: dict[str, Any]) -> None:
        node = raw
        for k in keys[:-1]:
            node = node[k]
        del node[keys[-1]]
    return edit


BAD = [
    pytest.param(_set("markets", 0, "timezone", value="America/Atlantis"),
                 "markets[0].timezone", ["IANA time zone", "America/Atlantis"], id="timezone"),
    pytest.param(_set("shippers", 1, "brand", "primary", value="blue"),
                 "shippers[1].brand.primary", ["colour like", "'blue'"], id="colour"),
    pytest.param(_set("depots", 2, "market", value="mars"),
                 "depots[2].market", ["expected one of", "'mars'", "nyc"], id="depot-market"),
    pytest.param(_dup_market, "markets[3].id", ["'nyc'", "used twice"], id="duplicate-id"),
    pytest.param(_set("markets", 0, "colour", value="red"),
                 "markets[0].colour", ["not permitted"], id="unknown-field"),
    pytest.param(_set("polices", value={"chronic_failures": 2}),
                 "polices", ["not permitted"], id="unknown-section"),
    pytest.param(_set("policies", "chronic_failures", value=1),
                 "policies.chronic_failures", ["greater than or equal to 2"], id="range"),
    pytest.param(_set("policies", "critical_severity", value="urgent"),
                 "policies.critical_severity", ["low|medium|high|critical", "urgent"],
                 id="severity"),
    pytest.param(_set("depots", 0, "lat", value=123.0),
                 "depots[0].lat", ["less than or equal to 90"], id="latitude"),
    pytest.param(_drop("markets", 1, "timezone"),
                 "markets[1].timezone", ["required"], id="missing-field"),
    pytest.param(_set("shippers", value=[]),
                 "shippers", ["at least 1"], id="no-shippers"),
    pytest.param(_set("shippers", 0, "senders", "sms_from", value="555-0110"),
                 "shippers[0].senders.sms_from", ["pattern", "555-0110"], id="phone"),
    pytest.param(_set("platforms", value={"onfleet": {"default_depot": "nyc-bk",
                                                      "default_shipper": "acme"}}),
                 "platforms.onfleet.default_shipper", ["expected one of", "'acme'", "freshcart"],
                 id="platform-shipper"),
    pytest.param(_set("platforms", value={"circuit": {
        "default_depot": "nyc-bk", "default_shipper": "medirx",
        "depots": {"depots/Qk9Z": "nyc-xx"}}}),
                 "platforms.circuit.depots.depots/Qk9Z", ["expected one of", "'nyc-xx'"],
                 id="platform-depot"),
    pytest.param(_set("platforms", value={"routific": {"default_depot": "nyc-bk"}}),
                 "platforms.routific", ["not permitted"], id="unknown-platform"),
]


@pytest.mark.parametrize("edit,field,expected", BAD)
def test_a_bad_file_names_the_file_the_field_and_the_expectation(tmp_path, edit, field,
                                                                 expected):
    raw = demo()
    edit(raw)
    path = tmp_path / "operator.toml"
    path.write_text(tomli_w.dumps(raw))
    with pytest.raises(ConfigError) as err:
        load_operator(path)
    message = str(err.value)
    assert message.startswith(str(path))
    problem_lines = [line for line in message.splitlines() if field in line]
    assert problem_lines, message
    for word in expected:
        assert any(word in line for line in problem_lines), message


def test_invalid_toml_names_the_file_and_the_line(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text('[operator]\nname = "x"\n\n[[markets]\nid = "nyc"\n')
    with pytest.raises(ConfigError) as err:
        load_operator(path)
    message = str(err.value)
    assert message.startswith(str(path))
    assert "not valid TOML" in message and "line 4" in message


def test_a_missing_file_names_the_file_and_the_setting(tmp_path):
    path = tmp_path / "nowhere" / "doorstep.toml"
    with pytest.raises(ConfigError) as err:
        load_operator(path)
    assert str(path) in str(err.value)
    assert "no such file" in str(err.value)
    assert "DOORSTEP_CONFIG_FILE" in str(err.value)


def test_bad_settings_name_the_environment_and_field():
    with pytest.raises(ConfigError) as err:
        load_settings(port=70000, _env_file=None)
    assert "DOORSTEP_" in str(err.value) and "port" in str(err.value)


def test_settings_read_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("DOORSTEP_WORKERS", "5")
    monkeypatch.setenv("DOORSTEP_DATA_DIR", str(tmp_path))
    settings = load_settings()
    assert settings.workers == 5
    assert settings.huey_path == tmp_path / "huey.db"
