"""What every connector relies on: payloads stored once or kept flagged, the write-back outbox
(idempotent queueing, retries while a platform is away, refusals left for a person), and the
readiness warning while a platform does not answer."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from doorstep.config import ConfigError, PlatformConfig
from doorstep.connectors import health, received, writes
from doorstep.connectors.base import Check, NotReadBack, SyncReport, Write
from doorstep.connectors.http import PlatformError, PlatformUnavailable
from doorstep.domain import EventStatus, EventType
from doorstep.runtime import Runtime
from doorstep.sim.fakes.serving import Served
from doorstep.store import platform_links, platform_writes
from doorstep.store.platform_writes import WriteKind, WriteStatus
from doorstep.store.tables import deliveries, events
from doorstep.web.app import create_app
from tests import factories as ev
from tests.conftest import make_settings


def translated(key: str, rt: Runtime, delivery_id: str = "T-1") -> received.Translated:
    at = rt.clock.now()
    data = ev.delivery_created("x", at, delivery_id)["data"]
    return received.Translated(key, at, [(EventType.DELIVERY_CREATED, data),
                                         (EventType.DELIVERY_ARRIVED,
                                          {"delivery_id": delivery_id})])


def rows(rt: Runtime) -> list[Any]:
    with rt.db.reading() as s:
        return list(s.execute(sa.select(events).order_by(events.c.id)).all())


def test_a_payload_is_stored_as_its_events_once_however_often_it_comes(runtime: Runtime) -> None:
    t = translated("taskArrival:T-1:1767264000512", runtime)
    first = received.store_or_flag(runtime, "onfleet", "taskArrival", {}, b"{}", t, None)
    again = received.store_or_flag(runtime, "onfleet", "taskArrival", {}, b"{}", t, None)

    assert (first, again) == ("stored", "duplicate")
    stored = rows(runtime)
    assert [r.external_id for r in stored] == ["taskArrival:T-1:1767264000512",
                                              "taskArrival:T-1:1767264000512/1"]
    assert {r.source for r in stored} == {"onfleet"}
    with runtime.db.reading() as s:
        assert s.scalar(sa.select(deliveries.c.arrived_at).where(deliveries.c.id == "T-1"))


def test_a_payload_that_cannot_be_read_is_kept_flagged_with_its_reason(runtime: Runtime) -> None:
    outcome = received.store_or_flag(runtime, "circuit", "stop.allocated",
                                     {"type": "stop.allocated", "data": "not a stop"},
                                     b"...", None, "data: expected a stop object")
    repeat = received.flag(runtime, "circuit", "stop.allocated",
                           "raw:" + __import__("hashlib").sha256(b"...").hexdigest(),
                           {"raw": "..."}, "again")

    assert outcome == "flagged"
    assert repeat is False  # the same body is kept once
    [row] = rows(runtime)
    assert row.status == EventStatus.FLAGGED
    assert row.type == "circuit.stop.allocated"
    assert row.note == "data: expected a stop object"
    assert row.payload == {"type": "stop.allocated", "data": "not a stop"}


def test_events_that_do_not_hold_up_flag_the_payload_instead_of_half_storing_it(
        runtime: Runtime) -> None:
    at = runtime.clock.now()
    bad = received.Translated("k1", at, [
        (EventType.DELIVERY_CREATED, ev.delivery_created("x", at, "T-2")["data"]),
        (EventType.DELIVERY_FAILED, {"delivery_id": "T-2", "reason": "moon"})])

    outcome = received.store_or_flag(runtime, "onfleet", "taskFailed", {"taskId": "T-2"},
                                     b"{}", bad, None)

    assert outcome == "flagged"
    [row] = rows(runtime)
    assert "reason" in row.note
    assert row.payload == {"taskId": "T-2"}


def test_text_with_nul_is_kept_visibly_altered_rather_than_refused(runtime: Runtime) -> None:
    assert received.flag(runtime, "onfleet", "taskUpdated", "nul", {"notes": "a\x00b"}, "odd")
    [row] = rows(runtime)
    assert row.payload == {"notes": "a\ufffdb"}


def test_a_long_key_is_hashed_to_fit() -> None:
    assert received.event_key("a", "b", 3) == "a:b:3"
    long = received.event_key("x" * 300)
    assert long.startswith("h:") and len(long) <= received.MAX_KEY


class StandIn:
    """A connector whose platform answers as the test says (the drain's logic is under test,
    not a platform's)."""

    name = "standin"

    def __init__(self) -> None:
        self.answers: list[Any] = []
        self.made: list[Write] = []

    def write(self, write: Write) -> dict[str, Any]:
        self.made.append(write)
        answer = self.answers.pop(0) if self.answers else {"notes": write.payload["notes"]}
        if isinstance(answer, Exception):
            raise answer
        return answer  # type: ignore[no-any-return]

    def check(self, public_url: str | None) -> Check:
        return Check(self.name, True)

    def register_webhooks(self, public_url: str) -> list[str]:
        return []

    def sync(self, days: list) -> SyncReport:  # type: ignore[type-arg]
        return SyncReport(self.name)

    def sync_one(self, kind: str, platform_id: str) -> SyncReport:
        return SyncReport(self.name)

    def poll(self) -> SyncReport:
        return SyncReport(self.name)

    def close(self) -> None:
        return None


def queue_disposition(rt: Runtime, delivery_id: str = "T-1", version: str = "1") -> int:
    with rt.db.transaction() as s:
        return platform_writes.queue(s, WriteKind.DISPOSITION, delivery_id,
                                     {"delivery_id": delivery_id, "notes": "redeliver Sat"},
                                     version, rt.clock.now())


def write_rows(rt: Runtime) -> list[Any]:
    with rt.db.reading() as s:
        return list(s.execute(sa.select(platform_writes.writes)
                              .order_by(platform_writes.writes.c.id)).all())


@pytest.fixture
def linked(runtime: Runtime) -> Runtime:
    with runtime.db.transaction() as s:
        platform_links.put(s, "standin", "delivery", "T-1", "task-abc", runtime.clock.now())
        platform_links.put(s, "standin", "delivery", "T-1", "task-def", runtime.clock.now())
    return runtime


def test_a_write_is_queued_once_per_linked_platform_and_never_twice(linked: Runtime) -> None:
    assert queue_disposition(linked) == 1
    assert queue_disposition(linked) == 0  # the same decision again
    assert queue_disposition(linked, "T-9") == 0  # no platform knows T-9
    assert queue_disposition(linked, version="2") == 1  # a later decision is a new write
    with linked.db.reading() as s:
        assert platform_links.platform_id(s, "standin", "delivery", "T-1") == "task-def"


def test_a_write_done_and_read_back_is_settled_and_not_made_again(linked: Runtime) -> None:
    queue_disposition(linked)
    standin = StandIn()

    assert writes.drain(linked, {"standin": standin}) == {"standin": 1}  # type: ignore[dict-item]
    assert writes.drain(linked, {"standin": standin}) == {"standin": 0}  # type: ignore[dict-item]

    [row] = write_rows(linked)
    assert row.status == WriteStatus.DONE
    assert row.read_back == {"notes": "redeliver Sat"}
    assert len(standin.made) == 1


def test_a_platform_that_is_away_gets_the_write_later_and_says_so_meanwhile(
        linked: Runtime, clock) -> None:
    queue_disposition(linked)
    standin = StandIn()
    standin.answers = [PlatformUnavailable("standin GET /x: HTTP 503 after 7 tries")]

    writes.drain(linked, {"standin": standin})  # type: ignore[dict-item]
    [row] = write_rows(linked)
    assert (row.status, row.tries) == (WriteStatus.QUEUED, 1)
    assert "503" in health.warnings(linked, ["standin"])["standin"]

    writes.drain(linked, {"standin": standin})  # type: ignore[dict-item]
    assert len(standin.made) == 1  # not before its time
    clock.advance(timedelta(minutes=writes.RETRY_AFTER[0].total_seconds() / 60 + 1))
    writes.drain(linked, {"standin": standin})  # type: ignore[dict-item]
    assert write_rows(linked)[0].status == WriteStatus.DONE
    assert health.warnings(linked, ["standin"]) == {}


def test_a_refused_write_is_left_for_a_person_with_the_platforms_words(linked: Runtime) -> None:
    queue_disposition(linked)
    standin = StandIn()
    standin.answers = [PlatformError("standin", 400, "task is completed")]

    writes.drain(linked, {"standin": standin})  # type: ignore[dict-item]

    [row] = write_rows(linked)
    assert row.status == WriteStatus.FAILED
    assert "task is completed" in row.last_error


def test_a_write_that_never_reads_back_is_given_up_after_a_few_tries(
        linked: Runtime, clock) -> None:
    queue_disposition(linked)
    standin = StandIn()
    standin.answers = [NotReadBack("notes are empty")] * writes.NOT_READ_BACK_TRIES

    for _ in range(writes.NOT_READ_BACK_TRIES):
        writes.drain(linked, {"standin": standin})  # type: ignore[dict-item]
        clock.advance(timedelta(hours=5))

    [row] = write_rows(linked)
    assert (row.status, row.tries) == (WriteStatus.FAILED, writes.NOT_READ_BACK_TRIES)
    assert "not read back: notes are empty" in row.last_error


def test_readiness_names_a_platform_that_is_away_without_failing(tmp_path, db_url, clock) -> None:
    settings = make_settings(tmp_path, db_url, onfleet_api_key="k")
    with pytest.raises(ConfigError, match=r"no \[platforms.onfleet\] section"):
        Runtime.build(settings, clock=clock, immediate=True)
    settings.operator.platforms.onfleet = PlatformConfig(default_depot="nyc-bk",
                                                         default_shipper="freshcart")
    rt = Runtime.build(settings, clock=clock, immediate=True)
    server = Served("doorstep")
    url = server.start(create_app(rt))
    try:
        with httpx.Client(base_url=url) as http:
            assert "warnings" not in http.get("/readyz").json()
            health.record(rt, "onfleet", "onfleet GET /tasks/all: HTTP 502 after 7 tries")
            answer = http.get("/readyz")
            health.record(rt, "onfleet", None)
            after = http.get("/readyz").json()
    finally:
        server.stop()
        rt.db.dispose()
    assert answer.status_code == 200
    assert answer.json()["ready"] is True
    assert "HTTP 502" in answer.json()["warnings"]["onfleet"]
    assert "warnings" not in after
