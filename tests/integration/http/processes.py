"""doorstep as real processes for tests: free ports, environment, start, wait until healthy, stop.

Also the small helpers the HTTP tests share: signed requests, v1 events, and reading what the
service stored, through the same database it writes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from doorstep.domain import EventType
from doorstep.events.format import make_event
from doorstep.signing import sign
from doorstep.store.db import Database
from doorstep.store.tables import events, metadata

ROOT = Path(__file__).resolve().parents[3]
OPERATOR_FILE = ROOT / "doorstep.toml"
SECRET = "whsec_" + "dGVzdC1zZWNyZXQtZm9yLWRvb3JzdGVwLXRlc3RzISE="
OTHER_SECRET = "whsec_" + base64.b64encode(b"not-the-secret-doorstep-was-given!").decode()
START_TIMEOUT = 40.0
STOP_TIMEOUT = 30.0
POLL = 0.05


def doorstep_bin() -> str:
    here = Path(sys.executable).parent / "doorstep"
    found = str(here) if here.exists() else shutil.which("doorstep")
    assert found, "the doorstep command is not installed next to this Python"
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(1.0)
        return s.connect_ex(("127.0.0.1", port)) == 0


def doorstep_env(data_dir: Path, db_url: str, **extra: str | int) -> dict[str, str]:
    """The child's environment: this one without any DOORSTEP_* of ours, plus the given settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOORSTEP_")}
    env.update(DOORSTEP_DATABASE_URL=db_url, DOORSTEP_DATA_DIR=str(data_dir),
               DOORSTEP_CONFIG_FILE=str(OPERATOR_FILE), DOORSTEP_GENERIC_WEBHOOK_SECRET=SECRET,
               DOORSTEP_LOG_LEVEL="INFO", PYTHONUNBUFFERED="1")
    env.update({k: str(v) for k, v in extra.items()})
    return env


class Service:
    """One doorstep command run as a child process, its output appended to a log file."""

    def __init__(self, args: Sequence[str], env: dict[str, str], workdir: Path,
                 port: int | None = None, name: str = "doorstep") -> None:
        self.args = [doorstep_bin(), *args]
        if port is not None:
            self.args += ["--port", str(port)]
        self.env = env
        self.workdir = workdir
        self.port = port
        self.log_path = workdir / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        workdir.mkdir(parents=True, exist_ok=True)

    @property
    def base_url(self) -> str:
        assert self.port is not None
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Service:
        assert self.proc is None or self.proc.poll() is not None, "already running"
        with self.log_path.open("ab") as log:
            log.write(f"--- start: {' '.join(self.args)}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(self.args, env=self.env, cwd=self.workdir, stdout=log,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         start_new_session=True)
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_healthy(self, timeout: float = START_TIMEOUT) -> Service:
        """Poll /healthz until it answers 200; fail with the log if the process ends first."""
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.args} exited with {self.proc.returncode} before it "
                                     f"was healthy:\n{self.log()}")
            try:
                if httpx.get(self.base_url + "/healthz", timeout=2.0).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(POLL)
        raise AssertionError(f"{self.args} not healthy after {timeout}s:\n{self.log()}")

    def wait_exit(self, timeout: float = STOP_TIMEOUT) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout=timeout)

    def send(self, sig: int) -> None:
        assert self.proc is not None and self.proc.poll() is None
        self.proc.send_signal(sig)

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(timeout=STOP_TIMEOUT)

    def stop(self) -> int | None:
        """SIGTERM and wait; SIGKILL if it does not end in time. Safe to call when stopped."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=STOP_TIMEOUT)
        return self.proc.returncode


@dataclass
class Server:
    """A running `doorstep serve`: an HTTP client to it and its database, opened from the test."""

    service: Service
    db: Database
    client: httpx.Client
    max_body: int = 8192
    window: int = 120  # seconds: the replay window it is configured with

    def post(self, body: bytes, headers: dict[str, str]) -> httpx.Response:
        return self.client.post("/webhooks/generic", content=body, headers=headers)

    def count(self) -> int:
        return count_events(self.db)


# --- requests -------------------------------------------------------------------------------


def now() -> datetime:
    return datetime.now(UTC)


def new_id(prefix: str = "e") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def delivery_event(event_id: str | None = None, delivery_id: str | None = None,
                   **data: Any) -> dict[str, Any]:
    """A valid delivery.created that the operator file's depot and shipper make processable."""
    body = {"delivery_id": delivery_id or new_id("D"), "shipper": "freshcart", "depot": "nyc-bk",
            "service_date": date.today().isoformat(),
            "recipient": {"name": "Rae Recipient", "phone": "+12125552000"},
            "address": {"line1": "1 Main St", "city": "Brooklyn", "postal_code": "11201"}}
    body.update(data)
    return make_event(event_id or new_id(), EventType.DELIVERY_CREATED, now(), body)


def encode(payload: Any) -> bytes:
    return json.dumps(payload).encode()


def signed(body: bytes, *, at: datetime | None = None, msg_id: str | None = None,
           secret: str = SECRET) -> dict[str, str]:
    return sign(secret, msg_id or new_id("msg"), body, at or now())


def signed_raw(body: bytes, *, at: datetime | None = None, secret: str = SECRET) -> dict[str, str]:
    """Standard Webhooks signature over the raw bytes (for bodies that are not UTF-8)."""
    msg_id, stamp = new_id("msg"), str(int((at or now()).timestamp()))
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest()
    return {"webhook-id": msg_id, "webhook-timestamp": stamp,
            "webhook-signature": "v1," + base64.b64encode(mac).decode(),
            "content-type": "application/json"}


# --- what was stored ------------------------------------------------------------------------


def count_events(db: Database) -> int:
    with db.reading() as s:
        return int(s.scalar(sa.select(sa.func.count()).select_from(events)) or 0)


def statuses(db: Database, external_ids: Iterable[str], source: str = "generic") -> dict[str, str]:
    """external id -> status, for those stored."""
    ids = list(external_ids)
    found: dict[str, str] = {}
    with db.reading() as s:
        for start in range(0, len(ids), 500):
            rows = s.execute(sa.select(events.c.external_id, events.c.status)
                             .where(events.c.source == source,
                                    events.c.external_id.in_(ids[start:start + 500])))
            found.update({ext: str(status) for ext, status in rows})
    return found


def wait_for_status(db: Database, external_ids: Iterable[str], status: str = "processed",
                    timeout: float = 20.0) -> dict[str, str]:
    """Poll until every event has `status`; fail naming those that have not."""
    ids = list(external_ids)
    deadline = time.monotonic() + timeout
    while True:
        seen = statuses(db, ids)
        if all(seen.get(i) == status for i in ids):
            return seen
        if time.monotonic() > deadline:
            behind = {i: seen.get(i, "not stored") for i in ids if seen.get(i) != status}
            raise AssertionError(f"not {status} after {timeout}s: {behind}")
        time.sleep(0.1)


def truncate_all(db: Database) -> None:
    """Empty every table of a PostgreSQL database (the schema stays)."""
    names = ", ".join(t.name for t in reversed(metadata.sorted_tables))
    with db.engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


def pg_url_for(base_url: str, dbname: str) -> str:
    return sa.engine.make_url(base_url).set(database=dbname).render_as_string(hide_password=False)


def pg_admin(base_url: str, *statements: str) -> None:
    """Run statements that cannot run in a transaction (CREATE/DROP/ALTER DATABASE)."""
    url = base_url
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            for stmt in statements:
                conn.execute(sa.text(stmt))
    finally:
        engine.dispose()
