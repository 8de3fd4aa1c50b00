"""notify: tell each recipient when we are coming, keep the window they hold right as the
route goes, confirm on proof of delivery, and follow time-sensitive deliveries closely.

Pure decisions: the handlers (doorstep.notify.live) give the delivery, the people, the policy,
where the recipient can be reached and the live estimate; these say which messages go.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

import doorstep.windows.policy as rule
from doorstep.domain import Channel
from doorstep.workflows import notify_words as words
from doorstep.workflows.actions import Action, Audience, QueueMessage
from doorstep.workflows.notify_people import Addressee as Addressee
from doorstep.workflows.notify_people import People as People
from doorstep.workflows.notify_people import Window
from doorstep.workflows.notify_people import language_for as language_for
from doorstep.workflows.notify_people import reach as reach
from doorstep.workflows.notify_policy import Notice, NotifyPolicy
from doorstep.workflows.recover import first_name

# How long after delivery a confirmation or a reminder still means something.
AFTER_DELIVERY = timedelta(hours=12)


def _to_recipient(a: Addressee, notice: str, key: str, template: str, context: dict[str, Any],
                  *, send_after: datetime | None = None, expires_at: datetime | None = None,
                  question: str | None = None, link: bool = True) -> list[Action]:
    if not a.reach:
        return []
    values = {"first_name": first_name(a.recipient.name), "delivery_id": a.delivery.id,
              **({"tracking_url": a.link()} if link else {}), **context}
    return [QueueMessage(
        purpose=f"notify.{notice}", channel=channel, audience=Audience.RECIPIENT,
        dedup_key=f"notify.{notice}:{a.delivery.id}:{key}:{channel.value}",
        subject_type="delivery", subject_id=a.delivery.id, to_addr=address, template=template,
        context=values, language=a.language, shipper_id=a.shipper.id, market_id=a.market.id,
        recipient_id=a.recipient.id, send_after=send_after, expires_at=expires_at,
        question=question) for channel, address in a.reach]


def _alert(a: Addressee, key: str, context: dict[str, Any]) -> QueueMessage:
    d = a.delivery
    return QueueMessage(
        purpose="notify.time_sensitive_alert", channel=Channel.ALERT,
        audience=Audience.SUPERVISOR, dedup_key=f"notify.time_sensitive_alert:{d.id}:{key}",
        subject_type="delivery", subject_id=d.id,
        to_addr=a.market.supervisor_email or a.market.supervisor_phone,
        template="time_sensitive_alert",
        context={"delivery_id": d.id, "route_id": d.route_id, "reason": None, "window": None,
                 "deadline": None, "address": f"{d.address_line1}, {d.address_city}",
                 **context},
        shipper_id=a.shipper.id, market_id=a.market.id, recipient_id=a.recipient.id)


def pre_delivery(a: Addressee, when: str, service_date: date, window: Window | None,
                 expires_at: datetime) -> list[Action]:
    """The evening before (`when` "tomorrow") or the morning of ("today"). The recipient may
    answer with instructions."""
    notice = Notice.EVENING_BEFORE if when == "tomorrow" else Notice.MORNING_OF
    return _to_recipient(a, notice.value, service_date.isoformat(), "pre_delivery",
                         {"when": when, "window": a.words(window) if window else None},
                         expires_at=expires_at, question="pre_delivery")


@dataclass(frozen=True)
class Held:
    """The window a recipient holds for a delivery on a route, and what has been sent of it."""

    window: Window
    updates: int = 0
    away_sent: bool = False
    near_sent: bool = False
    deadline_warned: bool = False


@dataclass(frozen=True)
class Live:
    """The live estimate of one pending delivery: stops ahead (this one included), the most
    likely arrival and the window the model gives now."""

    gap: int
    point: datetime
    window: Window


def _minutes(at: datetime) -> float:
    return at.timestamp() / 60


def route_rule(policy: NotifyPolicy) -> rule.Policy:
    """The shipper's policy as the replayed rule (doorstep bench windows) sees it."""
    return rule.Policy(
        hysteresis=float(policy.late_margin_minutes),
        max_updates=policy.max_updates if policy.wants(Notice.RUNNING_LATE) else 0,
        stops_away=policy.stops_away if policy.wants(Notice.STOPS_AWAY) else None)


def clipped(w: Window, point: datetime, policy: NotifyPolicy) -> Window:
    """Never wider than the shipper's maximum: cut about the most likely arrival."""
    widest = timedelta(minutes=policy.max_window_minutes)
    if w[1] - w[0] <= widest:
        return w
    lo = min(max(w[0], point - widest / 2), w[1] - widest)
    return lo, lo + widest


def on_route_started(a: Addressee, route_id: str, held: Held | None, live: Live
                     ) -> tuple[list[Action], Held | None]:
    """The first live window when the route starts. A window already held (the evening's, the
    morning's) is replaced by it only when the shipper sends this notice; otherwise it is kept
    and the live rule decides as it does at every stop."""
    window = clipped(live.window, live.point, a.policy)
    if a.policy.wants(Notice.ROUTE_STARTED):
        actions = _to_recipient(a, Notice.ROUTE_STARTED.value, route_id, "on_the_way",
                                {"window": a.words(window)}, expires_at=window[1])
        if not actions:
            return [], held
        return actions, Held(window) if held is None else replace(held, window=window)
    if held is None:
        return [], None
    return on_progress(a, route_id, held, live)


