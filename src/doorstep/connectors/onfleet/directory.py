"""What the connector knows of the Onfleet organization to put a task or a worker in doorstep's
words: its teams and hubs (which depot), its workers (which driver, and the depot of a task on a
worker's list) and the depots' time zones (a task's service date). No I/O here: the connector
fills it (`loader.py`) and the translation reads it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from doorstep.config import OperatorConfig, PlatformConfig

Obj = dict[str, Any]

# Markers doorstep reads on Onfleet objects (task, worker and recipient metadata, §7.7).
DELIVERY_MARKER = "doorstep_delivery"  # on a task: the doorstep delivery it is an attempt of
REDELIVERY_MARKER = "doorstep_redelivery"  # on a task doorstep made: "<delivery>:<date>"
REDELIVERY_OF = "doorstep_redelivery_of"  # ... and the task it redelivers
DRIVER_MARKER = "doorstep_driver"  # on a worker: the doorstep driver it is
PREFIX = "onfleet-"  # ids doorstep makes from Onfleet's own where no marker says otherwise

_PHONE = re.compile(r"^\+[1-9]\d{6,14}$")
COUNTRIES = {
    "united states": "US", "united states of america": "US", "usa": "US",
    "united kingdom": "GB", "great britain": "GB", "uk": "GB", "england": "GB",
    "scotland": "GB", "wales": "GB", "northern ireland": "GB", "canada": "CA",
    "mexico": "MX", "australia": "AU", "new zealand": "NZ", "ireland": "IE", "france": "FR",
    "germany": "DE", "spain": "ES", "italy": "IT", "netherlands": "NL", "belgium": "BE",
    "portugal": "PT", "brazil": "BR", "india": "IN", "singapore": "SG", "switzerland": "CH",
    "austria": "AT", "sweden": "SE", "norway": "NO", "denmark": "DK", "finland": "FI",
    "poland": "PL", "south africa": "ZA", "united arab emirates": "AE", "japan": "JP",
}


def meta(obj: Obj | None, name: str) -> Any:
    """The value of the metadata entry `name` of a task, worker or recipient, if any."""
    for entry in (obj or {}).get("metadata") or []:
        if isinstance(entry, dict) and entry.get("name") == name:
            return entry.get("value")
    return None


def instant(ms: Any) -> datetime | None:
    """§3: epoch milliseconds; None for anything else."""
    if isinstance(ms, bool) or not isinstance(ms, int | float):
        return None
    try:
        return datetime.fromtimestamp(ms / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def phone(value: Any) -> str | None:
    return value if isinstance(value, str) and _PHONE.match(value) else None


def route_id(worker_id: str, day: date) -> str:
    """Onfleet has no routes: a worker's list for one service day stands for one."""
    return f"{worker_id}:{day.isoformat()}"


def split_route(value: str) -> tuple[str, date]:
    worker_id, _, day = value.rpartition(":")
    return worker_id, date.fromisoformat(day)


@dataclass
class Directory:
    operator: OperatorConfig
    mapping: PlatformConfig
    country: str = "US"  # the organization's, for addresses without a recognisable country
    teams: dict[str, Obj] = field(default_factory=dict)
    hubs: dict[str, Obj] = field(default_factory=dict)
    workers: dict[str, Obj] = field(default_factory=dict)
    loaded: bool = False

    # ---- depots ----------------------------------------------------------------------------

    def _mapped(self, *keys: Any) -> str | None:
        for key in keys:
            if isinstance(key, str) and key in self.mapping.depots:
                return self.mapping.depots[key]
        return None

    def team_depot(self, team_id: Any) -> str | None:
        team = self.teams.get(team_id) if isinstance(team_id, str) else None
        team = team or {}
        hub = self.hubs.get(team.get("hub") or "") or {}
        return self._mapped(team_id, team.get("name"), team.get("hub"), hub.get("name"))

    def worker_depot(self, worker: Obj | None) -> str:
        for team_id in (worker or {}).get("teams") or []:
            found = self.team_depot(team_id)
            if found:
                return found
        return self.mapping.default_depot

    def task_worker(self, task: Obj) -> str | None:
        container = task.get("container") or {}
        worker = task.get("worker") or (container.get("worker")
                                        if container.get("type") == "WORKER" else None)
        return worker if isinstance(worker, str) else None

    def task_depot(self, task: Obj) -> str:
        """The depot named in the task (`depot_field`), else its team's, else its worker's
        team's, else the default."""
        if self.mapping.depot_field:
            found = self._mapped(str(meta(task, self.mapping.depot_field) or ""))
            if found:
                return found
        container = task.get("container") or {}
        if container.get("type") == "TEAM":
            found = self.team_depot(container.get("team"))
            if found:
                return found
        worker = self.task_worker(task)
        if worker and worker in self.workers:
            return self.worker_depot(self.workers[worker])
        return self.mapping.default_depot

    def timezone(self, depot: str) -> ZoneInfo:
        return ZoneInfo(self.operator.market(self.operator.depot(depot).market).timezone)

    def service_date(self, task: Obj, depot: str) -> date:
        """The local day of the task's window, else of its ETA, else of its creation."""
        for name in ("completeAfter", "completeBefore", "estimatedArrivalTime", "eta",
                     "timeCreated"):
            at = instant(task.get(name))
            if at is not None:
                return at.astimezone(self.timezone(depot)).date()
        raise ValueError("the task has no time to tell its day by")

    def local(self, day: date, at: time, depot: str) -> datetime:
        return datetime.combine(day, at, self.timezone(depot))

    # ---- who and what --------------------------------------------------------------------

    def shipper(self, task: Obj) -> str:
        """`shipper_field` in the task's metadata or custom fields: a mapped value, a shipper
        id, else the default."""
        field_name = self.mapping.shipper_field
        value = meta(task, field_name)
        if value is None:
            for custom in task.get("customFields") or []:
                if isinstance(custom, dict) and field_name in (custom.get("key"),
                                                               custom.get("name")):
                    value = custom.get("value")
        if isinstance(value, str):
            if value in self.mapping.shippers:
                return self.mapping.shippers[value]
            if any(s.id == value for s in self.operator.shippers):
                return value
        return self.mapping.default_shipper

    def driver_id(self, worker: Obj) -> str:
        marked = meta(worker, DRIVER_MARKER)
        return marked if isinstance(marked, str) and marked else PREFIX + str(worker["id"])

    def country_code(self, name: Any) -> str:
        if isinstance(name, str):
            text = name.strip()
            if text.lower() in COUNTRIES:
                return COUNTRIES[text.lower()]
            if re.fullmatch(r"[A-Za-z]{2}", text):
                return text.upper()
        return self.country
