"""The event log: stored once per (source, external id), even when inserted concurrently."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from doorstep.domain import Event, EventStatus
from doorstep.store import event_log
from doorstep.store.db import Database
from doorstep.store.tables import events

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


def row(external_id: str, source: str = "generic", minute: int = 0,
        **extra: Any) -> dict[str, Any]:
    return {"source": source, "external_id": external_id, "type": "route.started",
            "occurred_at": T0 + timedelta(minutes=minute), "received_at": T0,
            "payload": {"route_id": "R1", "n": external_id}, "subject": "route:R1", **extra}


def stored(db: Database) -> list[tuple[str, str, int]]:
    with db.reading() as s:
        return sorted(s.execute(sa.select(events.c.source, events.c.external_id,
                                          events.c.id)).all())


def test_insert_new_returns_new_ids_in_input_order(db):
    with db.transaction() as s:
        ids = event_log.insert_new(s, [row("b"), row("a"), row("c")])
    assert len(ids) == 3 and len(set(ids)) == 3
    by_ext = {ext: id_ for _, ext, id_ in stored(db)}
    assert ids == [by_ext["b"], by_ext["a"], by_ext["c"]]
    with db.reading() as s:
        event = s.get(Event, ids[0])
        assert (event.status, event.tries, event.payload) == (EventStatus.STORED, 0,
                                                             {"route_id": "R1", "n": "b"})


def test_insert_new_stores_each_source_and_external_id_once(db):
    with db.transaction() as s:
        first = event_log.insert_new(s, [row("a"), row("b")])
    with db.transaction() as s:
        second = event_log.insert_new(s, [row("b"), row("c"), row("a")])
    with db.transaction() as s:
        again = event_log.insert_new(s, [row("a"), row("b"), row("c")])
    with db.transaction() as s:
        other_source = event_log.insert_new(s, [row("a", source="onfleet")])
    assert len(first) == 2 and len(second) == 1 and again == [] and len(other_source) == 1
    rows = stored(db)
    assert [(src, ext) for src, ext, _ in rows] == [
        ("generic", "a"), ("generic", "b"), ("generic", "c"), ("onfleet", "a")]
    assert {id_ for *_, id_ in rows} == set(first + second + other_source)


def test_a_repeat_does_not_overwrite_the_stored_event(db):
    with db.transaction() as s:
        [id_] = event_log.insert_new(s, [row("a")])
    with db.transaction() as s:
        assert event_log.insert_new(s, [row("a", payload={"route_id": "R2"})]) == []
    with db.reading() as s:
        assert s.get(Event, id_).payload["route_id"] == "R1"


def test_empty_insert_is_a_no_op(db):
    with db.transaction() as s:
        assert event_log.insert_new(s, []) == []
    assert stored(db) == []


def test_a_rolled_back_insert_leaves_nothing(db):
    with pytest.raises(RuntimeError), db.transaction() as s:
        event_log.insert_new(s, [row("a")])
        raise RuntimeError("the request failed after storing")
    assert stored(db) == []
    with db.transaction() as s:
        assert len(event_log.insert_new(s, [row("a")])) == 1


def _race(db: Database, batches: list[list[dict[str, Any]]]) -> list[list[int]]:
    barrier = threading.Barrier(len(batches))
    results: list[list[int] | BaseException] = [[] for _ in batches]

    def worker(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            with db.transaction() as s:
                results[i] = event_log.insert_new(s, batches[i])
        except BaseException as err:  # reported below, in the test's thread
            results[i] = err

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(batches))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == []
    return results  # type: ignore[return-value]


def test_concurrent_inserts_of_the_same_events_store_each_once(db):
    batch = [row(f"ev-{i}", minute=i) for i in range(50)]
    results = _race(db, [list(batch) for _ in range(8)])
    rows = stored(db)
    assert len(rows) == 50
    returned = Counter(id_ for ids in results for id_ in ids)
    assert set(returned) == {id_ for *_, id_ in rows}
    assert set(returned.values()) == {1}  # every new id was reported by exactly one thread


def test_concurrent_inserts_of_overlapping_batches_in_any_order(db):
    batches = [[row(f"ev-{j}") for j in range(i, i + 20)] for i in range(0, 40, 5)]
    for i, batch in enumerate(batches):
        if i % 2:
            batch.reverse()
    results = _race(db, batches)
    rows = stored(db)
    assert {ext for _, ext, _ in rows} == {r["external_id"] for b in batches for r in b}
    returned = Counter(id_ for ids in results for id_ in ids)
    assert set(returned) == {id_ for *_, id_ in rows}
    assert set(returned.values()) == {1}


def test_lost_work_finds_unsettled_old_events_in_time_order(db):
    rows = [
        row("stored-late", minute=5), row("stored-early", minute=1),
        row("deferred", minute=2, ), row("failed", minute=3), row("processed", minute=0),
        row("ignored", minute=0), row("flagged", minute=0), row("fresh", minute=0),
        row("tired", minute=0),
    ]
    with db.transaction() as s:
        ids = dict(zip([r["external_id"] for r in rows], event_log.insert_new(s, rows),
                       strict=True))
        for ext, status in (("deferred", EventStatus.DEFERRED), ("failed", EventStatus.FAILED),
                            ("processed", EventStatus.PROCESSED),
                            ("ignored", EventStatus.IGNORED),
                            ("flagged", EventStatus.FLAGGED)):
            s.get(Event, ids[ext]).status = status
            s.get(Event, ids[ext]).next_try_at = T0 + timedelta(minutes=5)
        s.get(Event, ids["fresh"]).received_at = T0 + timedelta(minutes=10)
        s.get(Event, ids["tired"]).tries = 10
    with db.reading() as s:
        due = T0 + timedelta(minutes=5)
        lost = event_log.lost_work(s, due, older_than=T0 + timedelta(minutes=1))
        # A stored event is never given up, however often its batch was tried: only a failed
        # one is left for a person after GIVE_UP_AFTER tries.
        assert lost == [ids["tired"], ids["stored-early"], ids["deferred"], ids["failed"],
                        ids["stored-late"]]
        # Nothing stored before T0, and the deferred and failed ones are not due yet.
        assert event_log.lost_work(s, T0, older_than=T0) == []
        assert len(event_log.lost_work(s, due, older_than=T0 + timedelta(minutes=1),
                                       limit=2)) == 2
        counts = event_log.count_by_status(s)
    assert counts == {"stored": 4, "deferred": 1, "failed": 1, "processed": 1, "ignored": 1,
                      "flagged": 1}


def test_waiting_for_lists_deferred_events_on_a_key_oldest_first(db):
    rows = [row("late", minute=9), row("early", minute=1), row("other", minute=0),
            row("settled", minute=0)]
    with db.transaction() as s:
        ids = dict(zip([r["external_id"] for r in rows], event_log.insert_new(s, rows),
                       strict=True))
        for ext, key in (("late", "delivery:D1"), ("early", "delivery:D1"),
                         ("other", "delivery:D2"), ("settled", "delivery:D1")):
            event = s.get(Event, ids[ext])
            event.status, event.waits_for = EventStatus.DEFERRED, key
        s.get(Event, ids["settled"]).status = EventStatus.PROCESSED
    with db.reading() as s:
        assert event_log.waiting_for(s, ["delivery:D1"]) == [ids["early"], ids["late"]]
        assert event_log.waiting_for(s, ["delivery:D3"]) == []
        assert event_log.waiting_for(s, ["delivery:D2", "delivery:D1", "delivery:D1"]) == [
            ids["other"], ids["early"], ids["late"]]


@pytest.mark.parametrize("lock", [False, True])
def test_load_returns_the_batch_in_the_order_given_skipping_unknown_ids(db, lock):
    with db.transaction() as s:
        ids = event_log.insert_new(s, [row("a"), row("b"), row("c")])
    with db.transaction() as s:
        wanted = [ids[2], ids[0] + 1000, ids[0], ids[1]]
        loaded = event_log.load(s, wanted, lock=lock)
        assert [e.external_id for e in loaded] == ["c", "a", "b"]


def test_an_event_repeated_within_one_batch_is_stored_and_reported_once(db):
    with db.transaction() as s:
        ids = event_log.insert_new(s, [row("a"), row("b"), row("a"), row("a", source="x")])
    assert len(ids) == 3 and len(set(ids)) == 3
    assert len(stored(db)) == 3


def _waiting_inserts(db: Database) -> int:
    with db.engine.connect() as conn:
        return conn.execute(sa.text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO events%'")).scalar_one()


@pytest.mark.pg
def test_overlapping_batches_in_opposite_orders_do_not_deadlock(db, db_url):
    """A holds "a" and then wants "z"; B's batch is [z, a]. B must take keys in order (wait on
    "a" before touching "z"), or A and B wait on each other until PostgreSQL kills one."""
    if db.dialect != "postgresql":
        pytest.skip("row-level insert waits are PostgreSQL's; SQLite takes one write lock")
    holder = db.engine.connect()
    try:
        holder.begin()
        holder.execute(sa.insert(events).values(**row("a"), status="stored", tries=0))
        outcome: list[object] = []

        def batch_b() -> None:
            try:
                with db.transaction() as s:
                    outcome.append(event_log.insert_new(s, [row("z"), row("a")]))
            except Exception as err:  # reported in the test's thread
                outcome.append(err)

        b = threading.Thread(target=batch_b)
        b.start()
        deadline = time.monotonic() + 30
        while _waiting_inserts(db) == 0:  # until B waits on A's row (no fixed sleep)
            assert time.monotonic() < deadline, "batch B never reached A's row"
        holder.execute(sa.insert(events).values(**row("z"), status="stored", tries=0))
        holder.commit()
    finally:
        holder.close()
    b.join(timeout=30)
    assert len(outcome) == 1
    assert outcome[0] == [], outcome[0]  # both already stored by A: nothing new for B
    assert [ext for _, ext, _ in stored(db)] == ["a", "z"]
