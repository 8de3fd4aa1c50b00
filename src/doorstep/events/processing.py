"""Processing stored events: load state, decide, apply the actions, in one transaction.

A batch shares one transaction, with what its events touch preloaded (events/preload.py). If
anything in it fails, it runs again with a savepoint per event, so the failing event is rolled
back alone and marked failed while its neighbours are kept. Processing an event twice is
harmless: a settled event is skipped, and every handler treats a repeated or older fact as a
no-op.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from doorstep.clock import Clock
from doorstep.domain import Event, EventStatus, EventType
from doorstep.events.format import DATA_MODELS
from doorstep.events.preload import Preloaded, preload
from doorstep.messaging.inbound import Contact
from doorstep.store import event_log
from doorstep.store.db import Database
from doorstep.windows.model import WindowModel
from doorstep.workflows.actions import Action
from doorstep.workflows.exceptions import ExceptionPolicy
from doorstep.workflows.notify_policy import NotifyPolicy
from doorstep.workflows.recover import RecoverPolicy

log = logging.getLogger(__name__)
T = TypeVar("T")
DEFAULT_NOTIFY = NotifyPolicy()
SETTLED = frozenset({EventStatus.PROCESSED, EventStatus.IGNORED, EventStatus.FLAGGED})


@dataclass(frozen=True)
class Policies:
    exceptions: ExceptionPolicy = ExceptionPolicy()
    recover: RecoverPolicy = RecoverPolicy()
    contact: Contact = Contact("", None, None)  # the operator's, for HELP answers
    notify: Mapping[str, NotifyPolicy] = field(default_factory=dict)  # per shipper
    # Where recipients open their tracking pages (DOORSTEP_PUBLIC_URL); None: no links.
    tracking_base: str | None = None
    windows: WindowModel | None = None  # None: the model that ships with doorstep

    def notify_policy(self, shipper_id: str) -> NotifyPolicy:
        return self.notify.get(shipper_id) or DEFAULT_NOTIFY

    def window_model(self) -> WindowModel:
        if self.windows is not None:
            return self.windows
        from doorstep.windows import saved

        return saved.shipped()


@dataclass
class Outcome:
    status: EventStatus
    note: str | None = None
    waits_for: str | None = None
    known: list[str] = field(default_factory=list)  # subjects now known: wake their waiters
    actions: list[Action] = field(default_factory=list)
    stored: list[int] = field(default_factory=list)  # new events it wrote: queue them too


def applied(*, known: Iterable[str] = (), actions: Iterable[Action] = (),
            stored: Iterable[int] = ()) -> Outcome:
    return Outcome(EventStatus.PROCESSED, known=list(known), actions=list(actions),
                   stored=list(stored))


def ignored(note: str) -> Outcome:
    return Outcome(EventStatus.IGNORED, note=note)


def deferred(key: str) -> Outcome:
    return Outcome(EventStatus.DEFERRED, note=f"waiting for {key}", waits_for=key)


def flagged(note: str) -> Outcome:
    return Outcome(EventStatus.FLAGGED, note=note)


@dataclass
class Later:
    """Work asked by events that is done once, after the batch's events are applied."""

    event: Event  # the last event that asked: the actions go with it
    finish: Callable[[list[Any]], list[Action]]
    items: list[Any]


@dataclass
class Ctx:
    session: Session
    event: Event
    now: datetime
    policies: Policies
    pre: Preloaded

    @property
    def at(self) -> datetime:
        return self.event.occurred_at

    def get(self, cls: type[T], key: Any) -> T | None:
        """An entity, from what the batch preloaded, else loaded (and locked on PostgreSQL)."""
        return self.pre.get(cls, key)

    def add(self, entity: Any, key: Any) -> None:
        self.pre.add(entity, key)

    def later(self, key: str, item: Any, finish: Callable[[list[Any]], list[Action]]) -> None:
        """Ask for work that reads across the batch (a route's stops to come) to be done once,
        after the batch's events are applied, with every item asked under `key` in order.
        Reading once a batch rather than once an event saves a flush of the session per
        event; a batch that fails runs again event by event, each with its own."""
        found: Later | None = self.pre.later.get(key)
        if found is None:
            self.pre.later[key] = Later(self.event, finish, [item])
        else:
            found.items.append(item)
            found.event = self.event


