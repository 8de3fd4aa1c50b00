"""The pure decisions: exceptions, crew and recover, with plain objects."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doorstep.domain import (
    Attempt,
    AttemptOutcome,
    Channel,
    Consent,
    Delivery,
    Driver,
    ExceptionKind,
    FailureReason,
    Market,
    Recipient,
    RouteException,
    Severity,
    Shift,
    Shipper,
)
from doorstep.workflows import crew, exceptions, recover
from doorstep.workflows.actions import Audience, OpenGap, QueueMessage
from doorstep.workflows.exceptions import ExceptionPolicy
from doorstep.workflows.recover import ADDRESS_REASONS, RecoverPolicy

NOW = datetime(2026, 11, 24, 11, 0, tzinfo=UTC)
MARKET = Market(id="nyc", name="New York", timezone="America/New_York",
                supervisor_name="Dana", supervisor_phone="+12125550101",
                supervisor_email="dispatch@example.com")
SHIPPER = Shipper(id="freshcart", name="FreshCart")


# --- exceptions ---------------------------------------------------------------------------------

def route_exception(severity: Severity, exc_id: str = "X1") -> RouteException:
    return RouteException(id=exc_id, kind=ExceptionKind.BREAKDOWN, severity=severity,
                          market_id="nyc", reported_at=NOW, depot_id="nyc-bk", route_id="R1",
                          driver_id="DR1", description="flat tyre", stops_affected=12)


@pytest.mark.parametrize("threshold", list(Severity))
@pytest.mark.parametrize("severity", list(Severity))
def test_exception_alerts_at_or_above_the_policy_severity_only(severity, threshold):
    actions = exceptions.on_reported(route_exception(severity), MARKET,
                                     ExceptionPolicy(alert_at=threshold))
    if severity.rank >= threshold.rank:
        assert len(actions) == 1
        alert = actions[0]
        assert isinstance(alert, QueueMessage)
        assert (alert.purpose, alert.channel, alert.audience) == (
            "exceptions.alert", Channel.ALERT, Audience.SUPERVISOR)
        assert alert.to_addr == MARKET.supervisor_email
        assert (alert.subject_type, alert.subject_id, alert.market_id, alert.driver_id) == (
            "exception", "X1", "nyc", "DR1")
        assert alert.context["severity"] == severity.value
        assert alert.context["stops_affected"] == 12
    else:
        assert actions == []


def test_default_policy_alerts_from_high():
    policy = ExceptionPolicy()
    assert exceptions.on_reported(route_exception(Severity.MEDIUM), MARKET, policy) == []
    assert len(exceptions.on_reported(route_exception(Severity.HIGH), MARKET, policy)) == 1


def test_exception_alert_dedup_key_is_stable_and_per_exception():
    policy = ExceptionPolicy(alert_at=Severity.LOW)
    first = exceptions.on_reported(route_exception(Severity.CRITICAL), MARKET, policy)[0]
    again = exceptions.on_reported(route_exception(Severity.CRITICAL), MARKET, policy)[0]
    other = exceptions.on_reported(route_exception(Severity.CRITICAL, "X2"), MARKET, policy)[0]
    assert isinstance(first, QueueMessage) and isinstance(again, QueueMessage)
    assert isinstance(other, QueueMessage)
    assert first.dedup_key == again.dedup_key
    assert first.dedup_key != other.dedup_key
    assert "X1" in first.dedup_key


def test_exception_alert_falls_back_to_the_supervisors_phone():
    market = replace(MARKET, supervisor_email=None)
    alert = exceptions.on_reported(route_exception(Severity.CRITICAL), market,
                                   ExceptionPolicy())[0]
    assert isinstance(alert, QueueMessage)
    assert alert.to_addr == MARKET.supervisor_phone


# --- crew ---------------------------------------------------------------------------------------

def shift(starts_in: timedelta = timedelta(hours=3)) -> Shift:
    starts = NOW + starts_in
    s = Shift(id="S1", depot_id="nyc-bk", service_date=date(2026, 11, 24), starts_at=starts,
              ends_at=starts + timedelta(hours=8), driver_id="DR1")
    s.call_out(NOW, "sick")
    return s


def test_callout_opens_a_gap_and_alerts_the_supervisor():
    driver = Driver(id="DR1", name="Pat", market_id="nyc", depot_id="nyc-bk")
    actions = crew.on_callout(shift(timedelta(hours=2, minutes=30)), driver, MARKET, NOW)
    gaps = [a for a in actions if isinstance(a, OpenGap)]
    alerts = [a for a in actions if isinstance(a, QueueMessage)]
    assert gaps == [OpenGap(shift_id="S1")]
    assert len(alerts) == 1 and len(actions) == 2
    alert = alerts[0]
    assert (alert.purpose, alert.channel, alert.audience, alert.to_addr) == (
        "crew.callout", Channel.ALERT, Audience.SUPERVISOR, MARKET.supervisor_email)
    assert alert.context["driver"] == "Pat"
    assert alert.context["hours_to_start"] == 2.5
    assert alert.context["reason"] == "sick"
    assert alert.driver_id == "DR1" and alert.subject_id == "S1"


def test_callout_dedup_key_is_stable_and_the_driver_may_be_unknown():
    a = crew.on_callout(shift(), None, MARKET, NOW)
    b = crew.on_callout(shift(), None, MARKET, NOW + timedelta(minutes=5))
    key_a = next(x.dedup_key for x in a if isinstance(x, QueueMessage))
    key_b = next(x.dedup_key for x in b if isinstance(x, QueueMessage))
    assert key_a == key_b
    assert next(x for x in a if isinstance(x, QueueMessage)).context["driver"] is None


# --- recover ------------------------------------------------------------------------------------

def delivery(line1: str = "1 Main St") -> Delivery:
    return Delivery(id="D1", shipper_id="freshcart", market_id="nyc", depot_id="nyc-bk",
                    recipient_id="r1", service_date=date(2026, 11, 24), address_line1=line1,
                    address_city="Brooklyn", address_postal_code="11201")


def attempt(reason: FailureReason, number: int = 1) -> Attempt:
    return Attempt(delivery_id="D1", number=number, outcome=AttemptOutcome.FAILED,
                   occurred_at=NOW, failure_reason=reason)


def recipient(**kw) -> Recipient:
    fields = dict(id="r1", name="Robin", phone="+12125552000", language="es")
    fields.update(kw)
    return Recipient(**fields)  # type: ignore[arg-type]


def reach_outs(actions):
    return [a for a in actions if isinstance(a, QueueMessage) and a.purpose == "recover.reach_out"]


def chronic(actions):
    return [a for a in actions
            if isinstance(a, QueueMessage) and a.purpose == "recover.chronic_address"]


def test_failed_attempt_texts_the_recipient_in_their_language():
    actions = recover.on_failed(delivery(), attempt(FailureReason.NOT_HOME, 2), recipient(),
                                SHIPPER, MARKET, 1, RecoverPolicy())
    [sms] = reach_outs(actions)
    assert (sms.channel, sms.audience, sms.to_addr, sms.language, sms.recipient_id) == (
        Channel.SMS, Audience.RECIPIENT, "+12125552000", "es", "r1")
    assert sms.context == {"reason": "not_home", "attempt": 2, "first_name": "Robin",
                           "delivery_id": "D1"}
    assert sms.dedup_key == "recover.reach_out:D1:2"
    assert chronic(actions) == []


@pytest.mark.parametrize("who", [
    pytest.param(dict(sms_consent=Consent.REVOKED), id="opted-out"),
    pytest.param(dict(phone=None, email="r@example.com"), id="no-phone"),
])
def test_no_text_to_a_recipient_who_may_not_be_texted(who):
    actions = recover.on_failed(delivery(), attempt(FailureReason.NOT_HOME), recipient(**who),
                                SHIPPER, MARKET, 1, RecoverPolicy())
    assert [a for a in actions if isinstance(a, QueueMessage) and a.channel is Channel.SMS] == []


def test_opted_out_recipient_is_never_texted_even_when_the_address_is_chronic():
    actions = recover.on_failed(delivery(), attempt(FailureReason.ACCESS),
                                recipient(sms_consent=Consent.REVOKED), SHIPPER, MARKET, 3,
                                RecoverPolicy(chronic_failures=3))
    assert reach_outs(actions) == []
    assert len(chronic(actions)) == 1


@given(failures=st.integers(1, 30), threshold=st.integers(2, 20),
       reason=st.sampled_from(list(FailureReason)))
def test_chronic_address_escalates_from_the_threshold_on_for_address_reasons(
        failures, threshold, reason):
    # Every decision from the threshold on asks; the outbox's dedup key keeps it to one alert.
    actions = recover.on_failed(delivery(), attempt(reason, failures), recipient(), SHIPPER,
                                MARKET, failures, RecoverPolicy(chronic_failures=threshold))
    escalations = chronic(actions)
    expected = reason in ADDRESS_REASONS and failures >= threshold
    assert len(escalations) == (1 if expected else 0)
    if expected:
        alert = escalations[0]
        assert (alert.channel, alert.audience, alert.to_addr) == (
            Channel.ALERT, Audience.OPERATIONS, None)
        assert alert.context["failures"] == failures
        assert alert.dedup_key == chronic(recover.on_failed(
            delivery(), attempt(reason, failures + 1), recipient(), SHIPPER, MARKET,
            failures + 1, RecoverPolicy(chronic_failures=threshold)))[0].dedup_key


def test_address_reasons_are_wrong_address_and_access():
    assert {FailureReason.WRONG_ADDRESS, FailureReason.ACCESS} == ADDRESS_REASONS


def test_chronic_dedup_key_names_the_address_not_the_delivery_and_ignores_case():
    one = chronic(recover.on_failed(delivery("1 Main St"), attempt(FailureReason.ACCESS),
                                    recipient(), SHIPPER, MARKET, 3, RecoverPolicy()))
    other = replace(delivery("1 MAIN ST"), id="D9")
    two = chronic(recover.on_failed(other, attempt(FailureReason.WRONG_ADDRESS), recipient(),
                                    SHIPPER, MARKET, 3, RecoverPolicy()))
    assert one[0].dedup_key == two[0].dedup_key
    elsewhere = chronic(recover.on_failed(delivery("2 Main St"), attempt(FailureReason.ACCESS),
                                          recipient(), SHIPPER, MARKET, 3, RecoverPolicy()))
    assert elsewhere[0].dedup_key != one[0].dedup_key
