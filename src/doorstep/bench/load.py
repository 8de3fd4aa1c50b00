"""The load generator, run as its own process so it does not share the server's CPU time slice.

    python -m doorstep.bench.load --url URL --requests N --concurrency C --batch B \
        --secret whsec_... --prefix run1 --out result.json

Builds and signs every request body first (v1 `delivery.eta_updated` events with distinct ids),
then starts the clock and sends them over C keep-alive HTTP/1.1 connections (asyncio). Prints
`progress <done>` lines on stdout while it runs; writes the figures as JSON to --out.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from doorstep.clock import Clock, SystemClock
from doorstep.domain import EventType
from doorstep.events.format import make_event
from doorstep.signing import sign

ZONE = ZoneInfo("America/New_York")
RESIGN_AFTER = 200.0  # seconds; under the default replay window of 300 s


def build_bodies(requests: int, batch: int, prefix: str, now: datetime) -> list[bytes]:
    """One body per request: one event (an object) or `batch` events (a list)."""
    eta = (now + timedelta(minutes=40)).isoformat()
    bodies = []
    for i in range(requests):
        events = [make_event(f"{prefix}-e{i}-{j}", EventType.DELIVERY_ETA_UPDATED, now,
                             {"delivery_id": f"{prefix}-D{i * batch + j}", "eta": eta})
                  for j in range(batch)]
        payload: Any = events[0] if batch == 1 else events
        bodies.append(json.dumps(payload, separators=(",", ":")).encode())
    return bodies


def signed(secret: str, prefix: str, bodies: list[bytes], at: datetime) -> list[dict[str, str]]:
    return [sign(secret, f"{prefix}-m{i}", body, at) for i, body in enumerate(bodies)]


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    k = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[k]


def request_bytes(host: str, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return (f"POST {path} HTTP/1.1\r\nhost: {host}\r\ncontent-length: {len(body)}\r\n{head}\r\n"
            .encode() + body)


class Connection:
    """One keep-alive HTTP/1.1 connection with requests written as prepared bytes.

    A general client (httpx) spends more CPU per request than the bare server does, which would
    make the load generator the limit being measured; this one only writes bytes and reads the
    status line, the headers and a Content-Length or chunked body.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, data: bytes) -> str:
        try:
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            assert self.reader is not None
            self.writer.write(data)
            head = await self.reader.readuntil(b"\r\n\r\n")
            status = head[9:12].decode()
            length, chunked, close = 0, False, False
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                name, value = name.strip().lower(), value.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"transfer-encoding":
                    chunked = b"chunked" in value
                elif name == b"connection":
                    close = value == b"close"
            if chunked:
                while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
                    await self.reader.readexactly(size + 2)
                await self.reader.readuntil(b"\r\n")
            elif length:
                await self.reader.readexactly(length)
            if close:
                self.close()
            return status
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as err:
            self.close()
            return type(err).__name__

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def send_all(url: str, bodies: list[bytes], headers: list[dict[str, str]],
                   concurrency: int, secret: str, prefix: str, signed_at: float,
                   progress: bool, clock: Clock | None = None) -> dict[str, Any]:
    clock = clock or SystemClock()
    target = urlsplit(url)
    host, port = target.hostname or "127.0.0.1", target.port or 80
    netloc, path = f"{host}:{port}", target.path or "/"
    prepared = [request_bytes(netloc, path, b, h) for b, h in zip(bodies, headers, strict=True)]
    n = len(bodies)
    latencies = [0.0] * n
    statuses: Counter[str] = Counter()
    pending = iter(range(n))
    done = 0

    async def worker() -> None:
        nonlocal done
        conn = Connection(host, port)
        for i in pending:
            data = prepared[i]
            if time.monotonic() - signed_at > RESIGN_AFTER:  # only on runs of minutes
                fresh = sign(secret, f"{prefix}-m{i}", bodies[i], clock.now())
                data = request_bytes(netloc, path, bodies[i], fresh)
            t0 = time.perf_counter()
            status = await conn.request(data)
            latencies[i] = time.perf_counter() - t0
            statuses[status] += 1
            done += 1
        conn.close()

    async def report() -> None:
        while True:
            print(f"progress {done}", flush=True)
            await asyncio.sleep(0.25)

    reporter = asyncio.create_task(report()) if progress else None
    cpu0, t0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    if reporter:
        reporter.cancel()
        print(f"progress {done}", flush=True)
    ordered = sorted(latencies)
    return {"requests": n, "seconds": seconds, "load_cpu_seconds": cpu,
            "statuses": dict(statuses),
            "ok": sum(v for k, v in statuses.items() if k.startswith("2")),
            "p50_ms": percentile(ordered, 0.50) * 1000, "p99_ms": percentile(ordered, 0.99) * 1000,
            "max_ms": ordered[-1] * 1000 if ordered else 0.0}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Send signed v1 events to an intake endpoint.")
    parser.add_argument("--url", required=True)
    parser.add_argument("--requests", type=int, required=True)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--prefix", required=True, help="Makes event ids unique to this run.")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--progress", action="store_true")
    args = parser.parse_args(argv)

    clock = SystemClock()
    now = clock.now().astimezone(ZONE)
    bodies = build_bodies(args.requests, args.batch, args.prefix, now)
    headers = signed(args.secret, args.prefix, bodies, now)  # sign() turns it into UTC
    signed_at = time.monotonic()
    coroutine = send_all(args.url, bodies, headers, max(1, args.concurrency), args.secret,
                         args.prefix, signed_at, args.progress, clock)
    try:
        import uvloop  # what uvicorn uses too, when installed
    except ImportError:
        result = asyncio.run(coroutine)
    else:
        result = uvloop.run(coroutine)
    result.update(batch=args.batch, events=args.requests * args.batch,
                  body_bytes=sum(len(b) for b in bodies) // max(1, len(bodies)))
    args.out.write_text(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
