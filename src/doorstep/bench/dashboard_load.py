"""`bench dashboard`, step 4: the endpoints measured, from threads of this process, each with
one keep-alive client; every answer checked."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
from rich.progress import (
    Progress,
)

from doorstep.bench.dashboard_day import TIMEOUT, WARMUP
from doorstep.bench.load import percentile


@dataclass
class Endpoint:
    key: str  # the key in the figures
    label: str  # what the table shows
    who: str
    auth: dict[str, Any]  # httpx.Client keyword arguments: cookies or headers
    paths: Callable[[int], str] | None = None  # the path of request i (fixed or by id)
    walk: str | None = None  # a list walked by next_cursor, starting at this path
    shipper: str | None = None  # every item of the list must be this shipper's
    api: bool = False


def fixed(path: str) -> Callable[[int], str]:
    return lambda _i: path


def by_id(template: str, ids: list[str]) -> Callable[[int], str]:
    return lambda i: template.format(ids[i % len(ids)])


@dataclass
class Sample:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    failures: int = 0
    items: int = 0
    foreign: int = 0  # items of a shipper-scoped list that were not the shipper's
    first_failure: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, seconds: float, status: str, problem: str | None, items: int,
               foreign: int) -> None:
        with self.lock:
            self.latencies.append(seconds)
            self.statuses[status] += 1
            self.items += items
            self.foreign += foreign
            if problem is not None:
                self.failures += 1
                if self.first_failure is None:
                    self.first_failure = problem


def _get(client: httpx.Client, path: str) -> tuple[float, httpx.Response | None, str]:
    t0 = time.perf_counter()
    try:
        response = client.get(path)
        response.read()
    except httpx.HTTPError as err:
        return time.perf_counter() - t0, None, type(err).__name__
    return time.perf_counter() - t0, response, str(response.status_code)


def _check(ep: Endpoint, path: str, response: httpx.Response | None,
           status: str) -> tuple[str | None, int, int, str | None]:
    """(problem, items, foreign items, next cursor) of one answer."""
    if response is None or response.status_code != 200:
        body = ""  # a JSON error says why; an HTML page would only be noise here
        if response is not None and "json" in response.headers.get("content-type", ""):
            body = response.text[:200]
        return f"GET {path} -> {status} {body}".strip(), 0, 0, None
    if ep.walk is None:
        return None, 0, 0, None
    try:
        page = response.json()
        items = page["items"]
        cursor = page["next_cursor"]
    except (ValueError, KeyError, TypeError):
        return f"GET {path} -> 200 but not a page of items", 0, 0, None
    foreign = sum(1 for item in items if ep.shipper and item.get("shipper_id") != ep.shipper)
    problem = f"GET {path} -> {foreign} items of another shipper" if foreign else None
    return problem, len(items), foreign, cursor


@dataclass
class Shared:
    """What the load threads of one endpoint share."""

    indexes: Iterator[int]
    sample: Sample
    on_done: Callable[[], None]
    started: threading.Barrier  # every thread warmed up: the clock starts
    take: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)  # interrupted: end now


def _worker(ep: Endpoint, base_url: str, shared: Shared, warmup: int) -> None:
    try:
        _send(ep, base_url, shared, warmup)
    except BaseException:
        shared.started.abort()  # the clock must not wait for a thread that is gone
        raise


def _send(ep: Endpoint, base_url: str, shared: Shared, warmup: int) -> None:
    cursor: str | None = None

    def next_path(i: int) -> str:
        if ep.walk is None:
            assert ep.paths is not None
            return ep.paths(i)
        return ep.walk if cursor is None else f"{ep.walk}&cursor={cursor}"

    with httpx.Client(base_url=base_url, timeout=TIMEOUT, **ep.auth) as client:
        for w in range(warmup):  # untimed: connections open, caches and pages warm
            if shared.stop.is_set():
                return
            _get(client, next_path(-1 - w))
        try:
            shared.started.wait()
        except threading.BrokenBarrierError:
            return
        while not shared.stop.is_set():
            with shared.take:
                i = next(shared.indexes, None)
            if i is None:
                return
            path = next_path(i)
            seconds, response, status = _get(client, path)
            problem, items, foreign, cursor = _check(ep, path, response, status)
            shared.sample.record(seconds, status, problem, items, foreign)
            shared.on_done()


def requested(ep: Endpoint) -> str:
    """The request as sent: the path, a list's first page, or a path's template."""
    if ep.walk is not None:
        return ep.walk + "  (then &cursor=next_cursor)"
    return ep.label if "{id}" in ep.label else ep.paths(0) if ep.paths else ep.label


def measure(ep: Endpoint, base_url: str, requests: int, concurrency: int, bar: Progress,
            warmup: int = WARMUP) -> dict[str, Any]:
    task = bar.add_task(f"{ep.label} ({ep.who})", total=requests)
    workers = max(1, min(concurrency, requests))
    sample = Sample()
    shared = Shared(iter(range(requests)), sample, lambda: bar.advance(task),
                    threading.Barrier(workers + 1))
    pool = ThreadPoolExecutor(workers, thread_name_prefix="bench-load")
    try:
        futures = [pool.submit(_worker, ep, base_url, shared, warmup) for _ in range(workers)]
        try:
            shared.started.wait()
        except threading.BrokenBarrierError:
            for f in futures:
                f.result()  # the error of the thread that broke it
            raise
        t0 = time.perf_counter()
        for f in futures:
            f.result()
        seconds = time.perf_counter() - t0
    except BaseException:  # Ctrl-C or a broken thread: the others stop after their request
        shared.stop.set()
        shared.started.abort()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    bar.remove_task(task)
    ordered = sorted(sample.latencies)
    ms = [v * 1000 for v in ordered]
    figures: dict[str, Any] = {
        "label": ep.label, "who": ep.who, "path": requested(ep), "requests": len(ordered),
        "failures": sample.failures, "statuses": dict(sample.statuses),
        "p50_ms": round(percentile(ms, 0.50), 2), "p95_ms": round(percentile(ms, 0.95), 2),
        "p99_ms": round(percentile(ms, 0.99), 2), "max_ms": round(ms[-1], 2) if ms else 0.0,
        "seconds": round(seconds, 3),
        "requests_per_s": round(len(ordered) / seconds, 1) if seconds else None,
        "available": True,
    }
    if ep.walk is not None:
        figures.update(items=sample.items, foreign_items=sample.foreign)
    if sample.first_failure:
        figures["first_failure"] = sample.first_failure
    return figures
