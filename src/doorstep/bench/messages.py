"""`doorstep bench messages`: the outbox drained to a provider, and templates rendered.

Messages: N queued messages in a fresh SQLite file are drained by the real sender through the
twilio SDK to the fake Twilio (local HTTP) — claim, render, send, record, one message at a time
as in production. Beside it, in the same run, the raw limit of that path: the same SDK creating
the same number of messages at the same fake with no outbox at all.

Templates: doorstep's render (sandboxed Jinja2, defaults, reason texts) beside the raw rate of
one plain compiled Jinja2 template rendering the same text.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from jinja2 import Environment
from rich.console import Console
from rich.table import Table

from doorstep.clock import SystemClock
from doorstep.config import Settings
from doorstep.domain import Channel
from doorstep.events.outbox import queue_message
from doorstep.messaging import sender
from doorstep.messaging.channels.twilio_sms import TwilioSms
from doorstep.messaging.render import DEFAULTS, render
from doorstep.runtime import Runtime
from doorstep.sim.fakes.twilio import FakeTwilio
from doorstep.store.migrate import upgrade
from doorstep.store.sql import count_by
from doorstep.store.tables import messages
from doorstep.workflows.actions import Audience, QueueMessage

CONTEXT = {"reason": "not_home", "attempt": 1}
# The drain spends every message's segments from its sender's budget, as in production, at a
# rate far above what one process reaches: the figure includes the limiter's cost, not its pace.
BENCH_SMS_RATE = 100_000.0


def _queue(rt: Runtime, n: int) -> None:
    with rt.db.transaction() as s:
        for i in range(n):
            queue_message(s, QueueMessage(
                purpose="recover.reach_out", channel=Channel.SMS, audience=Audience.RECIPIENT,
                dedup_key=f"bench-{i}", subject_type="delivery", subject_id=f"D{i}",
                to_addr=f"+1212555{i % 10_000:04d}", template="failed_attempt",
                context=CONTEXT, shipper_id="freshcart", market_id="nyc"), rt.clock.now())


def measure_outbox(n: int, config_file: Path, console: Console) -> dict[str, Any]:
    for name in ("TWILIO_EDGE", "TWILIO_REGION"):
        os.environ.pop(name, None)
    workdir = Path(tempfile.mkdtemp(prefix="doorstep-bench-messages-"))
    try:
        settings = Settings(database_url=f"sqlite:///{workdir / 'doorstep.db'}",
                            data_dir=workdir / "var", config_file=config_file,
                            messaging="live", sms_rate_per_sender=BENCH_SMS_RATE)
        rt = Runtime.build(settings)
        upgrade(rt.db)
        rt.sync_operator()
        _queue(rt, n)
        with FakeTwilio(clock=SystemClock(), seed=1) as fake:
            sms = TwilioSms(fake.account_sid, fake.auth_token, base_url=fake.url, timeout=10)
            with console.status(f"raw: {n:,} messages created with the SDK alone ..."):
                started = time.perf_counter()
                for i in range(n):
                    sms.client.messages.create(to=f"+1213555{i % 10_000:04d}",
                                               from_="+12125550110", body="raw limit")
                raw = n / (time.perf_counter() - started)
            with console.status(f"doorstep: draining {n:,} queued messages ..."):
                started = time.perf_counter()
                while sender.send_due(rt.db, lambda _c: sms, rt.clock.now,
                                      limiter=rt.limiter):
                    pass
                drained = n / (time.perf_counter() - started)
            created = len(fake.messages) - n
        with rt.db.reading() as s:
            statuses = count_by(s, messages.c.status)
        rt.db.dispose()
        return {"messages": n, "outbox_per_second": round(drained, 1),
                "raw_sdk_per_second": round(raw, 1), "created_at_provider": created,
                "statuses": statuses, "sms_rate_per_sender": settings.sms_rate_per_sender,
                "limiter": "database" if rt.limiter else "none"}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def measure_templates(n: int) -> dict[str, Any]:
    source = DEFAULTS[("failed_attempt", "en")]
    plain = Environment().from_string(source)
    values = {"shipper": "FreshCart Grocery", "reason_text": "no one was home", **CONTEXT}
    started = time.perf_counter()
    for _ in range(n):
        plain.render(**values)
    raw = n / (time.perf_counter() - started)
    started = time.perf_counter()
    for _ in range(n):
        render("failed_attempt", "en", CONTEXT, shipper_name="FreshCart Grocery")
    ours = n / (time.perf_counter() - started)
    return {"renders": n, "render_per_second": round(ours, 1),
            "raw_jinja2_per_second": round(raw, 1)}


def run(messages_n: int, renders: int, config_file: Path, console: Console) -> dict[str, Any]:
    return {"cores": os.cpu_count(), "outbox": measure_outbox(messages_n, config_file, console),
            "templates": measure_templates(renders)}


def render_table(result: dict[str, Any], console: Console) -> None:
    o, t = result["outbox"], result["templates"]
    table = Table(title="Messages: outbox to the provider, and templates")
    for col in ("what", "per second", "raw limit per second", "of raw"):
        table.add_column(col, justify="right")
    table.add_row(f"outbox → fake Twilio ({o['messages']:,} SMS)",
                  f"{o['outbox_per_second']:,.0f}", f"{o['raw_sdk_per_second']:,.0f}",
                  f"{o['outbox_per_second'] / o['raw_sdk_per_second']:.0%}")
    table.add_row(f"template renders ({t['renders']:,})", f"{t['render_per_second']:,.0f}",
                  f"{t['raw_jinja2_per_second']:,.0f}",
                  f"{t['render_per_second'] / t['raw_jinja2_per_second']:.0%}")
    console.print(table)
    console.print(f"outbox: claim, render, send through the twilio SDK over local HTTP, record, "
                  f"one message at a time (SQLite, synchronous=FULL); raw: the same SDK creating "
                  f"the same number at the same fake, no outbox. The provider got "
                  f"{o['created_at_provider']:,} messages for {o['messages']:,} queued; "
                  f"outbox now {o['statuses']}. Send budget: {o['sms_rate_per_sender']:,.0f} "
                  f"segments/s per sender ({o['limiter']} limiter), set far above this rate so "
                  f"that the figure holds the limiter's cost but not its pace (production "
                  f"default: 1 segment/s per number). templates: doorstep's sandboxed render with "
                  f"its defaults, beside one plain compiled Jinja2 template. "
                  f"{result['cores']} cores.", highlight=False)
