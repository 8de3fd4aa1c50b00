"""PostgreSQL: many workers processing the same work at once still have exactly one effect."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from doorstep.domain import Delivery, DeliveryStatus, Gap, Route
from doorstep.events.processing import process_batch
from doorstep.runtime import Runtime
from doorstep.store.tables import attempts, events, gaps, messages
from tests import factories as ev
from tests.conftest import PG_URL, _truncate, make_settings, need

pytestmark = pytest.mark.pg
WORKERS = 6


@pytest.fixture
def pg_runtime(request: pytest.FixtureRequest, tmp_path: Path, clock) -> Iterator[Runtime]:
    need(bool(PG_URL), "PostgreSQL (DOORSTEP_TEST_PG_URL)")
    _truncate(request.getfixturevalue("pg_database"))
    assert PG_URL
    rt = Runtime.build(make_settings(tmp_path, PG_URL), clock=clock, immediate=True)
    rt.sync_operator()
    yield rt
    rt.db.dispose()


def race(calls: list[Callable[[], object]]) -> list[object]:
    """Start every call at the same moment (a barrier, not a sleep); return results/errors."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = calls[i]()
        except BaseException as err:  # handed to the test's thread
            results[i] = err

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a worker hung"
    return results


def day(t0) -> list[dict]:
    m = [t0 + timedelta(minutes=i) for i in range(10)]
    return [
        ev.driver_upserted("dr", m[0]),
        ev.shift_planned("sp", m[0], driver_id="DR1"),
        ev.delivery_created("c", m[0]),
        ev.route_planned("p", m[1], driver_id="DR1"),
        ev.route_started("s", m[2]),
        ev.arrived("a", m[3]),
        ev.failed("f", m[4], reason="access"),
        ev.exception_reported("x", m[5], "X1", severity="critical", route_id="R1"),
        ev.shift_callout("co", m[6]),
    ]


def effects(runtime: Runtime) -> dict[str, object]:
    with runtime.db.reading() as s:
        count = lambda table: s.scalar(sa.select(sa.func.count()).select_from(table))  # noqa: E731
        route = s.get(Route, "R1")
        return {
            "delivery": s.get(Delivery, "D1").status,
            "attempts": count(attempts),
            "route": (route.stops_done, route.stops_failed),
            "gaps": count(gaps),
            "messages": sorted(s.scalars(sa.select(messages.c.purpose))),
            "events": sorted(s.execute(sa.select(events.c.external_id, events.c.status,
                                                 events.c.tries)).all()),
        }


def test_the_same_batch_processed_by_many_workers_has_one_effect(pg_runtime, clock):
    rt = pg_runtime
    ids = ev.store_only(rt, day(clock.now()))
    results = race([lambda: process_batch(rt.db, clock, rt.policies, list(ids))
                    for _ in range(WORKERS)])
    assert [r for r in results if isinstance(r, BaseException)] == []
    got = effects(rt)
    assert got["delivery"] is DeliveryStatus.FAILED
    assert got["attempts"] == 1 and got["route"] == (0, 1) and got["gaps"] == 1
    assert got["messages"] == ["crew.callout", "exceptions.alert", "notify.time_sensitive_alert",
                               "recover.reach_out"]
    # Each event was worked on by exactly one worker; the others found it settled.
    assert {(status, tries) for _, status, tries in got["events"]} == {("processed", 1)}


def test_one_event_id_in_every_worker_batch_among_others(pg_runtime, clock):
    """Overlapping batches (one shared event, each with its own) never wait on each other
    forever and apply the shared event once."""
    rt = pg_runtime
    t0 = clock.now()
    process_batch(rt.db, clock, rt.policies, ev.store_only(rt, day(t0)[:5]))
    [shared] = ev.store_only(rt, [ev.exception_reported("xs", t0, "XS", severity="critical")])
    own = ev.store_only(rt, [ev.exception_reported(f"x{i}", t0, f"X{i}", severity="critical")
                             for i in range(WORKERS)])
    batches = [[own[i], shared] if i % 2 else [shared, own[i]] for i in range(WORKERS)]
    results = race([lambda b=b: process_batch(rt.db, clock, rt.policies, b) for b in batches])
    assert [r for r in results if isinstance(r, BaseException)] == []
    with rt.db.reading() as s:
        subjects = sorted(s.scalars(sa.select(messages.c.subject_id)
                                    .where(messages.c.purpose.startswith("exceptions."))))
        tries = dict(s.execute(sa.select(events.c.external_id, events.c.tries)).all())
    assert subjects == sorted(["XS", *(f"X{i}" for i in range(WORKERS))])
    assert tries["xs"] == 1


def test_the_same_fact_under_different_ids_at_once_has_one_effect(pg_runtime, clock):
    """Two integrations report the same failure at the same moment, each to its own worker."""
    rt = pg_runtime
    t0 = clock.now()
    process_batch(rt.db, clock, rt.policies, ev.store_only(rt, day(t0)[:6]))
    failure = ev.failed("f", t0 + timedelta(minutes=4), reason="access")
    ids = [ev.store_only(rt, [dict(failure, id=f"f-{i}")], source=f"src{i}")[0]
           for i in range(WORKERS)]
    results = race([lambda i=i: process_batch(rt.db, clock, rt.policies, [i]) for i in ids])
    assert [r for r in results if isinstance(r, BaseException)] == []
    got = effects(rt)
    assert got["attempts"] == 1 and got["route"] == (0, 1)
    assert got["messages"] == ["notify.route_started", "notify.time_sensitive_alert",
                               "recover.reach_out"]
    statuses = sorted(status for ext, status, _ in got["events"] if ext.startswith("f-"))
    assert statuses == ["ignored"] * (WORKERS - 1) + ["processed"]


def test_gaps_are_one_per_shift_even_when_callouts_race(pg_runtime, clock):
    rt = pg_runtime
    t0 = clock.now()
    process_batch(rt.db, clock, rt.policies, ev.store_only(rt, day(t0)[:2]))
    callout = ev.shift_callout("co", t0 + timedelta(minutes=6))
    ids = [ev.store_only(rt, [dict(callout, id=f"co-{i}")], source=f"src{i}")[0]
           for i in range(WORKERS)]
    results = race([lambda i=i: process_batch(rt.db, clock, rt.policies, [i]) for i in ids])
    assert [r for r in results if isinstance(r, BaseException)] == []
    with rt.db.reading() as s:
        assert len(s.scalars(sa.select(Gap)).all()) == 1
        assert s.scalars(sa.select(messages.c.purpose)).all() == ["crew.callout"]


def test_the_same_new_delivery_from_several_sources_at_once_is_created_once(pg_runtime, clock):
    rt = pg_runtime
    created = ev.delivery_created("c", clock.now())
    ids = [ev.store_only(rt, [dict(created, id=f"c-{i}")], source=f"src{i}")[0]
           for i in range(WORKERS)]
    results = race([lambda i=i: process_batch(rt.db, clock, rt.policies, [i]) for i in ids])
    errors = [r for r in results if isinstance(r, BaseException)]
    with rt.db.reading() as s:
        statuses = sorted(str(st) for st in s.scalars(sa.select(events.c.status)))
        deliveries = s.scalars(sa.select(Delivery)).all()
    assert len(deliveries) == 1
    assert errors == [], errors
    assert statuses.count("processed") >= 1 and "failed" not in statuses, statuses