Handler = Callable[[Ctx, Any], Outcome]
HANDLERS: dict[EventType, Handler] = {}


def handles(event_type: EventType) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[event_type] = fn
        return fn
    return register


def _load_handlers() -> None:
    # Imported for their @handles registrations.
    from doorstep.events import (  # noqa: F401
        apply_crew,
        apply_deliveries,
        apply_exceptions,
        apply_messages,
        apply_replies,
        apply_routes,
    )


def process_batch(db: Database, clock: Clock, policies: Policies, ids: list[int]) -> list[int]:
    """Process events by id; return the ids of the events that can now go ahead (deferred ones
    whose subject is now known, and new ones the handlers stored).

    The whole batch is tried in one transaction; if anything fails, in a handler or at the
    commit, the batch runs again with a savepoint per event, so the failing one is set apart
    alone and the others are kept.
    """
    _load_handlers()
    try:
        return _run(db, clock, policies, ids, isolate=False)
    except Exception:
        log.warning("a batch of %d events failed whole; running its events one by one", len(ids))
        return _run(db, clock, policies, ids, isolate=True)


def _run(db: Database, clock: Clock, policies: Policies, ids: list[int], *,
         isolate: bool) -> list[int]:
    from doorstep.events.outbox import apply_actions

    known: list[str] = []
    waiting: dict[int, str] = {}
    stored: list[int] = []
    with db.transaction() as session:
        now = clock.now()
        lock = db.dialect != "sqlite"  # SQLite's writer already holds the whole database
        events = event_log.load(session, ids, lock=lock)
        pre = Preloaded(session, lock)
        preload(pre, [e for e in events if e.status not in SETTLED])
        for event in events:
            if event.status in SETTLED:
                continue
            event.tries += 1
            ctx = Ctx(session, event, now, policies, pre)
            if not isolate:
                outcome = _handle(ctx)
                apply_actions(session, outcome.actions, event, now)
            else:
                try:
                    with session.begin_nested():
                        outcome = _handle(ctx)
                        apply_actions(session, outcome.actions, event, now)
                        _finish_later(session, pre, now)
                except Exception as err:  # one event's bug must not stop the others
                    log.exception("event %s (%s) failed", event.id, event.type)
                    pre.known.clear()  # it may hold what the savepoint's rollback undid
                    pre.later.clear()
                    session.refresh(event)
                    event.status = EventStatus.FAILED
                    event.note = f"{type(err).__name__}: {err}"[:2000]
                    event.next_try_at = now + backoff(event.tries)
                    continue
            _settle(event, outcome, now)
            known.extend(outcome.known)
            stored.extend(outcome.stored)
            if outcome.waits_for:
                waiting[event.id] = outcome.waits_for  # type: ignore[index]
        _finish_later(session, pre, now)
        woken = event_log.waiting_for(session, known) if known else []
        woken.extend(stored)
    # Another worker may have committed what these wait for while this batch ran; it looked
    # for waiters before these were marked, so look again now that they are.
    if waiting and db.dialect != "sqlite":
        with db.reading() as session:
            present = event_log.existing_subjects(session, set(waiting.values()))
        woken.extend(i for i, key in waiting.items() if key in present)
    return woken


def _finish_later(session: Session, pre: Preloaded, now: datetime) -> None:
    from doorstep.events.outbox import apply_actions

    while pre.later:
        key = next(iter(pre.later))
        later: Later = pre.later.pop(key)
        apply_actions(session, later.finish(later.items), later.event, now)


def backoff(tries: int) -> timedelta:
    """How long a deferred or failed event waits for its next try: 1 min doubling to a day."""
    return min(timedelta(minutes=2 ** max(tries - 1, 0)), timedelta(days=1))


def _handle(ctx: Ctx) -> Outcome:
    event_type = EventType(ctx.event.type)
    data = DATA_MODELS[event_type].model_validate(ctx.event.payload)
    return HANDLERS[event_type](ctx, data)


def _settle(event: Event, outcome: Outcome, now: datetime) -> None:
    event.status = outcome.status
    event.note = outcome.note
    event.waits_for = outcome.waits_for
    if outcome.status in SETTLED:
        event.processed_at = now
        event.next_try_at = None
    else:
        event.next_try_at = now + backoff(event.tries)
