"""The login throttle: after repeated failures, a key (an email, an address) must wait.

Counted in the database, so it holds across every web process. An email that does not exist is
counted like one that does: the throttle tells an attacker nothing about who has an account.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from doorstep.store.tables import login_failures

WINDOW = timedelta(minutes=15)
FIRST_WAIT = timedelta(seconds=30)
LONGEST_WAIT = timedelta(minutes=15)


@dataclass(frozen=True)
class Limit:
    prefix: str
    free_failures: int  # failures allowed in WINDOW before each further try must wait


# One office behind one address shares it, so an address may fail more often than an email.
EMAIL = Limit("email", 5)
ADDRESS = Limit("ip", 20)


def wait_after(failures: int, limit: Limit) -> timedelta:
    """0 while under the limit, then 30 s, doubling with each failure, at most 15 minutes."""
    over = failures - limit.free_failures
    if over < 0:
        return timedelta(0)
    wait: timedelta = min(FIRST_WAIT * (2 ** min(over, 16)), LONGEST_WAIT)
    return wait


def _row(s: Session, key: str) -> sa.Row[Any] | None:
    return s.execute(sa.select(login_failures).where(login_failures.c.key == key)).first()


def retry_after(s: Session, keys: dict[Limit, str], now: datetime) -> int:
    """Seconds to wait before any of `keys` may try again (0: go ahead)."""
    longest = 0.0
    for limit, value in keys.items():
        row = _row(s, f"{limit.prefix}:{value}")
        if row is None or now - row.first_at > WINDOW:
            continue
        until = row.last_at + wait_after(row.failures, limit)
        longest = max(longest, (until - now).total_seconds())
    return int(longest + 0.999) if longest > 0 else 0


def record_failure(s: Session, keys: dict[Limit, str], now: datetime) -> None:
    for limit, value in keys.items():
        key = f"{limit.prefix}:{value}"
        row = _row(s, key)
        if row is None:
            s.execute(login_failures.insert().values(key=key, failures=1, first_at=now,
                                                     last_at=now))
        elif now - row.first_at > WINDOW:
            s.execute(login_failures.update().where(login_failures.c.key == key)
                      .values(failures=1, first_at=now, last_at=now))
        else:
            s.execute(login_failures.update().where(login_failures.c.key == key)
                      .values(failures=login_failures.c.failures + 1, last_at=now))


def clear(s: Session, limit: Limit, value: str) -> None:
    s.execute(login_failures.delete().where(login_failures.c.key == f"{limit.prefix}:{value}"))
