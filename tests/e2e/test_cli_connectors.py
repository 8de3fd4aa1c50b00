"""`doorstep connectors check|register-webhooks|sync` as an operator runs them, in a child
process, against the local fakes of Onfleet and OptimoRoute and a doorstep served to receive
Onfleet's validation handshake."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from doorstep.config import load_settings
from doorstep.runtime import Runtime
from doorstep.sim.fakes.onfleet import FakeOnfleet
from doorstep.sim.fakes.optimoroute import FakeOptimoRoute
from doorstep.sim.fakes.serving import Served
from doorstep.web.app import create_app
from tests.conftest import OPERATOR_FILE
from tests.integration.http.processes import doorstep_bin, doorstep_env

PLATFORMS = """
[platforms.onfleet]
default_depot = "nyc-bk"
default_shipper = "threadline"

[platforms.optimoroute]
default_depot = "chi-w"
default_shipper = "freshcart"
"""


@dataclass
class Setup:
    env: dict[str, str]
    tmp: Path
    onfleet: FakeOnfleet
    doorstep_url: str

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([doorstep_bin(), "connectors", *args], env={**self.env, **env},
                              cwd=self.tmp, capture_output=True, text=True, timeout=120,
                              check=False)


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    config = tmp_path / "operator.toml"
    config.write_text(OPERATOR_FILE.read_text() + PLATFORMS)
    db_url = f"sqlite:///{tmp_path / 'doorstep.db'}"
    with FakeOnfleet(seed=5) as onfleet, FakeOptimoRoute(seed=5) as optimoroute:
        env = doorstep_env(tmp_path / "var", db_url, DOORSTEP_CONFIG_FILE=str(config),
                           DOORSTEP_ONFLEET_API_KEY=onfleet.api_key,
                           DOORSTEP_ONFLEET_BASE_URL=onfleet.base_url,
                           DOORSTEP_ONFLEET_WEBHOOK_SECRET=onfleet.webhook_secret,
                           DOORSTEP_OPTIMOROUTE_API_KEY=optimoroute.api_key,
                           DOORSTEP_OPTIMOROUTE_BASE_URL=optimoroute.url + "/v1")
        assert subprocess.run([doorstep_bin(), "migrate"], env=env, cwd=tmp_path,
                              capture_output=True, check=False).returncode == 0
        # doorstep itself, so that Onfleet's `?check=` handshake finds it.
        settings = load_settings(database_url=db_url, data_dir=tmp_path / "var",
                                 config_file=config, onfleet_api_key=onfleet.api_key,
                                 onfleet_webhook_secret=onfleet.webhook_secret)
        rt = Runtime.build(settings)
        served = Served("doorstep")
        url = served.start(create_app(rt))
        try:
            yield Setup(env, tmp_path, onfleet, url)
        finally:
            served.stop()
            rt.db.dispose()


def test_check_says_what_is_missing_register_adds_it_once_and_check_then_passes(
        setup: Setup) -> None:
    before = setup.run("check", "--url", setup.doorstep_url)
    registered = setup.run("register-webhooks", "--url", setup.doorstep_url)
    again = setup.run("register-webhooks", "--url", setup.doorstep_url)
    after = setup.run("check", "--url", setup.doorstep_url)

    assert before.returncode == 1, before.stdout + before.stderr
    assert "missing" in before.stdout and "onfleet" in before.stdout
    assert registered.returncode == 0, registered.stderr
    added = int(registered.stdout.split("onfleet: ")[1].split(" added")[0])
    assert added > 0 and added == len(setup.onfleet.org.webhooks)
    assert "onfleet: 0 added" in again.stdout  # nothing twice
    assert len(setup.onfleet.org.webhooks) == added
    assert after.returncode == 0, after.stdout + after.stderr
    assert "optimoroute" in after.stdout and "works" in after.stdout


def test_a_refused_key_is_said_and_fails_the_check(setup: Setup) -> None:
    answer = setup.run("check", "--json", DOORSTEP_OPTIMOROUTE_API_KEY="not-the-key")

    assert answer.returncode == 1
    assert '"platform": "optimoroute"' in answer.stdout
    assert '"key_works": false' in answer.stdout


def test_without_any_platform_configured_it_says_which_settings_turn_one_on(
        setup: Setup) -> None:
    env = {k: v for k, v in setup.env.items() if "ONFLEET" not in k and "OPTIMOROUTE" not in k}
    answer = subprocess.run([doorstep_bin(), "connectors", "check"], env=env, cwd=setup.tmp,
                            capture_output=True, text=True, timeout=120, check=False)

    assert answer.returncode == 2
    assert "DOORSTEP_ONFLEET_API_KEY" in answer.stderr


def test_sync_reads_the_platforms_and_says_what_it_stored(setup: Setup) -> None:
    answer = setup.run("sync")

    assert answer.returncode == 0, answer.stderr
    assert "onfleet: read" in answer.stdout and "optimoroute: read" in answer.stdout