def on_progress(a: Addressee, route_id: str, held: Held | None, live: Live
                ) -> tuple[list[Action], Held | None]:
    """A stop done, an arrival, a new platform ETA: what the live estimate changes for one
    pending delivery. Returns the messages and the window now held (None: none is held)."""
    actions: list[Action] = []
    window = clipped(live.window, live.point, a.policy)
    change = None
    if held is not None:
        change = rule.next_change((_minutes(held.window[0]), _minutes(held.window[1])),
                                  held.updates, held.away_sent, live.gap, _minutes(live.point),
                                  route_rule(a.policy))
    elif a.policy.wants(Notice.STOPS_AWAY) and live.gap <= a.policy.stops_away:
        change = rule.AWAY  # no window was sent before: this is the first
    if change == rule.AWAY:
        actions += _to_recipient(a, Notice.STOPS_AWAY.value, route_id, "stops_away",
                                 {"stops": live.gap, "window": a.words(window)},
                                 expires_at=window[1])
        held = replace(held, window=window, away_sent=True) if held else Held(window,
                                                                              away_sent=True)
    elif change == rule.UPDATE and held is not None:
        actions += _to_recipient(a, Notice.RUNNING_LATE.value, f"{route_id}:{held.updates + 1}",
                                 "running_late", {"window": a.words(window)},
                                 expires_at=window[1])
        held = replace(held, window=window, updates=held.updates + 1)
    if a.time_sensitive:
        more, held = _time_sensitive(a, route_id, held, live, window)
        actions += more
    return actions, held


def without_times(a: Addressee, route_id: str, gap: int | None) -> list[Action]:
    """A stop the route platform gave no planned time (an Onfleet task with no estimate): the
    notices that need no window — on its way when the route starts (`gap` None), N stops away,
    and for a time-sensitive delivery, "be ready". Each goes once (its key)."""
    if gap is None:
        if not a.policy.wants(Notice.ROUTE_STARTED):
            return []
        return _to_recipient(a, Notice.ROUTE_STARTED.value, route_id, "on_the_way",
                             {"window": None})
    actions: list[Action] = []
    if a.policy.wants(Notice.STOPS_AWAY) and gap <= a.policy.stops_away:
        actions += _to_recipient(a, Notice.STOPS_AWAY.value, route_id, "stops_away",
                                 {"stops": gap, "window": None})
    if a.time_sensitive and gap <= a.policy.near_stops:
        actions += _to_recipient(a, "time_sensitive_near", route_id, "time_sensitive_near",
                                 {"stops": gap})
    return actions


def _time_sensitive(a: Addressee, route_id: str, held: Held | None, live: Live,
                    window: Window) -> tuple[list[Action], Held | None]:
    """With no window held (none was sent), each notice's key alone keeps it to once."""
    actions: list[Action] = []
    if live.gap <= a.policy.near_stops and not (held and held.near_sent):
        actions += _to_recipient(a, "time_sensitive_near", route_id, "time_sensitive_near",
                                 {"stops": live.gap}, expires_at=window[1])
        held = held and replace(held, near_sent=True)
    deadline = a.delivery.window_end
    if deadline is not None and live.point > deadline and not (held and held.deadline_warned):
        late = {"window": a.words(window),
                "deadline": words.clock(deadline, a.market.timezone, a.language)}
        actions.append(_alert(a, f"deadline:{route_id}", {"what": "deadline", **late}))
        actions += _to_recipient(a, "deadline_risk", route_id, "deadline_risk", late,
                                 question="access_instructions")
        held = held and replace(held, deadline_warned=True)
    return actions, held


def on_delivered(a: Addressee, at: datetime, received_by: str | None, photo: bool
                 ) -> list[Action]:
    """The confirmation, with the link to the proof of delivery, at once; for a time-sensitive
    delivery, the shipper's reminder a while later."""
    actions: list[Action] = []
    if a.policy.wants(Notice.DELIVERED):
        actions += _to_recipient(a, Notice.DELIVERED.value, "pod", "delivered",
                                 {"received_by": received_by, "photo": photo},
                                 expires_at=at + AFTER_DELIVERY)
    if a.time_sensitive and a.policy.reminder_minutes is not None:
        actions += _to_recipient(a, "time_sensitive_reminder", "after", "time_sensitive_reminder",
                                 {}, link=False,
                                 send_after=at + timedelta(minutes=a.policy.reminder_minutes),
                                 expires_at=at + AFTER_DELIVERY)
    return actions


def on_failed(a: Addressee, attempt: int, reason: str | None) -> list[Action]:
    """A time-sensitive delivery's failed attempt reaches dispatch at once (the recipient's
    call to act is recover's message, worded for it)."""
    if not a.time_sensitive:
        return []
    return [_alert(a, f"failed:{attempt}", {"what": "failed", "reason": reason})]
