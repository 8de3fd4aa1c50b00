"""A real `doorstep serve --no-simulator` per test module, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from doorstep.store.db import Database
from tests.conftest import PG_URL
from tests.integration.http.processes import (
    Server,
    Service,
    doorstep_env,
    free_port,
    truncate_all,
)


@pytest.fixture(scope="module",
                params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def server(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp(f"serve-{request.param}")
    if request.param == "sqlite":
        url = f"sqlite:///{workdir / 'doorstep.db'}"
    else:
        shared: Database = request.getfixturevalue("pg_database")  # migrated once per session
        truncate_all(shared)
        assert PG_URL
        url = PG_URL
    port = free_port()
    env = doorstep_env(workdir / "var", url, DOORSTEP_MAX_BODY_BYTES=Server.max_body,
                       DOORSTEP_REPLAY_WINDOW_SECONDS=Server.window)
    service = Service(["serve", "--no-simulator"], env, workdir, port=port)
    service.start()
    db = None
    client = None
    try:
        service.wait_healthy()
        db = Database(url)
        client = httpx.Client(base_url=service.base_url, timeout=30.0)
        yield Server(service, db, client)
    finally:
        if client is not None:
            client.close()
        if db is not None:
            db.dispose()
        service.stop()
