"""The Onfleet connector: what doorstep asks of any route platform (connectors/base.py), done
the Onfleet way. Webhooks come in through `web/webhooks_onfleet.py` and `receive`; the rest is
in the modules named after what they do."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from doorstep.config import PlatformConfig
from doorstep.connectors.base import Check, SyncReport, Write
from doorstep.connectors.onfleet import hooks, inbox, sync, writes
from doorstep.connectors.onfleet.client import make_client
from doorstep.connectors.onfleet.directory import Directory

if TYPE_CHECKING:
    from doorstep.runtime import Runtime

SOURCE = "onfleet"


class OnfleetConnector:
    name = SOURCE

    def __init__(self, rt: Runtime, mapping: PlatformConfig, *,
                 sleep: Callable[[float], None] = time.sleep, retries: int = 6) -> None:
        self.rt = rt
        self.mapping = mapping
        self.client = make_client(rt.settings, sleep=sleep, retries=retries)
        self.directory = Directory(rt.operator, mapping)
        # The directory is shared by the web threads and the jobs of this process.
        self.lock = threading.RLock()

    def check(self, public_url: str | None) -> Check:
        return hooks.check(self, public_url)

    def register_webhooks(self, public_url: str) -> list[str]:
        return hooks.register(self, public_url)

    def receive(self, payload: Any, body: bytes) -> str:
        """One webhook payload, signature already verified: "stored", "duplicate", "flagged"
        or "ignored"."""
        return inbox.receive(self, payload, body)

    def sync(self, days: list[date]) -> SyncReport:
        return sync.sync_days(self, days)

    def sync_one(self, kind: str, platform_id: str) -> SyncReport:
        return sync.sync_one(self, kind, platform_id)

    def poll(self) -> SyncReport:
        return SyncReport(SOURCE)  # Onfleet pushes

    def write(self, write: Write) -> dict[str, Any]:
        return writes.make(self, write)

    def close(self) -> None:
        self.client.close()
