"""Send budgets per sender: no SMS number, messaging service or email address is handed more than
its rate, however many workers drain the outbox (contracts/twilio.md §8).

GCRA, the generic cell rate algorithm: a sender keeps one number, its theoretical arrival time
`tat`, the moment by which everything already spent would have gone out at exactly the rate. A
send of `cost` units at `now` moves it to max(tat, now) + cost/rate, and is allowed while that is
no further ahead of `now` than the burst (in seconds of the rate). One number a sender and one
atomic read-modify-write a send: in the database, in the claim's own transaction, or in Redis.

SMS spends segments (a 3-part text uses 3 s of a 1 segment/s number); email spends messages.
Alerts and the console are not limited.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import TYPE_CHECKING, Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from doorstep.domain import Channel
from doorstep.messaging.segments import segments
from doorstep.store.sql import insert_for
from doorstep.store.tables import send_rates

if TYPE_CHECKING:
    import redis

    from doorstep.config import Settings

# Epoch seconds as a float are exact to about 0.2 µs near 2026; a microsecond of slack keeps a
# send that comes back exactly when told from being refused again over rounding.
EPSILON = 1e-6
REDIS_PREFIX = "doorstep:rate:"
# The advisory-lock space of send budgets on PostgreSQL ("rate").
LOCK_SPACE = 0x72617465


@dataclass(frozen=True)
class Rate:
    """`per_second` units a second, `burst` units at once after a quiet spell."""

    per_second: float
    burst: float

    @classmethod
    def of(cls, per_second: float, burst_seconds: float) -> Rate:
        return cls(per_second, max(1.0, per_second * burst_seconds))

    def window(self, cost: float) -> float:
        """How far past `now` a send may push the tat: the burst, in seconds of the rate. A
        message larger than the burst would never fit: it goes alone, once the sender is idle,
        and the sends after it wait it out."""
        return max(self.burst, cost) / self.per_second


def gcra(tat: float | None, cost: float, rate: Rate, now: float) -> tuple[float | None, float]:
    """(the new tat, 0.0) when `cost` may be spent at `now`; (None, seconds to wait) if not."""
    new = max(tat if tat is not None else now, now) + cost / rate.per_second
    over = new - now - rate.window(cost)
    return (new, 0.0) if over <= EPSILON else (None, over)


class Store(Protocol):
    def take(self, s: Session, key: str, cost: float, rate: Rate, now: float) -> float:
        """Spend `cost` of `key`'s budget at `now` (epoch seconds) and return 0.0, or spend
        nothing and return the seconds until it could be spent."""


class DatabaseStore:
    """`send_rates` rows, each take one INSERT … ON CONFLICT DO UPDATE … RETURNING in the
    caller's transaction: a budget is spent only if the claim that spent it commits. SQLite's
    single writer serialises takes; on PostgreSQL the row lock does, held until that commit."""

    def take(self, s: Session, key: str, cost: float, rate: Rate, now: float) -> float:
        if s.get_bind().dialect.name == "postgresql" and not _try_lock(s, key):
            # Another worker's claim is spending this sender's budget right now and holds its
            # row until it commits. Waiting for it could deadlock two claims that meet two
            # senders in opposite orders; looking again one unit later cannot.
            return cost / rate.per_second
        start = sa.case((send_rates.c.tat > now, send_rates.c.tat), else_=sa.literal(now))
        new = start + cost / rate.per_second
        stmt = (insert_for(s)(send_rates).values(sender=key, tat=now + cost / rate.per_second)
                .on_conflict_do_update(index_elements=[send_rates.c.sender], set_={"tat": new},
                                       where=new - now <= rate.window(cost) + EPSILON)
                .returning(send_rates.c.tat))
        if s.execute(stmt).first() is not None:
            return 0.0
        tat = s.scalar(sa.select(send_rates.c.tat).where(send_rates.c.sender == key))
        # The database said no: never report a zero wait that a caller would read as "spent".
        return max(gcra(tat, cost, rate, now)[1], EPSILON)


def _try_lock(s: Session, key: str) -> bool:
    """This sender's budget for the rest of the transaction, if no other transaction has it."""
    crc = zlib.crc32(key.encode())
    signed = crc - (1 << 32) if crc >= 1 << 31 else crc
    return bool(s.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(LOCK_SPACE, signed))))


