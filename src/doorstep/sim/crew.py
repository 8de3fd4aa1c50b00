"""The crew side of a day: who confirms the evening before, who calls out, who covers.

doorstep asks tomorrow's drivers to confirm at `drivers.confirmation_at` (local, the day before);
the simulator does not see that message, it only plays the answers, a realistic delay later. A
callout comes as a "can't tomorrow" reply, as a `shift.callout` from the platform in the evening,
or as one at 5 a.m. On-call drivers answer the offers doorstep then sends; the first to accept
covers the route, and the route starts late when cover arrives after the shift should have begun.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Iterator

from doorstep.domain import EventType
from doorstep.sim.model import Emitter, Item, SimDay, SimDriver, SimShift, local_ts, sms
from doorstep.sim.people import (
    CALLOUT_REASONS,
    DRIVER_REPLIES,
    OFFER_REPLIES,
    reply_text,
)

CREW_STREAM = 1


def decide_crew(day: SimDay, rng: random.Random) -> None:
    dr = day.scenario.drivers
    channels = list(dr.callout_channels)
    cum = list(itertools.accumulate(dr.callout_channels[c] for c in channels))
    for shift in day.shifts:
        tz = shift.depot.market.tz
        asked = local_ts(day.day_before, dr.confirmation_at, tz)
        lang = shift.driver.language
        called_out = rng.random() < dr.callout_rate
        channel = channels[bisect.bisect_right(cum, rng.random() * cum[-1])]
        reason = rng.choice(CALLOUT_REASONS)
        if called_out and channel == "reply":
            at = asked + dr.reply_delay.draw(rng) * 60
            shift.confirm_reply = (at, reply_text(DRIVER_REPLIES, "decline", lang, rng))
            shift.callout = (at, channel, reason)
            continue
        if rng.random() < dr.confirm_reply_rate:
            shift.confirm_reply = (asked + dr.reply_delay.draw(rng) * 60,
                                   reply_text(DRIVER_REPLIES, "confirm", lang, rng))
        if not called_out:
            continue
        if channel == "evening":
            at = rng.uniform(local_ts(day.day_before, dr.evening_callout_from, tz),
                             local_ts(day.day_before, dr.evening_callout_until, tz))
            if shift.confirm_reply:  # changed their mind after saying yes
                at = max(at, shift.confirm_reply[0] + 600)
        else:
            at = rng.uniform(local_ts(day.service_date, dr.morning_callout_from, tz),
                             local_ts(day.service_date, dr.morning_callout_until, tz))
        shift.callout = (at, channel, reason)
    for depot in day.depots:
        on_call = [d for d in day.drivers if d.depot is depot and d.on_call]
        gaps = sorted((s for s in day.shifts if s.depot is depot and s.callout),
                      key=lambda s: s.callout[0] if s.callout else 0.0)
        for shift in gaps:
            _cover(day, shift, on_call, rng)


def _cover(day: SimDay, shift: SimShift, available: list[SimDriver], rng: random.Random) -> None:
    """On-call drivers answer the gap's offer; the earliest "yes" takes it, else dispatch
    reassigns by hand, later."""
    dr = day.scenario.drivers
    assert shift.callout is not None
    called_at = shift.callout[0]
    taker, taken_at = None, float("inf")
    for driver in available[:dr.offer_replies_per_gap]:
        if rng.random() >= dr.offer_reply_rate:
            continue
        at = called_at + dr.offer_reply_delay.draw(rng) * 60
        accept = rng.random() < dr.offer_accept_share
        shift.offer_replies.append(
            (at, driver, reply_text(OFFER_REPLIES, "accept" if accept else "decline",
                                    driver.language, rng)))
        if accept and at < taken_at:
            taker, taken_at = driver, at
    if taker is None:
        taker = available[0] if available else None
        taken_at = called_at + dr.manual_reassign_delay.draw(rng) * 60
    if taker is not None:
        available.remove(taker)
    shift.covered_by = taker
    ready = taken_at + dr.commute_minutes * 60
    shift.start_delay_s = max(0.0, ready - shift.starts_ts)


def crew_stream(day: SimDay) -> Iterator[Item]:
    """Drivers' answers and callouts, in time order (a few per route: built whole, then sorted)."""
    em = Emitter(day, CREW_STREAM)
    items: list[Item] = []
    for shift in day.shifts:
        tz = shift.depot.market.tz
        if shift.confirm_reply:
            at, text = shift.confirm_reply
            key = f"{shift.id}-c"
            items.append(em.item("msg", key, EventType.MESSAGE_RECEIVED, at, tz,
                                 sms(shift.driver.phone, day.operator_phone, text,
                                     f"{em.prefix}-{key}")))
        if shift.callout and shift.callout[1] != "reply":
            at, _, reason = shift.callout
            items.append(em.item("callout", shift.id, EventType.SHIFT_CALLOUT, at, tz,
                                 {"shift_id": shift.id, "reason": reason}))
        for i, (at, driver, text) in enumerate(shift.offer_replies):
            key = f"{shift.id}-o{i + 1}"
            items.append(em.item("msg", key, EventType.MESSAGE_RECEIVED, at, tz,
                                 sms(driver.phone, day.operator_phone, text,
                                     f"{em.prefix}-{key}")))
    items.sort(key=lambda item: item[:3])
    return iter(items)
