"""doorstep as an operator runs it: real processes, real signals, real restarts."""

from __future__ import annotations

import shutil
import signal
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from doorstep.store import event_log
from doorstep.store.db import Database
from doorstep.store.migrate import is_current
from doorstep.store.tables import depots, markets, metadata, shippers
from tests.conftest import REDIS_URL, need
from tests.integration.http.processes import (
    OPERATOR_FILE,
    Service,
    delivery_event,
    doorstep_bin,
    doorstep_env,
    encode,
    free_port,
    listening,
    signed,
    statuses,
    wait_for_status,
)

RUN_TIMEOUT = 60


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([doorstep_bin(), *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=RUN_TIMEOUT, stdin=subprocess.DEVNULL)


def post(service: Service, event: dict) -> httpx.Response:
    body = encode(event)
    return httpx.post(service.base_url + "/webhooks/generic", content=body,
                      headers=signed(body), timeout=30.0)


def reference_counts(db: Database) -> tuple[int, int, int]:
    with db.reading() as s:
        return tuple(int(s.scalar(sa.select(sa.func.count()).select_from(t)) or 0)
                     for t in (markets, depots, shippers))  # type: ignore[return-value]


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'data' / 'doorstep.db'}"


@pytest.fixture
def observer(sqlite_url: str) -> Iterator[Database]:
    db = Database(sqlite_url)
    yield db
    db.dispose()


@pytest.fixture
def services() -> Iterator[list[Service]]:
    """Every service a test starts is stopped (SIGTERM, then SIGKILL) when it ends."""
    started: list[Service] = []
    yield started
    for service in reversed(started):
        service.stop()


# --- a bad operator file --------------------------------------------------------------------


BAD_FILES = {
    "time zone": ('timezone = "America/New_York"', 'timezone = "America/New_Yrok"',
                  ["markets[0].timezone", "expected an IANA time zone", "'America/New_Yrok'"]),
    "depot in an unknown market": ('market = "chi"', 'market = "chicago"',
                                   ["depots[2].market", "expected one of", "'chicago'"]),
    "brand colour": ('primary = "#1B5E20"', 'primary = "green"',
                     ["shippers[0].brand.primary", "expected a colour like", "'green'"]),
    "not TOML": ("[[depots]]", "[[depots]", ["not valid TOML"]),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_serve_refuses_a_bad_operator_file_naming_file_field_and_expectation(
        tmp_path: Path, sqlite_url: str, case: str) -> None:
    good, bad, expected = BAD_FILES[case]
    text = OPERATOR_FILE.read_text()
    assert good in text
    # A deep path, as on a real server: the message must still name it whole.
    path = tmp_path / "etc" / "doorstep" / "operators" / "brightline-last-mile" / "doorstep.toml"
    path.parent.mkdir(parents=True)
    path.write_text(text.replace(good, bad, 1))
    port = free_port()
    env = doorstep_env(tmp_path / "var", sqlite_url, DOORSTEP_CONFIG_FILE=str(path))

    result = run(["serve", "--no-simulator", "--port", str(port)], env, tmp_path)

    assert result.returncode != 0
    assert str(path) in result.stderr, result.stderr
    for words in expected:
        assert words in result.stderr, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not listening(port)
    assert not (tmp_path / "data" / "doorstep.db").exists(), "refused, yet it touched the db"


# --- migrate, then serve, twice -------------------------------------------------------------


def test_migrate_creates_the_schema_and_serve_is_idempotent_on_rerun(
        tmp_path: Path, sqlite_url: str, observer: Database, services: list[Service]) -> None:
    env = doorstep_env(tmp_path / "var", sqlite_url)

    first = run(["migrate"], env, tmp_path)

    assert first.returncode == 0, first.stderr
    assert "up to date" in first.stderr
    tables = set(sa.inspect(observer.engine).get_table_names())
    assert set(metadata.tables) <= tables
    assert "alembic_version" in tables
    assert is_current(observer)
    assert reference_counts(observer) == (3, 4, 4)  # the operator file's markets, depots, shippers

    second = run(["migrate"], env, tmp_path)
    assert second.returncode == 0, second.stderr
    assert is_current(observer)

    event = delivery_event()
    for attempt in range(2):
        service = Service(["serve", "--no-simulator"], env, tmp_path, port=free_port())
        services.append(service)
        service.start().wait_healthy()
        assert httpx.get(service.base_url + "/readyz", timeout=10).status_code == 200
        r = post(service, event)
        assert r.status_code == 202, r.text
        assert r.json()["stored"] == (1 if attempt == 0 else 0)
        wait_for_status(observer, [event["id"]], "processed")
        assert service.stop() in (0, -signal.SIGTERM)

    assert is_current(observer)
    assert reference_counts(observer) == (3, 4, 4)
    assert "Traceback" not in service.log()


# --- Ctrl-C, then a restart -----------------------------------------------------------------


def test_ctrl_c_stops_serve_cleanly_and_a_restart_continues_with_the_same_data(
        tmp_path: Path, sqlite_url: str, observer: Database, services: list[Service]) -> None:
    env = doorstep_env(tmp_path / "var", sqlite_url)
    port = free_port()
    service = Service(["serve", "--no-simulator"], env, tmp_path, port=port)
    services.append(service)
    service.start().wait_healthy()
    first = delivery_event()
    assert post(service, first).status_code == 202
    wait_for_status(observer, [first["id"]], "processed")

    service.send(signal.SIGINT)
    code = service.wait_exit(timeout=20)

    assert code in (0, 128 + signal.SIGINT, -signal.SIGINT), service.log()
    assert "Traceback" not in service.log()
    assert not listening(port)

    service.start().wait_healthy()
    again = post(service, first)
    second = delivery_event()
    accepted = post(service, second)

    assert again.status_code == 202 and again.json() == {"stored": 0, "duplicates": 1}
    assert accepted.status_code == 202 and accepted.json() == {"stored": 1, "duplicates": 0}
    wait_for_status(observer, [first["id"], second["id"]], "processed")
    with observer.reading() as s:
        assert event_log.count_by_status(s) == {"processed": 2}


# --- kill -9 in the middle of a stream ------------------------------------------------------


class Stream:
    """Senders posting new events until told to stop; they remember what got a 2xx."""

    def __init__(self, service: Service, senders: int = 4) -> None:
        self.service = service
        self.accepted: list[str] = []
        self.refused: list[tuple[int, str]] = []  # non-2xx answers (there should be none)
        self.failed = 0  # no answer: connection refused or reset
        self.stop = threading.Event()
        self.changed = threading.Condition()
        self.threads = [threading.Thread(target=self._send, daemon=True) for _ in range(senders)]

    def __enter__(self) -> Stream:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=60)

    def _send(self) -> None:
        with httpx.Client(base_url=self.service.base_url, timeout=10.0) as client:
            while not self.stop.is_set():
                event = delivery_event()
                body = encode(event)
                try:
                    r = client.post("/webhooks/generic", content=body, headers=signed(body))
                except httpx.TransportError:
                    with self.changed:
                        self.failed += 1
                        self.changed.notify_all()
                    continue
                with self.changed:
                    if r.is_success:
                        self.accepted.append(event["id"])
                    else:
                        self.refused.append((r.status_code, r.text))
                    self.changed.notify_all()

    def wait_until(self, accepted: int, timeout: float = 30.0) -> None:
        with self.changed:
            ok = self.changed.wait_for(lambda: len(self.accepted) >= accepted, timeout=timeout)
        assert ok, f"only {len(self.accepted)} accepted in {timeout}s:\n{self.service.log()}"

    def wait_for_failures(self, count: int, timeout: float = 30.0) -> None:
        with self.changed:
            ok = self.changed.wait_for(lambda: self.failed >= count, timeout=timeout)
        assert ok, "the senders never noticed the server was gone"