# KEYS[1]: the sender's key. ARGV: now, cost / rate, the window, EPSILON (seconds).
# Numbers travel as strings: Redis would truncate a Lua number to an integer.
TAKE_LUA = """
local now = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or ARGV[1])
if tat < now then tat = now end
local new = tat + tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local over = new - now - window
if over > tonumber(ARGV[4]) then
  return string.format('%.17g', over)
end
redis.call('SET', KEYS[1], string.format('%.17g', new), 'PX', math.ceil(window * 1000) + 1000)
return '0'
"""


class RedisStore:
    """One key a sender, changed by a Lua script (atomic in Redis). It lives a second longer
    than the burst window: past its tat a sender's budget is full, as if it had no key."""

    def __init__(self, client: redis.Redis, prefix: str = REDIS_PREFIX) -> None:
        self.prefix = prefix
        self._take = client.register_script(TAKE_LUA)

    def take(self, s: Session, key: str, cost: float, rate: Rate, now: float) -> float:
        answer = self._take(keys=[self.prefix + key],
                            args=[repr(now), repr(cost / rate.per_second),
                                  repr(rate.window(cost)), repr(EPSILON)])
        return float(answer)


@dataclass(frozen=True)
class Limiter:
    """Which budget a message draws on, and how much of it; `store` keeps the budgets. A rate
    of None leaves that kind of sender unlimited."""

    store: Store
    sms: Rate | None = None
    sms_service: Rate | None = None  # a Twilio messaging service: a pool of numbers
    email: Rate | None = None

    def rate_for(self, channel: Channel, sender: str) -> Rate | None:
        if channel is Channel.SMS:
            return self.sms_service if sender.startswith("MG") else self.sms
        return self.email if channel is Channel.EMAIL else None

    @staticmethod
    def key(channel: Channel, sender: str) -> str:
        if channel is Channel.EMAIL:  # "FreshCart <orders@x>" and "orders@x" are one sender
            sender = (parseaddr(sender)[1] or sender).lower()
        return f"{channel.value}:{sender}"[:400]

    @staticmethod
    def cost(channel: Channel, body: str) -> int:
        return max(1, segments(body).count) if channel is Channel.SMS else 1

    def take(self, s: Session, channel: Channel, sender: str, body: str,
             now: datetime) -> timedelta:
        """Spend one message's cost and return zero, or return how long until it fits."""
        rate = self.rate_for(channel, sender)
        if rate is None:
            return timedelta(0)
        wait = self.store.take(s, self.key(channel, sender), self.cost(channel, body), rate,
                               now.timestamp())
        return _whole_microseconds(wait)


def _whole_microseconds(seconds: float) -> timedelta:
    """Rounded up: a message looked at again a hair too early would only be refused again."""
    return timedelta(microseconds=math.ceil(seconds * 1_000_000)) if seconds > 0 else timedelta(0)


@dataclass
class Pacing:
    """One claim's use of the limiter. A sender refused once in a batch is not asked again: its
    later messages in the batch line up behind the refused one, each its own cost later, so
    later claims find them due one at a time rather than all at once."""

    limiter: Limiter
    session: Session
    now: datetime
    _last: dict[str, datetime] = field(default_factory=dict)

    def defer(self, channel: Channel, sender: str | None, body: str) -> datetime | None:
        """None when the message may go now (its cost is spent); else when to look again."""
        rate = self.limiter.rate_for(channel, sender) if sender else None
        if rate is None or not sender:
            return None
        key = self.limiter.key(channel, sender)
        last = self._last.get(key)
        if last is not None:
            cost = self.limiter.cost(channel, body)
            at = last + _whole_microseconds(cost / rate.per_second)
        else:
            wait = self.limiter.take(self.session, channel, sender, body, self.now)
            if not wait:
                return None
            at = self.now + wait
        self._last[key] = at
        return at


def build_limiter(settings: Settings) -> Limiter | None:
    """The process's limiter: budgets in Redis when DOORSTEP_REDIS_URL is set, else in the
    database. None in development, where every message stays in doorstep."""
    if settings.messaging != "live":
        return None
    store: Store
    if settings.redis_url:
        import redis

        store = RedisStore(redis.Redis.from_url(settings.redis_url))
    else:
        store = DatabaseStore()
    burst = settings.send_burst_seconds
    return Limiter(store, sms=Rate.of(settings.sms_rate_per_sender, burst),
                   sms_service=Rate.of(settings.sms_rate_per_service, burst),
                   email=Rate.of(settings.email_rate_per_sender, burst))
