"""Recipient consent, severity order and the time-zone helpers."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest

from doorstep.domain import Consent, NaiveDatetime, Recipient, Severity
from doorstep.domain.timeutil import local_datetime, local_day, require_aware

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def test_recipient_with_phone_and_unknown_consent_may_be_texted():
    r = Recipient(id="r", name="R", phone="+12125550000")
    assert r.sms_consent is Consent.UNKNOWN
    assert r.may_text()
    assert not r.may_email()  # no address


def test_opting_out_of_sms_stops_texts_only():
    r = Recipient(id="r", name="R", phone="+12125550000", email="r@example.com")
    r.opt_out_of_sms(T0)
    assert (r.sms_consent, r.opted_out_at) == (Consent.REVOKED, T0)
    assert not r.may_text()
    assert r.may_email()
    r.opt_in_to_sms()
    assert (r.sms_consent, r.opted_out_at) == (Consent.GRANTED, None)
    assert r.may_text()


def test_revoked_email_consent_and_missing_phone():
    r = Recipient(id="r", name="R", email="r@example.com", email_consent=Consent.REVOKED)
    assert not r.may_email()
    assert not r.may_text()


def test_opt_out_refuses_a_naive_time():
    r = Recipient(id="r", name="R", phone="+12125550000")
    with pytest.raises(NaiveDatetime):
        r.opt_out_of_sms(datetime(2026, 11, 24, 12, 0))


def test_severity_ranks_in_declared_order():
    ranks = [s.rank for s in (Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL)]
    assert ranks == sorted(ranks) and len(set(ranks)) == 4


def test_require_aware():
    assert require_aware(T0) is T0
    with pytest.raises(NaiveDatetime, match="2026-11-24T12:00:00"):
        require_aware(datetime(2026, 11, 24, 12, 0))
    assert require_aware(T0.astimezone(timezone(timedelta(hours=-5)))) == T0


def test_local_datetime_follows_dst():
    summer = local_datetime(date(2026, 7, 1), time(8, 0), "America/New_York")
    winter = local_datetime(date(2026, 12, 1), time(8, 0), "America/New_York")
    assert summer.utcoffset() == timedelta(hours=-4)
    assert winter.utcoffset() == timedelta(hours=-5)
    phoenix = local_datetime(date(2026, 7, 1), time(8, 0), "America/Phoenix")
    assert phoenix.utcoffset() == timedelta(hours=-7)


def test_local_day_is_the_markets_day():
    late_evening_ny = datetime(2026, 11, 25, 3, 30, tzinfo=UTC)  # 22:30 on the 24th in NY
    assert local_day(late_evening_ny, "America/New_York") == date(2026, 11, 24)
    assert local_day(late_evening_ny, "Europe/Berlin") == date(2026, 11, 25)
    with pytest.raises(NaiveDatetime):
        local_day(datetime(2026, 11, 25, 3, 30), "America/New_York")