def test_kill_9_while_accepting_a_stream_loses_nothing_that_was_acknowledged(
        tmp_path: Path, sqlite_url: str, observer: Database, services: list[Service]) -> None:
    env = doorstep_env(tmp_path / "var", sqlite_url, DOORSTEP_SWEEP_INTERVAL_SECONDS=1)
    service = Service(["serve", "--no-simulator"], env, tmp_path, port=free_port())
    services.append(service)
    service.start().wait_healthy()

    with Stream(service) as stream:
        stream.wait_until(accepted=80)
        service.kill9()  # mid-stream: requests in flight, jobs queued and running
        stream.wait_for_failures(4)
    accepted = list(stream.accepted)

    assert stream.refused == []
    assert service.proc is not None and service.proc.returncode == -signal.SIGKILL
    stored = statuses(observer, accepted)
    assert sorted(stored) == sorted(accepted), "acknowledged but not stored"

    service.start().wait_healthy()
    # Jobs still in the queue run; a job lost with the process is found by the sweep.
    wait_for_status(observer, accepted, "processed", timeout=90)
    again = post(service, delivery_event(event_id=accepted[0]))
    assert again.status_code == 202 and again.json() == {"stored": 0, "duplicates": 1}


# --- a separate worker process on Redis -----------------------------------------------------


@pytest.fixture
def redis_url() -> Iterator[str]:
    need(bool(REDIS_URL), "Redis (DOORSTEP_TEST_REDIS_URL)")
    assert REDIS_URL
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    try:
        yield REDIS_URL
    finally:
        client.flushdb()
        client.close()


@pytest.mark.redis
def test_a_worker_process_on_redis_processes_what_the_web_process_accepted(
        tmp_path: Path, sqlite_template: Path, redis_url: str,
        services: list[Service]) -> None:
    db_path = tmp_path / "doorstep.db"
    shutil.copy(sqlite_template, db_path)  # `doorstep web` does not migrate
    url = f"sqlite:///{db_path}"
    env = doorstep_env(tmp_path / "var", url, DOORSTEP_REDIS_URL=redis_url)
    web = Service(["web"], env, tmp_path, port=free_port(), name="web")
    worker = Service(["worker"], env, tmp_path, name="worker")
    services.extend([web, worker])
    web.start().wait_healthy()
    db = Database(url)
    try:
        event = delivery_event()
        r = post(web, event)
        ready = httpx.get(web.base_url + "/readyz", timeout=10).json()

        assert r.status_code == 202, r.text
        assert statuses(db, [event["id"]]) == {event["id"]: "stored"}  # no worker yet
        assert ready["checks"]["queue"] == "ok (1 waiting)", ready

        worker.start()
        wait_for_status(db, [event["id"]], "processed", timeout=30)
        assert worker.proc is not None and worker.proc.poll() is None, worker.log()
        later = delivery_event()
        assert post(web, later).status_code == 202
        wait_for_status(db, [later["id"]], "processed", timeout=30)
        assert httpx.get(web.base_url + "/readyz", timeout=10).json()["checks"]["queue"] \
            == "ok (0 waiting)"
    finally:
        db.dispose()
    assert worker.stop() is not None
    assert "Traceback" not in worker.log() + web.log()
