"""`doorstep bench messages` runs end to end on a small outbox and checks what it measured."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.integration.http.processes import OPERATOR_FILE, doorstep_bin, doorstep_env


def test_bench_messages_drains_every_message_once_and_prints_its_figures(tmp_path: Path) -> None:
    env = doorstep_env(tmp_path / "var", f"sqlite:///{tmp_path / 'unused.db'}")
    done = subprocess.run([doorstep_bin(), "bench", "messages", "--messages", "60", "--renders",
                           "300", "--config", str(OPERATOR_FILE), "--json"], env=env,
                          cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False)

    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    outbox, templates = result["outbox"], result["templates"]
    assert outbox["messages"] == outbox["created_at_provider"] == 60
    assert outbox["statuses"] == {"sent": 60}
    assert outbox["outbox_per_second"] > 0 and outbox["raw_sdk_per_second"] > 0
    assert templates["renders"] == 300 and templates["render_per_second"] > 0
