"""Reports sent to operations leadership at set times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class ReportKind(StrEnum):
    DAILY_EXCEPTIONS = "daily_exceptions"
    SIMULATED_DAY = "simulated_day"


@dataclass
class Report:
    id: str
    kind: ReportKind
    period_start: datetime
    period_end: datetime
    generated_at: datetime
    market_id: str | None = None
    content: dict[str, Any] | None = None
