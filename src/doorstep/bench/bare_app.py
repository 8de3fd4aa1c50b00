"""The bare endpoint: the floor that `bench ingest` compares doorstep's intake with.

A plain ASGI app under the same uvicorn: POST /ingest parses the JSON body (an event or a list
of events) and inserts one row per event in one transaction; GET /healthz answers. No framework,
no signature, no validation, no queue. SQLite runs in WAL mode with synchronous=FULL (as doorstep
does) on one connection, inserting on the event loop; PostgreSQL uses one connection per thread.

    python -m doorstep.bench.bare_app --database-url URL --port P
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

TABLE = "bench_bare_events"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Rows = list[tuple[str, str]]


def sqlite_path(url: str) -> str:
    return url.removeprefix("sqlite:///")


def pg_conninfo(url: str) -> str:
    """A libpq URL from an SQLAlchemy one (postgresql+psycopg:// -> postgresql://)."""
    scheme, rest = url.split("://", 1)
    return "postgresql://" + rest if scheme.startswith("postgresql") else url


class SqliteStore:
    def __init__(self, url: str) -> None:
        self.conn = sqlite3.connect(sqlite_path(url), isolation_level=None,
                                    check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (id INTEGER PRIMARY KEY, "
                          "external_id TEXT NOT NULL, payload TEXT NOT NULL)")

    async def insert(self, rows: Rows) -> None:
        # One connection on the event loop: writes are serial, as SQLite's are anyway.
        self.conn.execute("BEGIN")
        self.conn.executemany(f"INSERT INTO {TABLE} (external_id, payload) VALUES (?, ?)", rows)
        self.conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()


class PostgresStore:
    def __init__(self, url: str) -> None:
        import psycopg

        self.psycopg = psycopg
        self.conninfo = pg_conninfo(url)
        self.local = threading.local()
        self.all: list[Any] = []
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            conn.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (id BIGSERIAL PRIMARY KEY, "
                         "external_id TEXT NOT NULL, payload TEXT NOT NULL)")

    def _insert(self, rows: Rows) -> None:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = self.psycopg.connect(self.conninfo)
            self.all.append(conn)
        with conn.transaction(), conn.cursor() as cur:
            cur.executemany(f"INSERT INTO {TABLE} (external_id, payload) VALUES (%s, %s)", rows)

    async def insert(self, rows: Rows) -> None:
        await asyncio.to_thread(self._insert, rows)

    def close(self) -> None:
        for conn in self.all:
            conn.close()


def create_app(url: str) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    store = SqliteStore(url) if url.startswith("sqlite") else PostgresStore(url)

    async def respond(send: Send, status: int, payload: bytes) -> None:
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(payload)).encode())]})
        await send({"type": "http.response.body", "body": payload})

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    store.close()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        if scope["method"] == "GET" and scope["path"] == "/healthz":
            await respond(send, 200, b'{"status":"ok"}')
            return
        if scope["method"] != "POST" or scope["path"] != "/ingest":
            await respond(send, 404, b'{"detail":"not found"}')
            return
        chunks = []
        more = True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        try:
            payload = json.loads(b"".join(chunks))
            batch = payload if isinstance(payload, list) else [payload]
            rows = [(str(event["id"]), json.dumps(event.get("data"))) for event in batch]
        except (ValueError, TypeError, KeyError) as err:
            await respond(send, 400, json.dumps({"detail": str(err)}).encode())
            return
        await store.insert(rows)
        await respond(send, 202, b'{"stored":%d}' % len(rows))

    return app


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    # The same uvicorn settings as `doorstep web` (serving.py): one process, no access log.
    uvicorn.run(create_app(args.database_url), host=args.host, port=args.port, log_config=None,
                access_log=False)


if __name__ == "__main__":
    main()
