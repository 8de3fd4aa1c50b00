"""The development webhook secret: made once, readable by its owner only, then reused."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from doorstep.config import Settings
from doorstep.runtime import generic_webhook_secret
from tests.conftest import OPERATOR_FILE


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    old = os.umask(0)  # the worst case: nothing masked
    try:
        yield
    finally:
        os.umask(old)


def dev_settings(tmp_path: Path) -> Settings:
    return Settings(database_url="sqlite://", data_dir=tmp_path / "var",
                    config_file=OPERATOR_FILE, generic_webhook_secret=None)


def test_the_dev_secret_is_owner_only_and_reused(tmp_path: Path,
                                                  permissive_umask: None) -> None:
    settings = dev_settings(tmp_path)
    first = generic_webhook_secret(settings)
    path = tmp_path / "var" / "generic-webhook-secret"
    assert first.startswith("whsec_") and len(first) > 40
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # even with a umask that allows more
    assert generic_webhook_secret(settings) == first


def test_a_configured_secret_writes_no_file(tmp_path: Path) -> None:
    settings = Settings(database_url="sqlite://", data_dir=tmp_path / "var",
                        config_file=OPERATOR_FILE, generic_webhook_secret="whsec_abc")
    assert generic_webhook_secret(settings) == "whsec_abc"
    assert not (tmp_path / "var").exists()
