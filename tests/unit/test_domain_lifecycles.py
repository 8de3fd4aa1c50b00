"""Every lifecycle: what it allows works, what it does not raises IllegalTransition."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from doorstep.domain import (
    AttemptOutcome,
    Delivery,
    DeliveryStatus,
    DomainError,
    ExceptionKind,
    ExceptionStatus,
    FailureReason,
    Gap,
    GapStatus,
    IllegalTransition,
    Message,
    MessageStatus,
    NaiveDatetime,
    Offer,
    OfferStatus,
    ProofOfDelivery,
    Route,
    RouteException,
    RouteStatus,
    Severity,
    Shift,
    ShiftStatus,
    Stop,
    StopStatus,
)
from doorstep.domain.crew import GAP_LIFECYCLE, OFFER_LIFECYCLE, SHIFT_LIFECYCLE
from doorstep.domain.delivery import DELIVERY_LIFECYCLE
from doorstep.domain.exception import EXCEPTION_LIFECYCLE
from doorstep.domain.lifecycle import Lifecycle
from doorstep.domain.messaging import MESSAGE_LIFECYCLE, Channel, Direction
from doorstep.domain.route import ROUTE_LIFECYCLE, STOP_LIFECYCLE

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)

LIFECYCLES: list[tuple[Lifecycle, type]] = [  # type: ignore[type-arg]
    (DELIVERY_LIFECYCLE, DeliveryStatus), (SHIFT_LIFECYCLE, ShiftStatus),
    (GAP_LIFECYCLE, GapStatus), (OFFER_LIFECYCLE, OfferStatus),
    (ROUTE_LIFECYCLE, RouteStatus), (STOP_LIFECYCLE, StopStatus),
    (EXCEPTION_LIFECYCLE, ExceptionStatus), (MESSAGE_LIFECYCLE, MessageStatus),
]
ALL_PAIRS = [pytest.param(lc, cur, tgt, id=f"{lc.entity}:{cur.value}->{tgt.value}")
             for lc, enum in LIFECYCLES for cur in enum for tgt in enum]


# --- the tables themselves ----------------------------------------------------------------------

@pytest.mark.parametrize("lifecycle,enum", LIFECYCLES, ids=lambda v: getattr(v, "entity", ""))
def test_every_state_is_declared(lifecycle, enum):
    # A state missing from the table would silently become final.
    assert set(lifecycle._next) == set(enum)
    for state in enum:
        assert lifecycle.successors(state) <= set(enum)


@pytest.mark.parametrize("lifecycle,current,target", ALL_PAIRS)
def test_check_agrees_with_allowed(lifecycle, current, target):
    if lifecycle.allowed(current, target):
        lifecycle.check(current, target)
        assert target in lifecycle.successors(current)
        assert not lifecycle.is_final(current)
    else:
        with pytest.raises(IllegalTransition) as err:
            lifecycle.check(current, target)
        assert (err.value.entity, err.value.current, err.value.target) == (
            lifecycle.entity, current.value, target.value)
        assert isinstance(err.value, DomainError)


@pytest.mark.parametrize("lifecycle,enum", LIFECYCLES, ids=lambda v: getattr(v, "entity", ""))
def test_no_state_moves_to_itself_and_final_states_have_no_successors(lifecycle, enum):
    for state in enum:
        assert not lifecycle.allowed(state, state)
        if lifecycle.is_final(state):
            assert lifecycle.successors(state) == frozenset()
            for target in enum:
                with pytest.raises(IllegalTransition):
                    lifecycle.check(state, target)


def test_the_final_states_are_the_expected_ones():
    finals = {lc.entity: {s for s in enum if lc.is_final(s)} for lc, enum in LIFECYCLES}
    assert finals["delivery"] == {DeliveryStatus.DELIVERED, DeliveryStatus.RETURNED,
                                  DeliveryStatus.CANCELLED}
    assert finals["shift"] == {ShiftStatus.CALLOUT}
    assert finals["gap"] == {GapStatus.FILLED, GapStatus.UNFILLED}
    assert finals["route"] == {RouteStatus.COMPLETED, RouteStatus.CANCELLED}
    assert finals["stop"] == {StopStatus.DONE, StopStatus.FAILED, StopStatus.REMOVED}
    assert finals["exception"] == {ExceptionStatus.RESOLVED}
    assert MessageStatus.QUEUED not in finals["message"]
    assert {MessageStatus.DELIVERED, MessageStatus.SUPPRESSED} <= finals["message"]


# --- Delivery -----------------------------------------------------------------------------------

def make_delivery(**kw) -> Delivery:
    fields = dict(id="D1", shipper_id="s", market_id="m", depot_id="d", recipient_id="r",
                  service_date=date(2026, 11, 24), address_line1="1 Main St",
                  address_city="Brooklyn", address_postal_code="11201")
    fields.update(kw)
    return Delivery(**fields)  # type: ignore[arg-type]


def test_a_delivery_goes_pending_scheduled_out_delivered():
    d = make_delivery()
    assert d.status is DeliveryStatus.PENDING and not d.is_final()
    d.schedule("R1", 3, T0 + timedelta(hours=2), T0)
    assert (d.status, d.route_id, d.stop_sequence, d.eta) == (
        DeliveryStatus.SCHEDULED, "R1", 3, T0 + timedelta(hours=2))
    d.go_out(T0 + timedelta(minutes=1))
    assert d.status is DeliveryStatus.OUT_FOR_DELIVERY
    d.update_eta(T0 + timedelta(hours=3), T0 + timedelta(minutes=2))
    d.arrive(T0 + timedelta(minutes=5))
    attempt = d.deliver(T0 + timedelta(minutes=6), ProofOfDelivery(photo_url="p",
                                                                   received_by="me"))
    assert d.status is DeliveryStatus.DELIVERED and d.is_final()
    assert d.delivered_at == d.status_at == T0 + timedelta(minutes=6)
    assert d.eta == T0 + timedelta(hours=3)
    assert d.arrived_at == T0 + timedelta(minutes=5)
    assert (attempt.number, attempt.outcome.value, attempt.route_id, attempt.pod_photo_url,
            attempt.pod_received_by) == (1, "delivered", "R1", "p", "me")
    assert d.attempts == [attempt] and d.attempt_count == 1


def test_a_delivered_delivery_never_goes_back_out():
    d = make_delivery()
    d.schedule("R1", 1, None, T0)
    d.go_out(T0)
    d.deliver(T0, ProofOfDelivery())
    for move in (lambda: d.go_out(T0), lambda: d.schedule("R2", 1, None, T0),
                 lambda: d.fail(T0, FailureReason.NOT_HOME), lambda: d.cancel(T0),
                 lambda: d.deliver(T0, ProofOfDelivery()), lambda: d.return_to_shipper(T0)):
        with pytest.raises(IllegalTransition):
            move()
    with pytest.raises(DomainError):
        d.arrive(T0)
    with pytest.raises(DomainError):
        d.update_eta(T0, T0)
    assert d.status is DeliveryStatus.DELIVERED and d.attempt_count == 1


def test_a_failed_delivery_counts_attempts_and_can_go_out_again():
    d = make_delivery()
    d.schedule("R1", 1, None, T0)
    first = d.fail(T0 + timedelta(minutes=1), FailureReason.ACCESS, "gate locked")
    assert (first.number, first.outcome.value, first.failure_reason, first.notes) == (
        1, "failed", FailureReason.ACCESS, "gate locked")
    assert d.status is DeliveryStatus.FAILED and not d.is_final()
    d.go_out(T0 + timedelta(hours=20))
    second = d.deliver(T0 + timedelta(hours=21), ProofOfDelivery())
    assert second.number == 2 and d.attempt_count == 2


def test_an_outcome_reported_before_the_route_plan_is_recorded():
    # A platform may report the attempt before doorstep hears of the route it was on.
    delivered = make_delivery()
    delivered.deliver(T0, ProofOfDelivery(photo_url="https://pod/1.jpg"))
    assert (delivered.status, delivered.attempt_count) == (DeliveryStatus.DELIVERED, 1)
    failed = make_delivery()
    failed.fail(T0, FailureReason.NOT_HOME)
    assert (failed.status, failed.attempts[0].route_id) == (DeliveryStatus.FAILED, None)


def test_a_redelivery_forgets_the_failed_attempts_arrival():
    d = make_delivery()
    d.arrive(T0)
    d.fail(T0, FailureReason.NOT_HOME)
    d.schedule("R2", 1, None, T0 + timedelta(hours=20))
    assert d.arrived_at is None
    assert d.attempts[0].outcome is AttemptOutcome.FAILED


def test_cancel_and_return_are_final():
    d = make_delivery()
    d.cancel(T0)
    assert d.is_final()
    with pytest.raises(IllegalTransition):
        d.schedule("R1", 1, None, T0)
    r = make_delivery()
    r.schedule("R1", 1, None, T0)
    r.fail(T0, FailureReason.REFUSED)
    r.return_to_shipper(T0)
    assert r.status is DeliveryStatus.RETURNED and r.is_final()


def test_is_stale_compares_with_the_recorded_status_time():
    d = make_delivery()
    assert not d.is_stale(T0)  # nothing recorded yet
    d.schedule("R1", 1, None, T0)
    assert d.is_stale(T0 - timedelta(seconds=1))
    assert not d.is_stale(T0)
    assert not d.is_stale(T0 + timedelta(seconds=1))


def test_naive_datetimes_are_refused_and_leave_the_state_unchanged():
    naive = datetime(2026, 11, 24, 12, 0)
    d = make_delivery()
    with pytest.raises(NaiveDatetime):
        d.schedule("R1", 1, None, naive)
    d.schedule("R1", 1, None, T0)
    for call in (lambda: d.update_eta(naive, T0), lambda: d.arrive(naive), lambda: d.is_stale(naive)):
        with pytest.raises(NaiveDatetime):
            call()
    assert d.eta is None and d.arrived_at is None
    with pytest.raises(NaiveDatetime):
        d.deliver(naive, ProofOfDelivery())
    assert d.attempts == []


OPS = ["schedule", "go_out", "deliver", "fail", "cancel", "return", "eta", "arrive"]


def _apply(d: Delivery, op: str, at: datetime) -> None:
    if op == "schedule":
        d.schedule("R1", 1, at, at)
    elif op == "go_out":
        d.go_out(at)
    elif op == "deliver":
        d.deliver(at, ProofOfDelivery())
    elif op == "fail":
        d.fail(at, FailureReason.NOT_HOME)
    elif op == "cancel":
        d.cancel(at)
    elif op == "return":
        d.return_to_shipper(at)
    elif op == "eta":
        d.update_eta(at, at)
    else:
        d.arrive(at)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(OPS), st.integers(0, 10_000)), max_size=30))
def test_random_transitions_never_leave_a_final_state(steps):
    d = make_delivery()
    final_seen: DeliveryStatus | None = None
    for op, minute in steps:
        before = (d.status, d.status_at, d.attempt_count)
        try:
            _apply(d, op, T0 + timedelta(minutes=minute))
        except IllegalTransition:
            assert (d.status, d.status_at, d.attempt_count) == before
        except DomainError:
            assert op in ("eta", "arrive") and d.is_final()
            assert (d.status, d.status_at, d.attempt_count) == before
        else:
            if d.status is not before[0]:
                assert DELIVERY_LIFECYCLE.allowed(before[0], d.status)
        if final_seen is not None:
            assert d.status is final_seen
        elif d.is_final():
            final_seen = d.status
        assert d.attempt_count == len(d.attempts)
        assert [a.number for a in d.attempts] == list(range(1, d.attempt_count + 1))


# --- the other entities' moves ------------------------------------------------------------------

def test_shift_confirm_then_callout_and_callout_is_final():
    s = Shift(id="S1", depot_id="d", service_date=date(2026, 11, 24), starts_at=T0,
              ends_at=T0 + timedelta(hours=8))
    s.move(ShiftStatus.CONFIRMATION_SENT, T0)
    s.move(ShiftStatus.NO_RESPONSE, T0)
    s.move(ShiftStatus.CONFIRMED, T0 + timedelta(hours=1))
    s.call_out(T0 + timedelta(hours=2), "flu")
    assert (s.status, s.status_at, s.callout_reason) == (
        ShiftStatus.CALLOUT, T0 + timedelta(hours=2), "flu")
    with pytest.raises(IllegalTransition):
        s.move(ShiftStatus.CONFIRMED, T0)
    with pytest.raises(IllegalTransition):
        s.call_out(T0, "again")
    assert s.callout_reason == "flu"
    with pytest.raises(NaiveDatetime):
        Shift(id="S2", depot_id="d", service_date=date(2026, 11, 24), starts_at=T0,
              ends_at=T0).move(ShiftStatus.CONFIRMED, datetime(2026, 1, 1))


def test_confirmed_shift_cannot_go_back_to_planned_or_no_response():
    s = Shift(id="S1", depot_id="d", service_date=date(2026, 11, 24), starts_at=T0,
              ends_at=T0 + timedelta(hours=8))
    s.move(ShiftStatus.CONFIRMED, T0)
    for target in (ShiftStatus.PLANNED, ShiftStatus.NO_RESPONSE,
                   ShiftStatus.CONFIRMATION_SENT):
        with pytest.raises(IllegalTransition):
            s.move(target, T0)


def test_gap_fill_closes_it_and_an_offered_gap_can_reopen():
    g = Gap(id="G1", shift_id="S1", opened_at=T0)
    g.move(GapStatus.OFFERED, T0)
    assert g.closed_at is None
    g.move(GapStatus.OPEN, T0)
    g.fill("DR2", T0 + timedelta(minutes=5))
    assert (g.status, g.filled_by_driver_id, g.closed_at) == (
        GapStatus.FILLED, "DR2", T0 + timedelta(minutes=5))
    with pytest.raises(IllegalTransition):
        g.fill("DR3", T0)
    assert g.filled_by_driver_id == "DR2"
    u = Gap(id="G2", shift_id="S2", opened_at=T0)
    u.move(GapStatus.UNFILLED, T0)
    with pytest.raises(IllegalTransition):
        u.move(GapStatus.OPEN, T0)


def test_offer_answers_once():
    o = Offer(id="O1", gap_id="G1", driver_id="DR1", sent_at=T0)
    o.move(OfferStatus.ACCEPTED, T0 + timedelta(minutes=1))
    assert o.answered_at == T0 + timedelta(minutes=1)
    for target in OfferStatus:
        with pytest.raises(IllegalTransition):
            o.move(target, T0)


def test_route_start_complete_and_illegal_moves():
    r = Route(id="R1", market_id="m", depot_id="d", service_date=date(2026, 11, 24))
    r.start(T0)
    with pytest.raises(IllegalTransition):
        r.start(T0)
    r.complete(T0 + timedelta(hours=8))
    assert (r.status, r.started_at, r.completed_at) == (
        RouteStatus.COMPLETED, T0, T0 + timedelta(hours=8))
    with pytest.raises(IllegalTransition):
        r.cancel()
    c = Route(id="R2", market_id="m", depot_id="d", service_date=date(2026, 11, 24))
    c.cancel()
    with pytest.raises(IllegalTransition):
        c.start(T0)
    with pytest.raises(NaiveDatetime):
        Route(id="R3", market_id="m", depot_id="d",
              service_date=date(2026, 11, 24)).start(datetime(2026, 11, 24, 8))


def test_route_record_stop_and_stops_left():
    r = Route(id="R1", market_id="m", depot_id="d", service_date=date(2026, 11, 24),
              stop_count=3)
    assert r.stops_left == 3
    r.record_stop(True)
    r.record_stop(False)
    assert (r.stops_done, r.stops_failed, r.stops_left) == (1, 1, 1)
    r.record_stop(True)
    r.record_stop(True)  # more reports than stops never give a negative count
    assert r.stops_left == 0 and r.stops_done == 3


def test_stop_moves_stamp_arrival_and_completion():
    s = Stop(route_id="R1", sequence=1, delivery_id="D1")
    s.move(StopStatus.ARRIVED, T0)
    s.move(StopStatus.DONE, T0 + timedelta(minutes=3))
    assert (s.arrived_at, s.completed_at) == (T0, T0 + timedelta(minutes=3))
    with pytest.raises(IllegalTransition):
        s.move(StopStatus.ARRIVED, T0)
    removed = Stop(route_id="R1", sequence=2, delivery_id="D2")
    removed.move(StopStatus.REMOVED, T0)
    with pytest.raises(IllegalTransition):
        removed.move(StopStatus.DONE, T0)


def test_exception_resolves_once():
    x = RouteException(id="X1", kind=ExceptionKind.BREAKDOWN, severity=Severity.HIGH,
                       market_id="m", reported_at=T0)
    x.move(ExceptionStatus.ACKNOWLEDGED, T0)
    assert x.resolved_at is None
    x.move(ExceptionStatus.RESOLVED, T0 + timedelta(hours=1))
    assert x.resolved_at == T0 + timedelta(hours=1)
    with pytest.raises(IllegalTransition):
        x.move(ExceptionStatus.OPEN, T0)


def test_message_status_lifecycle():
    from doorstep.domain import SuppressionReason

    m = Message(id="m1", direction=Direction.OUTBOUND, channel=Channel.SMS, purpose="p",
                created_at=T0)
    m.move(MessageStatus.SENDING, T0)
    m.move(MessageStatus.SENT, T0)
    m.move(MessageStatus.UNDELIVERED, T0)
    m.move(MessageStatus.DELIVERED, T0)
    with pytest.raises(IllegalTransition):
        m.move(MessageStatus.UNDELIVERED, T0)
    q = Message(id="m2", direction=Direction.OUTBOUND, channel=Channel.SMS, purpose="p",
                created_at=T0)
    q.suppress(SuppressionReason.OPTED_OUT, T0)
    assert (q.status, q.suppressed_reason) == (MessageStatus.SUPPRESSED,
                                               SuppressionReason.OPTED_OUT)
    with pytest.raises(IllegalTransition):
        q.move(MessageStatus.SENDING, T0)


NAIVE = datetime(2026, 11, 24, 12, 0)


def _entities():
    day = date(2026, 11, 24)
    yield "delivery", make_delivery(), lambda e: e.schedule("R1", 1, None, NAIVE)
    yield "shift", Shift(id="S1", depot_id="d", service_date=day, starts_at=T0, ends_at=T0), \
        lambda e: e.call_out(NAIVE, "sick")
    yield "gap", Gap(id="G1", shift_id="S1", opened_at=T0), lambda e: e.fill("DR1", NAIVE)
    yield "offer", Offer(id="O1", gap_id="G1", driver_id="DR1", sent_at=T0), \
        lambda e: e.move(OfferStatus.ACCEPTED, NAIVE)
    yield "route-start", Route(id="R1", market_id="m", depot_id="d", service_date=day), \
        lambda e: e.start(NAIVE)
    yield "route-complete", Route(id="R1", market_id="m", depot_id="d", service_date=day), \
        lambda e: e.complete(NAIVE)
    yield "stop", Stop(route_id="R1", sequence=1, delivery_id="D1"), \
        lambda e: e.move(StopStatus.DONE, NAIVE)
    yield "exception", RouteException(id="X1", kind=ExceptionKind.OTHER, severity=Severity.LOW,
                                      market_id="m", reported_at=T0), \
        lambda e: e.move(ExceptionStatus.RESOLVED, NAIVE)
    yield "message", Message(id="m1", direction=Direction.OUTBOUND, channel=Channel.SMS,
                             purpose="p", created_at=T0), \
        lambda e: e.move(MessageStatus.SENDING, NAIVE)


@pytest.mark.parametrize("name,entity,move", list(_entities()), ids=lambda v: v
                         if isinstance(v, str) else "")
def test_a_naive_time_changes_nothing(name, entity, move):
    before = dict(vars(entity))
    with pytest.raises(NaiveDatetime):
        move(entity)
    assert vars(entity) == before, f"{name} was half-moved by a refused timestamp"
