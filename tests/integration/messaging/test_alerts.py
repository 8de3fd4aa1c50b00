"""Internal alerts through Apprise to a real local HTTP endpoint (Apprise's json:// URL)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import sqlalchemy as sa

from doorstep.domain import Channel
from doorstep.events.outbox import queue_message
from doorstep.messaging import sender
from doorstep.messaging.channels.apprise_alerts import AppriseAlerts
from doorstep.runtime import Runtime
from doorstep.store.tables import messages
from doorstep.workflows.actions import Audience, QueueMessage


class Receiver(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.got: list[dict[str, Any]] = []
        self.answer = 200


class Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:  # noqa: N802 - the http.server interface
        length = int(self.headers.get("content-length", 0))
        self.server.got.append(json.loads(self.rfile.read(length)))
        self.send_response(self.server.answer)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def queue_callout(rt: Runtime) -> str:
    action = QueueMessage(purpose="crew.callout", channel=Channel.ALERT,
                          audience=Audience.SUPERVISOR, dedup_key="callout:S1",
                          subject_type="shift", subject_id="S1", to_addr="sup@example.com",
                          template="callout_alert",
                          context={"driver": "Pat Driver", "depot_id": "nyc-bk",
                                   "starts_at": "07:00", "hours_to_start": 9.5,
                                   "reason": "sick"}, market_id="nyc")
    with rt.db.transaction() as s:
        queue_message(s, action, rt.clock.now())
        return str(s.scalar(sa.select(messages.c.id)))


def test_an_alert_reaches_the_operators_destination(runtime: Runtime,
                                                    receiver: Receiver) -> None:
    mid = queue_callout(runtime)
    alerts = AppriseAlerts([f"json://127.0.0.1:{receiver.server_port}/alerts"])

    assert sender.send_due(runtime.db, lambda _c: alerts, runtime.clock.now) == 1

    [got] = receiver.got
    assert got["message"] == ("Callout: Pat Driver will not work the nyc-bk shift starting 07:00 "
                              "(9.5 h away): sick.")
    with runtime.db.reading() as s:
        assert s.scalar(sa.select(messages.c.status).where(messages.c.id == mid)) == "sent"


def test_a_destination_that_fails_gets_the_alert_again_later(runtime: Runtime,
                                                             receiver: Receiver) -> None:
    receiver.answer = 500
    mid = queue_callout(runtime)
    alerts = AppriseAlerts([f"json://127.0.0.1:{receiver.server_port}/alerts"])

    sender.send_due(runtime.db, lambda _c: alerts, runtime.clock.now)

    with runtime.db.reading() as s:
        row = s.execute(sa.select(messages).where(messages.c.id == mid)).one()
    assert (row.status, row.error_code) == ("queued", "alert") and len(receiver.got) == 1


def test_an_unknown_apprise_url_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="not an Apprise URL"):
        AppriseAlerts(["nosuchservice://x"])
