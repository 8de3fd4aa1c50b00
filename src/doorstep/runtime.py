"""The composition root: settings, database, clock, queue, tasks and intake for one process."""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from huey.api import Huey

from doorstep.clock import Clock, SystemClock
from doorstep.config import OperatorConfig, Settings
from doorstep.domain import Severity
from doorstep.events.intake import Intake
from doorstep.events.processing import Policies
from doorstep.jobs import tasks as task_registry
from doorstep.jobs.queue import build_huey
from doorstep.messaging.inbound import Contact
from doorstep.messaging.rate import Limiter, build_limiter
from doorstep.store import reference
from doorstep.store.db import Database
from doorstep.windows import saved as saved_windows
from doorstep.workflows.exceptions import ExceptionPolicy
from doorstep.workflows.recover import RecoverPolicy

if TYPE_CHECKING:
    from doorstep.connectors.base import Connector


@dataclass
class Runtime:
    settings: Settings
    operator: OperatorConfig
    db: Database
    clock: Clock
    huey: Huey
    tasks: task_registry.Tasks
    intake: Intake
    policies: Policies
    limiter: Limiter | None  # send budgets per sender; None when nothing leaves doorstep
    # The route platforms' connectors, made on first use and shared by this process's threads
    # (one client per platform, so its rate limit holds across them).
    _connectors: dict[str, Connector] | None = field(default=None, repr=False)

    @classmethod
    def build(cls, settings: Settings, *, clock: Clock | None = None,
              immediate: bool = False) -> Runtime:
        operator = settings.operator  # a bad file stops the process here, before anything runs
        db = Database(settings.database_url)
        huey = build_huey(settings, immediate=immediate)
        policies = Policies(
            exceptions=ExceptionPolicy(alert_at=Severity(operator.policies.critical_severity)),
            recover=RecoverPolicy(chronic_failures=operator.policies.chronic_failures,
                                  daytime_start=operator.policies.quiet_hours.start,
                                  daytime_end=operator.policies.quiet_hours.end),
            contact=Contact(operator.operator.name, operator.operator.support_phone,
                            operator.operator.support_email),
            notify={s.id: s.notify for s in operator.shippers},
            tracking_base=settings.public_url or f"http://{settings.host}:{settings.port}",
            windows=saved_windows.load(settings.data_dir)[0],
        )
        rt = cls(settings=settings, operator=operator, db=db, clock=clock or SystemClock(),
                 huey=huey, tasks=None, intake=None, policies=policies,  # type: ignore[arg-type]
                 limiter=build_limiter(settings))
        from doorstep.connectors import registry
        for platform in registry.keyed(settings):
            registry.mapping(rt, platform)  # a key without its mapping stops the process here
        rt.tasks = task_registry.register(huey, rt)
        rt.intake = Intake(db, rt.clock, rt.tasks.enqueue_events)
        return rt

    def connectors(self) -> dict[str, Connector]:
        if self._connectors is None:
            from doorstep.connectors import registry
            self._connectors = registry.configured(self)
        return self._connectors

    def close_connectors(self) -> None:
        for connector in (self._connectors or {}).values():
            connector.close()
        self._connectors = None

    def sync_operator(self) -> None:
        """Bring the configured markets, depots and shippers into the database."""
        with self.db.transaction() as session:
            reference.sync_operator(session, *self.operator.to_domain())


def generic_webhook_secret(settings: Settings) -> str:
    """The configured secret, or for a development machine one made once and kept in data_dir."""
    if settings.generic_webhook_secret is not None:
        return settings.generic_webhook_secret.get_secret_value()
    return kept_secret(Path(settings.data_dir) / "generic-webhook-secret",
                       lambda: "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode())


def kept_secret(path: Path, make: Callable[[], str]) -> str:
    """A secret made once and kept in a file only its owner can read; later calls read it."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        secret = make() + "\n"
        try:  # made readable by its owner only from the start, never for a moment by others
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first: use theirs
        else:
            with os.fdopen(fd, "w") as f:
                f.write(secret)
    return path.read_text().strip()
