"""A day's figures, read from the events as they are played (it is a sink like any other)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from rich.table import Table

from doorstep.config import OperatorConfig
from doorstep.sim.people import DRIVER_REPLIES, RECIPIENT_REPLIES

_DECLINES = {t for texts in DRIVER_REPLIES["decline"].values() for t in texts}
_STOPS = {t.strip().upper() for texts in RECIPIENT_REPLIES["stop"].values() for t in texts}


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


class DaySummary:
    """Counts what happened. Keeps a few bytes per delivery (its window and depot), no events."""

    def __init__(self, operator: OperatorConfig | None = None) -> None:
        self.market_of = {d.id: d.market for d in operator.depots} if operator else {}
        self.types: Counter[str] = Counter()
        self.windows: dict[str, tuple[float, float]] = {}
        self.depot_of: dict[str, str] = {}
        self.arrived: set[str] = set()
        self.in_window = self.late = 0
        self.failed_by_reason: Counter[str] = Counter()
        self.failed_unattempted = 0
        self.by_depot: dict[str, Counter[str]] = {}
        self.exception_kinds: Counter[str] = Counter()
        self.exception_severities: Counter[str] = Counter()
        self.driver_phones: set[str] = set()
        self.on_call_phones: set[str] = set()
        self.replies: Counter[str] = Counter()
        self.service_dates: set[str] = set()
        self.first_at: str | None = None
        self.last_at: str | None = None

    def send(self, batch: list[dict[str, Any]]) -> None:
        for event in batch:
            self.add(event)

    def add(self, event: dict[str, Any]) -> None:
        kind, data = event["type"], event["data"]
        self.types[kind] += 1
        self.first_at = self.first_at or event["occurred_at"]
        self.last_at = event["occurred_at"]
        if kind == "delivery.created":
            did = data["delivery_id"]
            self.service_dates.add(data["service_date"])
            self.depot_of[did] = data["depot"]
            self._count(did, "deliveries")
            if data.get("window_start"):
                self.windows[did] = (datetime.fromisoformat(data["window_start"]).timestamp(),
                                     datetime.fromisoformat(data["window_end"]).timestamp())
        elif kind == "delivery.arrived":
            did = data["delivery_id"]
            self.arrived.add(did)
            window = self.windows.get(did)
            if window:
                at = datetime.fromisoformat(event["occurred_at"]).timestamp()
                self.in_window += window[0] <= at <= window[1]
                self.late += at > window[1]
        elif kind == "delivery.delivered":
            self._count(data["delivery_id"], "delivered")
        elif kind == "delivery.failed":
            self._count(data["delivery_id"], "failed")
            self.failed_by_reason[data["reason"]] += 1
            self.failed_unattempted += data["delivery_id"] not in self.arrived
        elif kind == "exception.reported":
            self.exception_kinds[data["kind"]] += 1
            self.exception_severities[data["severity"]] += 1
        elif kind == "driver.upserted" and data.get("phone"):
            self.driver_phones.add(data["phone"])
            if data.get("on_call"):
                self.on_call_phones.add(data["phone"])
        elif kind == "message.received":
            self._reply(data)

    def _count(self, delivery_id: str, what: str) -> None:
        depot = self.depot_of.get(delivery_id, "?")
        self.by_depot.setdefault(depot, Counter())[what] += 1

    def _reply(self, data: dict[str, Any]) -> None:
        sender, body = data["from_addr"], data["body"]
        if sender in self.on_call_phones:
            self.replies["offer_replies"] += 1
        elif sender in self.driver_phones:
            self.replies["callouts_by_reply" if body in _DECLINES else "confirmations"] += 1
        else:
            self.replies["recipient_replies"] += 1
            self.replies["stop_requests"] += body.strip().upper() in _STOPS

    def as_dict(self) -> dict[str, Any]:
        t = self.types
        created, delivered, failed = (t["delivery.created"], t["delivery.delivered"],
                                      t["delivery.failed"])
        attempted = len(self.arrived)
        by_market: dict[str, Counter[str]] = {}
        for depot, counts in self.by_depot.items():
            by_market.setdefault(self.market_of.get(depot, depot), Counter()).update(counts)
        callouts_platform = t["shift.callout"]
        return {
            "service_dates": sorted(self.service_dates),
            "first_event_at": self.first_at, "last_event_at": self.last_at,
            "events": sum(t.values()), "events_by_type": dict(sorted(t.items())),
            "events_per_delivery": round(sum(t.values()) / created, 2) if created else None,
            "deliveries": created, "delivered": delivered, "failed": failed,
            "open": max(created - delivered - failed, 0),
            "attempted": attempted, "failed_not_attempted": self.failed_unattempted,
            "first_attempt_success_rate": _share(delivered, attempted),
            "failed_attempt_rate": _share(failed - self.failed_unattempted, attempted),
            "failed_by_reason": dict(sorted(self.failed_by_reason.items())),
            "arrived_in_window_share": _share(self.in_window, attempted),
            "arrived_late_share": _share(self.late, attempted),
            "eta_updates": t["delivery.eta_updated"],
            "routes": t["route.planned"], "routes_started": t["route.started"],
            "routes_completed": t["route.completed"],
            "shifts": t["shift.planned"],
            "callouts": callouts_platform + self.replies["callouts_by_reply"],
            "callouts_by_platform": callouts_platform,
            "callouts_by_reply": self.replies["callouts_by_reply"],
            "confirmations": self.replies["confirmations"],
            "offer_replies": self.replies["offer_replies"],
            "exceptions": t["exception.reported"], "exceptions_resolved": t["exception.resolved"],
            "exceptions_by_kind": dict(sorted(self.exception_kinds.items())),
            "exceptions_by_severity": dict(sorted(self.exception_severities.items())),
            "recipient_replies": self.replies["recipient_replies"],
            "stop_requests": self.replies["stop_requests"],
            "by_market": {m: {k: c[k] for k in ("deliveries", "delivered", "failed")}
                          for m, c in sorted(by_market.items())},
        }

    def table(self) -> Table:
        return summary_table(self.as_dict())


def summary_table(figures: dict[str, Any]) -> Table:
    table = Table(title=f"Simulated day {', '.join(figures['service_dates']) or '(no deliveries)'}")
    table.add_column("figure")
    table.add_column("value", justify="right")

    def pct(x: float | None) -> str:
        return "–" if x is None else f"{x:.1%}"

    rows: list[tuple[str, str]] = [
        ("deliveries", f"{figures['deliveries']:,}"),
        ("delivered", f"{figures['delivered']:,}"),
        ("failed", f"{figures['failed']:,}"),
        *((f"  failed: {r}", f"{n:,}") for r, n in figures["failed_by_reason"].items()),
        ("first-attempt success", pct(figures["first_attempt_success_rate"])),
        ("arrived inside the window", pct(figures["arrived_in_window_share"])),
        ("ETA updates", f"{figures['eta_updates']:,}"),
        ("routes (completed)", f"{figures['routes']:,} ({figures['routes_completed']:,})"),
        ("shifts", f"{figures['shifts']:,}"),
        ("callouts (platform + reply)", f"{figures['callouts']:,} ({figures['callouts_by_platform']}"
                                        f" + {figures['callouts_by_reply']})"),
        ("shift confirmations", f"{figures['confirmations']:,}"),
        ("offer replies", f"{figures['offer_replies']:,}"),
        ("exceptions", f"{figures['exceptions']:,}"),
        *((f"  exceptions: {k}", f"{n:,}") for k, n in figures["exceptions_by_kind"].items()),
        ("recipient replies (STOP)", f"{figures['recipient_replies']:,} "
                                     f"({figures['stop_requests']:,})"),
        *((f"market {m}", f"{c['deliveries']:,} / {c['delivered']:,} / {c['failed']:,}")
          for m, c in figures["by_market"].items()),
        ("events (per delivery)", f"{figures['events']:,} ({figures['events_per_delivery']})"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    return table
