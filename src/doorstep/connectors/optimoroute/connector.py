"""The OptimoRoute connector (contracts/optimoroute.md): doorstep's `Connector` for one
OptimoRoute account. OptimoRoute does not push, so there are no webhooks: `poll()` reads the
event feed (the jobs call it every `optimoroute_poll_seconds`), `sync()` the days' orders and
routes, `write()` makes the write-back owed to it."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import httpx

from doorstep.connectors import jobs
from doorstep.connectors.base import Check, SyncReport, Write
from doorstep.connectors.http import PlatformError, PlatformUnavailable
from doorstep.connectors.optimoroute import poll as polling
from doorstep.connectors.optimoroute import sync as syncing
from doorstep.connectors.optimoroute import writes
from doorstep.connectors.optimoroute.account import Account
from doorstep.connectors.optimoroute.assign import assign_route
from doorstep.connectors.optimoroute.book import Book
from doorstep.connectors.optimoroute.client import PLATFORM, OptimoClient
from doorstep.connectors.optimoroute.orders import Context
from doorstep.store.platform_writes import WriteKind

if TYPE_CHECKING:
    from doorstep.config import PlatformConfig
    from doorstep.runtime import Runtime

WRITERS: dict[WriteKind, Callable[[Account, Write], dict[str, Any]]] = {
    WriteKind.ASSIGN_ROUTE: assign_route,
    WriteKind.DISPOSITION: writes.disposition,
    WriteKind.REDELIVERY: writes.redelivery,
    WriteKind.INSTRUCTIONS: writes.instructions,
    WriteKind.SILENCE_RECIPIENT: writes.silence,
}


class OptimoRouteConnector:
    name = PLATFORM

    def __init__(self, rt: Runtime, mapping: PlatformConfig, *,
                 sleep: Callable[[float], None] = time.sleep,
                 transport: httpx.BaseTransport | None = None) -> None:
        key = rt.settings.optimoroute_api_key
        if key is None:
            raise ValueError("DOORSTEP_OPTIMOROUTE_API_KEY is not set")
        client = OptimoClient(rt.settings.optimoroute_base_url, key.get_secret_value(),
                              timeout=rt.settings.platform_timeout_seconds, sleep=sleep,
                              now=rt.clock.now, transport=transport)
        self.account = Account(rt, Context.of(rt.operator, mapping), client, Book(rt))

    def check(self, public_url: str | None) -> Check:
        """The key (one `get_routes` of today), and what doorstep cannot see for itself."""
        acct = self.account
        result = Check(PLATFORM, key_works=True)
        try:
            acct.client.get("get_routes", date=acct.today().isoformat())
        except PlatformError as err:
            result.key_works, result.detail = False, f"{err.code or err.status}: {err.detail}"
        except PlatformUnavailable as err:
            result.key_works, result.detail = False, str(err)
        result.warnings += self._warnings()
        return result

    def _warnings(self) -> list[str]:
        acct = self.account
        out = []
        if acct.ctx.mapping.silence_platform_messages:
            out.append("OptimoRoute's own SMS/email (Settings → Order Tracking) cannot be read "
                       "through its API: doorstep sets notificationPreference=dont_notify on "
                       "each order it messages about (a field not confirmed by OptimoRoute's "
                       "reference) — switch the notifications off there as well")
        else:
            out.append("silence_platform_messages is off: OptimoRoute (if its Order Tracking "
                       "notifications are on) and doorstep would both message recipients")
        saved = acct.book.read_at()
        if saved is None:
            out.append("the event feed has not been read yet: the first poll catches up "
                       "today's and tomorrow's orders, then reads get_events from its oldest")
        else:
            late = acct.rt.clock.now() - saved
            every = timedelta(seconds=acct.rt.settings.optimoroute_poll_seconds)
            if late > max(every * 10, timedelta(minutes=10)):
                out.append(f"the event feed was last read {int(late.total_seconds() // 60)} "
                           "minutes ago: is the worker running?")
        return out

    def register_webhooks(self, public_url: str) -> list[str]:
        return []  # §11: OptimoRoute has no webhooks; doorstep polls get_events

    def sync(self, days: list[date]) -> SyncReport:
        return syncing.sync(self.account, days)

    def sync_one(self, kind: str, platform_id: str) -> SyncReport:
        return syncing.sync_one(self.account, kind, platform_id, jobs.sync_days(self.account.rt))

    def poll(self) -> SyncReport:
        return polling.poll(self.account)

    def write(self, write: Write) -> dict[str, Any]:
        return WRITERS[write.kind](self.account, write)

    def close(self) -> None:
        self.account.client.close()
