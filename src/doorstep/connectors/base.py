"""What every route-platform connector offers doorstep, whatever the platform."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from doorstep.store.platform_writes import WriteKind


@dataclass
class Check:
    """`doorstep connectors check`: one platform's answer to "can doorstep work with it?"."""

    platform: str
    key_works: bool
    detail: str = ""
    webhooks: list[str] = field(default_factory=list)  # registered ones pointing at us
    missing: list[str] = field(default_factory=list)  # triggers/events not registered
    warnings: list[str] = field(default_factory=list)  # e.g. both would message recipients

    @property
    def ok(self) -> bool:
        return self.key_works and not self.missing


@dataclass
class SyncReport:
    """What one sync or poll pulled in."""

    platform: str
    fetched: dict[str, int] = field(default_factory=dict)  # object kind -> count read
    stored: int = 0  # new events
    duplicates: int = 0
    flagged: int = 0
    requests: int = 0

    def add(self, other: SyncReport) -> None:
        for kind, n in other.fetched.items():
            self.fetched[kind] = self.fetched.get(kind, 0) + n
        self.stored += other.stored
        self.duplicates += other.duplicates
        self.flagged += other.flagged
        self.requests += other.requests


@dataclass(frozen=True)
class Write:
    """One row of the write-back outbox, handed to the platform's connector."""

    id: int
    kind: WriteKind
    subject_id: str
    payload: dict[str, Any]


class NotReadBack(Exception):
    """The platform accepted a write but reading it back shows something else."""


class Connector(Protocol):
    """A platform connector. Every method is safe to call again: a sync stores each fact once,
    a write that was done already changes nothing more."""

    name: str

    def check(self, public_url: str | None) -> Check:
        """Whether the key works and doorstep's webhooks (if any) are registered."""
        ...

    def register_webhooks(self, public_url: str) -> list[str]:
        """Register doorstep's webhook for every event it maps; return what was added."""
        ...

    def sync(self, days: list[date]) -> SyncReport:
        """Pull in the routes, stops/tasks/orders, drivers, vehicles and depots of `days`."""
        ...

    def sync_one(self, kind: str, platform_id: str) -> SyncReport:
        """Pull in one object doorstep heard of but does not know ("task", "stop", "order" …)."""
        ...

    def poll(self) -> SyncReport:
        """For a platform without push: read its new events. Others return an empty report."""
        ...

    def write(self, write: Write) -> dict[str, Any]:
        """Make the write (idempotently) and return what reading it back showed; raise
        PlatformError when the platform refuses, NotReadBack when the read differs."""
        ...

    def close(self) -> None: ...
