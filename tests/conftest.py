"""Shared fixtures: real databases (SQLite always; PostgreSQL and Redis when configured)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from doorstep.clock import VirtualClock
from doorstep.config import Settings
from doorstep.runtime import Runtime
from doorstep.store.db import Database
from doorstep.store.migrate import upgrade
from doorstep.store.tables import metadata

ROOT = Path(__file__).resolve().parents[1]
OPERATOR_FILE = ROOT / "doorstep.toml"
TWILIO_AUTH_TOKEN = "test-twilio-auth-token"
IN_CI = os.environ.get("CI", "").lower() == "true"
PG_URL = os.environ.get("DOORSTEP_TEST_PG_URL")
REDIS_URL = os.environ.get("DOORSTEP_TEST_REDIS_URL")
START = datetime(2026, 11, 24, 6, 0, tzinfo=ZoneInfo("America/New_York"))


def need(condition: bool, what: str) -> None:
    """Skip with the reason, except in CI, where a missing service is a failure."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{what} is required in CI", pytrace=False)
    pytest.skip(f"{what} not available")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    db.dispose()
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[Database]:
    need(bool(PG_URL), "PostgreSQL (DOORSTEP_TEST_PG_URL)")
    assert PG_URL
    db = Database(PG_URL)
    with db.engine.begin() as conn:  # start clean: the schema is built by the migration
        metadata.drop_all(conn)
        conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    upgrade(db)
    yield db
    db.dispose()


def _truncate(db: Database) -> None:
    names = ", ".join(t.name for t in reversed(metadata.sorted_tables))
    with db.engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """A migrated, empty database on each engine."""
    if request.param == "sqlite":
        path = tmp_path / "doorstep.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    db = request.getfixturevalue("pg_database")
    _truncate(db)
    assert PG_URL
    return PG_URL


def make_settings(tmp_path: Path, db_url: str, **extra: object) -> Settings:
    return Settings(database_url=db_url, data_dir=tmp_path / "var", config_file=OPERATOR_FILE,
                    generic_webhook_secret="whsec_" + "dGVzdC1zZWNyZXQtZm9yLWRvb3JzdGVwLXRlc3RzISE=",
                    **{"twilio_auth_token": TWILIO_AUTH_TOKEN, **extra})  # type: ignore[arg-type]


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(START)


@pytest.fixture
def runtime(tmp_path: Path, db_url: str, clock: VirtualClock) -> Iterator[Runtime]:
    """The whole service minus the web: jobs run at once (Huey's immediate mode)."""
    rt = Runtime.build(make_settings(tmp_path, db_url), clock=clock, immediate=True)
    rt.sync_operator()
    yield rt
    rt.db.dispose()


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:8]
