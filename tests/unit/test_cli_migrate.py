"""`doorstep migrate` says which database it upgraded, never with its password."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from doorstep import serving
from doorstep.cli import app
from tests.conftest import OPERATOR_FILE


def test_migrate_names_the_database_without_its_password(
        monkeypatch: pytest.MonkeyPatch) -> None:
    prepared: list[Any] = []
    monkeypatch.setattr(serving, "prepare", lambda settings, migrate: prepared.append(migrate))
    monkeypatch.setenv("DOORSTEP_CONFIG_FILE", str(OPERATOR_FILE))
    monkeypatch.setenv("DOORSTEP_DATABASE_URL",
                       "postgresql+psycopg://doorstep:s3cr%40t-pw@db.internal:5432/doorstep")

    result = CliRunner().invoke(app, ["migrate"])

    assert result.exit_code == 0, result.output
    assert prepared == [True]
    assert "database is up to date: postgresql+psycopg://doorstep:***@db.internal:5432/doorstep" \
        in result.output
    assert "s3cr" not in result.output
