"""GET /healthz, /readyz (and /) over real HTTP, including when a dependency is down."""

from __future__ import annotations

import shutil
import sqlite3
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from doorstep.store.db import Database
from doorstep.store.migrate import upgrade
from tests.conftest import PG_URL, need
from tests.integration.http.processes import (
    Server,
    Service,
    delivery_event,
    doorstep_env,
    encode,
    free_port,
    pg_admin,
    pg_url_for,
    signed,
    statuses,
)


def test_healthz_answers_200(server: Server) -> None:
    r = server.client.get("/healthz")

    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


def test_readyz_answers_200_with_its_checks(server: Server) -> None:
    r = server.client.get("/readyz")

    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ready"] is True
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["schema"] == "ok"
    assert body["checks"]["queue"].startswith("ok (")


def test_the_home_page_leads_to_today_and_today_to_the_login(server: Server) -> None:
    home = server.client.get("/", follow_redirects=False)
    today = server.client.get("/today", follow_redirects=False)
    login = server.client.get(today.headers["location"])

    assert (home.status_code, home.headers["location"]) == (303, "/today")
    assert (today.status_code, today.headers["location"]) == (303, "/login?next=/today")
    assert login.status_code == 200 and "text/html" in login.headers["content-type"]
    assert "Brightline Last Mile (demo)" in login.text and 'name="password"' in login.text


def _readyz(service: Service) -> httpx.Response:
    return httpx.get(service.base_url + "/readyz", timeout=10.0)


def _wait_readyz(service: Service, status: int, timeout: float = 15.0) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        r = _readyz(service)
        if r.status_code == status or time.monotonic() > deadline:
            return r
        time.sleep(0.1)


@pytest.fixture
def web_on_unreachable_redis(tmp_path: Path, sqlite_template: Path) -> Iterator[Service]:
    """`doorstep web` whose queue (Redis) is a port where nothing listens."""
    db_path = tmp_path / "doorstep.db"
    shutil.copy(sqlite_template, db_path)
    env = doorstep_env(tmp_path / "var", f"sqlite:///{db_path}",
                       DOORSTEP_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    service = Service(["web"], env, tmp_path, port=free_port())
    try:
        yield service.start().wait_healthy()
    finally:
        service.stop()


def test_readyz_answers_503_naming_the_queue_when_redis_is_unreachable(
        web_on_unreachable_redis: Service) -> None:
    healthz = httpx.get(web_on_unreachable_redis.base_url + "/healthz", timeout=10.0)
    r = _readyz(web_on_unreachable_redis)

    assert healthz.status_code == 200  # the process is up ...
    assert r.status_code == 503, r.text  # ... but not ready, and says why
    body = r.json()
    assert body["ready"] is False
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["queue"].startswith("unreachable")


def _set_revision(db_path: Path, revision: str) -> str:
    """Write the schema revision the database claims; return the one it had."""
    with sqlite3.connect(db_path) as conn:
        (old,) = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        conn.execute("UPDATE alembic_version SET version_num = ?", (revision,))
    return str(old)


def test_readyz_answers_503_naming_the_schema_when_it_is_not_current(
        tmp_path: Path, sqlite_template: Path) -> None:
    """`doorstep web` on a current schema; then the database says another revision (a
    downgrade, say): /readyz names the schema and what to run, and recovers with it."""
    db_path = tmp_path / "doorstep.db"
    shutil.copy(sqlite_template, db_path)
    service = Service(["web"], doorstep_env(tmp_path / "var", f"sqlite:///{db_path}"), tmp_path,
                      port=free_port())
    try:
        service.start().wait_healthy()
        assert _readyz(service).json()["checks"]["schema"] == "ok"

        head = _set_revision(db_path, "0000_an_older_revision")
        down = _readyz(service)
        _set_revision(db_path, head)
        up = _readyz(service)
    finally:
        service.stop()

    assert down.status_code == 503, down.text
    assert down.json()["ready"] is False
    assert down.json()["checks"]["schema"] == "not migrated (run doorstep migrate)"
    assert down.json()["checks"]["database"] == "ok"
    assert up.status_code == 200, up.text


@pytest.mark.parametrize("command", [["web"], ["worker"]], ids=["web", "worker"])
def test_web_and_worker_refuse_to_start_on_a_database_not_migrated(
        tmp_path: Path, command: list[str]) -> None:
    """Rather than answer 500 to every webhook (or fail every job), they say what to run."""
    env = doorstep_env(tmp_path / "var", f"sqlite:///{tmp_path / 'empty.db'}")
    service = Service(command, env, tmp_path, port=free_port() if command == ["web"] else None)
    service.start()
    try:
        code = service.wait_exit(timeout=60)
    finally:
        service.stop()
    log = service.log()

    assert code == 2, log
    assert "doorstep cannot start" in log and "run `doorstep migrate`" in log, log
    assert "Traceback" not in log


@pytest.fixture
def pg_scratch_database() -> Iterator[str]:
    """A migrated PostgreSQL database of its own (it is made unreachable, then dropped)."""
    need(bool(PG_URL), "PostgreSQL (DOORSTEP_TEST_PG_URL)")
    assert PG_URL
    name = f"doorstep_readyz_{uuid.uuid4().hex[:10]}"
    pg_admin(PG_URL, f'CREATE DATABASE "{name}"')
    url = pg_url_for(PG_URL, name)
    try:
        db = Database(url)
        upgrade(db)
        db.dispose()
        yield url
    finally:
        pg_admin(PG_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.pg
def test_readyz_answers_503_naming_the_database_while_it_is_unreachable(
        pg_scratch_database: str, tmp_path: Path) -> None:
    """The database refuses connections while `doorstep web` runs: /readyz says 503 and names
    the database, a webhook is not acknowledged (so the sender retries), and both recover."""
    assert PG_URL
    name = pg_scratch_database.rsplit("/", 1)[1]
    service = Service(["web"], doorstep_env(tmp_path / "var", pg_scratch_database), tmp_path,
                      port=free_port())
    observer = Database(pg_scratch_database)
    try:
        service.start().wait_healthy()
        assert _readyz(service).status_code == 200

        pg_admin(PG_URL, f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false',
                 f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                 f"WHERE datname = '{name}' AND pid <> pg_backend_pid()")
        down = _wait_readyz(service, 503)
        event = delivery_event()
        body = encode(event)
        during = httpx.post(service.base_url + "/webhooks/generic", content=body,
                            headers=signed(body), timeout=30.0)

        assert down.status_code == 503, down.text
        assert down.json()["ready"] is False
        assert down.json()["checks"]["database"].startswith("unreachable")
        assert down.json()["checks"]["queue"].startswith("ok")
        assert during.status_code >= 500, during.text  # never a 2xx for what was not stored
        assert httpx.get(service.base_url + "/healthz", timeout=10.0).status_code == 200

        pg_admin(PG_URL, f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
        up = _wait_readyz(service, 200)
        retried = httpx.post(service.base_url + "/webhooks/generic", content=body,
                             headers=signed(body), timeout=30.0)

        assert up.status_code == 200, up.text
        assert retried.status_code == 202 and retried.json()["stored"] == 1
        assert statuses(observer, [event["id"]]) == {event["id"]: "stored"}  # no worker: `web`
    finally:
        observer.dispose()
        service.stop()
        pg_admin(PG_URL, f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
