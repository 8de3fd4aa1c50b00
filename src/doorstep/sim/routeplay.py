"""One route's day on the road, made lazily, in time order.

The driver starts (late or early), every leg takes its planned time × a route-wide bias × noise,
so lateness builds up the way it does on a real route. After each stop the platform re-estimates
the next few stops and tells doorstep only when an estimate moved by the threshold (10 minutes by
default) since the last one sent: that keeps ETA traffic to about one update per late delivery.
Exceptions (breakdown, closure, incident, capacity overrun) delay the route or end it.
Recipients answer the failed-attempt message, some of them; replies land in the future, so the
route keeps a small heap and lets out only what is due.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
import random
from collections.abc import Iterator
from typing import Any

from doorstep.domain import EventType, ExceptionKind, FailureReason
from doorstep.sim.model import (
    Emitter,
    Item,
    SimDay,
    SimDelivery,
    SimRoute,
    choose,
    drain,
    iso,
    sms,
)
from doorstep.sim.people import NOTICE_REPLIES, RECIPIENT_REPLIES, reply_text
from doorstep.sim.scenario import OutcomesSection

ROUTE_STREAM_BASE = 2

DESCRIPTIONS = {
    ExceptionKind.BREAKDOWN: ("flat tyre", "engine warning light, vehicle stopped",
                              "dead battery", "transmission failure"),
    ExceptionKind.ROAD_CLOSURE: ("water main break", "police activity", "street fair closure",
                                 "construction detour"),
    ExceptionKind.INCIDENT: ("minor collision, no injuries", "driver hurt lifting a parcel",
                             "attempted theft from the vehicle", "dog bite at a stop"),
    ExceptionKind.CAPACITY_OVERRUN: ("parcels did not fit the vehicle",),
}
_ON_THE_WAY = (ExceptionKind.BREAKDOWN, ExceptionKind.ROAD_CLOSURE, ExceptionKind.INCIDENT)


def failure_probabilities(out: OutcomesSection) -> tuple[float, float]:
    """(chronic, other): chronic recipients, `chronic_share` of them, carry
    `chronic_failure_share` of the failures, and the overall rate stays `failure_rate`."""
    f, c, s = out.failure_rate, out.chronic_share, out.chronic_failure_share
    if c >= 1:
        return f, f
    chronic = min(0.95, f * s / c)
    other = min(1.0, max(0.0, (f - c * chronic) / (1 - c)))
    return chronic, other


def _noise(rng: random.Random, sigma: float) -> float:
    """A log-normal factor with mean 1: right on average, sometimes much longer."""
    return math.exp(rng.gauss(-sigma * sigma / 2, sigma))


class RoutePlay:
    """The state of one route while it plays; `events()` is the route's stream."""

    def __init__(self, day: SimDay, route: SimRoute) -> None:
        self.day, self.route, self.sc = day, route, day.scenario
        self.rng = random.Random(f"doorstep-sim:{day.seed}:{day.service_date}:{route.id}")
        self.em = Emitter(day, ROUTE_STREAM_BASE + route.index)
        self.tz = route.depot.market.tz
        self.heap: list[Item] = []
        self.sent_eta = [d.planned_ts for d in route.stops]  # what the recipient was last told
        self.eta_sent = [0] * len(route.stops)
        out = self.sc.outcomes
        self.p_chronic, self.p_other = failure_probabilities(out)
        self.reasons = list(out.reasons)
        self.reason_cum = list(itertools.accumulate(out.reasons[r] for r in self.reasons))

    def push(self, code: str, key: str, etype: EventType, ts: float, data: dict[str, Any]) -> None:
        heapq.heappush(self.heap, self.em.item(code, key, etype, ts, self.tz, data))

    def events(self) -> Iterator[Item]:
        route, rng, sc = self.route, self.rng, self.sc
        stops, n = route.stops, len(route.stops)
        shift = route.shift
        driver = shift.working_driver
        on_the_way: dict[int, list[ExceptionKind]] = {}
        overrun = False
        for kind in ExceptionKind:
            spec = getattr(sc.exceptions, kind.value, None)
            if spec is None or rng.random() >= spec.rate:
                continue
            if kind is ExceptionKind.CAPACITY_OVERRUN:
                overrun = True
            else:
                on_the_way.setdefault(rng.randrange(n), []).append(kind)

        report_in = shift.starts_ts + shift.start_delay_s
        start = max(report_in, route.planned_start_ts + shift.start_delay_s + 60 * rng.gauss(
            sc.drift.start_delay_mean_minutes, sc.drift.start_delay_sd_minutes))
        if driver:
            self.push("duty", f"{route.id}-on", EventType.DRIVER_DUTY_CHANGED, report_in,
                      {"driver_id": driver.id, "on_duty": True})
        self.push("started", route.id, EventType.ROUTE_STARTED, start, {"route_id": route.id})
        second_trip_at, second_trip_s = n, 0.0
        if overrun:
            second_trip_at = n // 2
            second_trip_s = self.exception(ExceptionKind.CAPACITY_OVERRUN, start, 0)[0]
        self.notice_replies(start)
        self.update_etas(start, 0, start - route.planned_start_ts)
        yield from drain(self.heap, start)

        bias = math.exp(rng.gauss(sc.drift.leg_bias, sc.drift.route_bias_sd))
        planned_done, done = route.planned_start_ts, start
        for k, d in enumerate(stops):
            leg = (d.planned_ts - planned_done) * bias * _noise(rng, sc.drift.leg_sigma)
            if k == second_trip_at:
                leg += second_trip_s
            for kind in on_the_way.get(k, ()):
                at = done + rng.uniform(0.1, 0.9) * leg
                delay, ends = self.exception(kind, at, k)
                if ends:
                    yield from self.abandon(at, k, kind)
                    return
                leg += delay
                self.update_etas(at, k, done + leg - d.planned_ts)
            arrive = done + leg
            self.push("arrived", d.id, EventType.DELIVERY_ARRIVED, arrive, {"delivery_id": d.id})
            done = self.attempt(d, arrive)
            planned_done = d.planned_ts + route.service_s
            self.update_etas(done, k + 1, done - planned_done)
            yield from drain(self.heap, done)

        back = route.return_s * bias * _noise(rng, sc.drift.leg_sigma / 2)
        self.finish(done + back)
        yield from drain(self.heap, None)

    def attempt(self, d: SimDelivery, arrive: float) -> float:
        """Deliver or fail at a stop; returns when the driver leaves it."""
        rng, out = self.rng, self.sc.outcomes
        chronic, reason_u = self.day.recipient_risk(d)
        if rng.random() >= (self.p_chronic if chronic else self.p_other):
            left = arrive + self.route.service_s * _noise(rng, self.sc.travel.service_sigma)
            pod: dict[str, Any] = {}
            if rng.random() < out.photo_rate:
                pod["photo_url"] = f"https://pod.sim.doorstep.example/{d.id}/photo.jpg"
            if d.time_sensitive or rng.random() < out.signature_rate:
                pod["signature_url"] = f"https://pod.sim.doorstep.example/{d.id}/signature.png"
                pod["received_by"] = ("Front desk" if rng.random() < 0.1
                                      else self.day.recipient_name(d))
            self.push("delivered", d.id, EventType.DELIVERY_DELIVERED, left,
                      {"delivery_id": d.id, "pod": pod})
            return left
        # A chronic recipient fails for the same reason every time: that is what makes it chronic.
        u = reason_u if chronic else rng.random()
        reason = self.reasons[bisect.bisect_right(self.reason_cum, u * self.reason_cum[-1])]
        left = arrive + out.attempt_minutes * 60 * _noise(rng, 0.3)
        self.push("failed", d.id, EventType.DELIVERY_FAILED, left,
                  {"delivery_id": d.id, "reason": reason.value})
        if rng.random() < self.sc.recipients.reply_after_failure_rate:
            self.recipient_reply(d, left, RECIPIENT_REPLIES,
                                 choose(rng, self.sc.recipients.reply_intents), "r")
        return left

    def recipient_reply(self, d: SimDelivery, after: float,
                        table: dict[str, dict[str, tuple[str, ...]]], intent: str,
                        code: str) -> None:
        who = self.day.recipient(d)
        if not who.phone:
            return
        at = after + self.sc.recipients.reply_delay.draw(self.rng) * 60
        key = f"{d.id}-{code}"
        body = reply_text(table, intent, who.language, self.rng)
        self.push("msg", key, EventType.MESSAGE_RECEIVED, at,
                  sms(who.phone, d.shipper.reply_to, body, f"{self.em.prefix}-msg-{key}"))

    def notice_replies(self, start: float) -> None:
        """A few recipients answer the day's "we are coming" message, before the driver does."""
        rs = self.sc.recipients
        for d in self.route.stops:
            if self.rng.random() < rs.notice_reply_rate:
                self.recipient_reply(d, start, NOTICE_REPLIES, choose(self.rng, rs.notice_intents),
                                     "n")

    def update_etas(self, now: float, first: int, lateness: float) -> None:
        drift = self.sc.drift
        threshold = drift.eta_threshold_minutes * 60
        stops = self.route.stops
        for j in range(first, min(len(stops), first + drift.eta_lookahead_stops)):
            eta = stops[j].planned_ts + lateness
            # An ETA under a minute away is moot: the arrival itself comes next.
            if abs(eta - self.sent_eta[j]) >= threshold and eta > now + 60:
                self.sent_eta[j] = eta
                self.eta_sent[j] += 1
                d = stops[j]
                self.push("eta", f"{d.id}-{self.eta_sent[j]}", EventType.DELIVERY_ETA_UPDATED,
                          now, {"delivery_id": d.id, "eta": iso(eta, self.tz, minute=True)})

    def exception(self, kind: ExceptionKind, at: float, k: int) -> tuple[float, bool]:
        """Report (and later resolve) an exception; returns (delay in seconds, ends the route)."""
        rng, route = self.rng, self.route
        spec = getattr(self.sc.exceptions, kind.value)
        left = len(route.stops) - k
        ends = kind in _ON_THE_WAY and rng.random() < spec.ends_route_share
        if kind is ExceptionKind.CAPACITY_OVERRUN:
            affected = min(left, rng.randint(3, 15))
            what = f"{affected} {DESCRIPTIONS[kind][0]}; second trip to the depot"
        elif kind is ExceptionKind.ROAD_CLOSURE:
            affected = min(left, rng.randint(2, 10))
            what = rng.choice(DESCRIPTIONS[kind])
        else:
            affected = left
            what = rng.choice(DESCRIPTIONS[kind]) + ("; route ended" if ends else "")
        exception_id = f"{route.id}-{kind.value}"
        driver = route.shift.working_driver
        data: dict[str, Any] = {
            "exception_id": exception_id, "kind": kind.value,
            "severity": choose(rng, spec.severities).value, "market": route.depot.market.id,
            "depot": route.depot.id, "route_id": route.id, "description": what,
            "stops_affected": affected}
        if driver:
            data["driver_id"] = driver.id
        self.push("exception", exception_id, EventType.EXCEPTION_REPORTED, at, data)
        delay = spec.delay.draw(rng) * 60
        resolved = at + max(delay, spec.resolve_after.draw(rng) * 60)
        self.push("resolved", exception_id, EventType.EXCEPTION_RESOLVED, resolved,
                  {"exception_id": exception_id})
        return delay, ends

    def abandon(self, at: float, k: int, kind: ExceptionKind) -> Iterator[Item]:
        """The route ends where it stands: dispatch closes the stops not reached."""
        closed = at + self.rng.uniform(10, 30) * 60
        for d in self.route.stops[k:]:
            self.push("failed", d.id, EventType.DELIVERY_FAILED, closed, {
                "delivery_id": d.id, "reason": FailureReason.OTHER.value,
                "notes": f"not attempted: {kind.value.replace('_', ' ')} on route {self.route.id}"})
        back = max(item[0] for item in self.heap if item[3]["type"] == "exception.resolved")
        self.finish(back)
        yield from drain(self.heap, None)

    def finish(self, at: float) -> None:
        route = self.route
        self.push("completed", route.id, EventType.ROUTE_COMPLETED, at, {"route_id": route.id})
        driver = route.shift.working_driver
        if driver:
            self.push("duty", f"{route.id}-off", EventType.DRIVER_DUTY_CHANGED,
                      at + self.rng.uniform(5, 20) * 60, {"driver_id": driver.id, "on_duty": False})


def route_stream(day: SimDay, route: SimRoute) -> Iterator[Item]:
    return RoutePlay(day, route).events()
