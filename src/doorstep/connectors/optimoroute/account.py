"""What every part of the OptimoRoute connector works with: the account's client, the
operator's mapping and doorstep's side (links, cursor, storing)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from doorstep.connectors.optimoroute.book import Book
from doorstep.connectors.optimoroute.client import OptimoClient
from doorstep.connectors.optimoroute.orders import Context

if TYPE_CHECKING:
    from doorstep.runtime import Runtime


@dataclass
class Account:
    rt: Runtime
    ctx: Context
    client: OptimoClient
    book: Book

    def today(self) -> date:
        """Today where the default depot is (OptimoRoute's days are the account's)."""
        tz: ZoneInfo = self.ctx.zone(self.ctx.mapping.default_depot)
        return self.rt.clock.now().astimezone(tz).date()
