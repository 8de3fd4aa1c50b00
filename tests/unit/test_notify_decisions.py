"""The notify workflow's pure parts: where a notice goes, in which language, how a window
reads, how wide it may be."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from doorstep.config import ConfigError, load_operator
from doorstep.domain import Channel, Market, Recipient, Shipper
from doorstep.domain.recipient import Consent
from doorstep.workflows import notify, notify_words
from doorstep.workflows.notify_policy import NotifyPolicy

T = datetime(2026, 12, 1, 19, 15, tzinfo=UTC)  # 14:15 in New York


def person(**kw) -> Recipient:
    return Recipient(id="r", name="Robin Lee", **{"phone": "+12125550123",
                                                  "email": "robin@example.com", **kw})


@pytest.mark.parametrize(("recipient", "policy", "opted_out", "expected"), [
    (person(), NotifyPolicy(), frozenset(), [Channel.SMS]),
    (person(), NotifyPolicy(channels=["email", "sms"]), frozenset(), [Channel.EMAIL]),
    (person(), NotifyPolicy(every_channel=True), frozenset(), [Channel.SMS, Channel.EMAIL]),
    (person(), NotifyPolicy(), frozenset({Channel.SMS}), [Channel.EMAIL]),
    (person(phone=None), NotifyPolicy(), frozenset(), [Channel.EMAIL]),
    (person(sms_consent=Consent.REVOKED), NotifyPolicy(), frozenset(), [Channel.EMAIL]),
    (person(email=None), NotifyPolicy(channels=["email"]), frozenset(), []),
    (person(phone_invalid_at=T, email=None), NotifyPolicy(), frozenset(), []),
])
def test_a_notice_goes_by_the_first_channel_the_recipient_can_be_reached_on(
        recipient, policy, opted_out, expected):
    assert [c for c, _ in notify.reach(recipient, policy, opted_out)] == expected


@pytest.mark.parametrize(("language", "shipper_languages", "expected"), [
    ("es", ["en", "es"], "es"), ("es", ["en"], "en"), ("fr", ["es", "en"], "es"),
    ("en", ["en"], "en")])
def test_the_recipients_language_where_the_shipper_writes_it(language, shipper_languages,
                                                            expected):
    shipper = Shipper(id="s", name="S", languages=shipper_languages)
    assert notify.language_for(person(language=language), shipper) == expected


@pytest.mark.parametrize(("start", "minutes", "language", "words"), [
    (T, 45, "en", "2:15–3:00 PM"),
    (T - timedelta(hours=3), 90, "en", "11:15 AM–12:45 PM"),
    (T, 45, "es", "de 14:15 a 15:00"),
])
def test_a_window_reads_as_a_person_would_say_it(start, minutes, language, words):
    end = start + timedelta(minutes=minutes)
    assert notify_words.window(start, end, "America/New_York", language) == words


def test_a_window_is_never_wider_than_the_shippers_maximum_and_keeps_the_likely_arrival():
    policy = NotifyPolicy(max_window_minutes=60)
    wide = (T, T + timedelta(hours=3))
    lo, hi = notify.clipped(wide, T + timedelta(minutes=20), policy)
    assert hi - lo == timedelta(minutes=60) and (lo, hi) == (T, T + timedelta(minutes=60))
    lo, hi = notify.clipped(wide, T + timedelta(hours=2), policy)
    assert lo <= T + timedelta(hours=2) <= hi and hi - lo == timedelta(minutes=60)
    narrow = (T, T + timedelta(minutes=30))
    assert notify.clipped(narrow, T, policy) == narrow


def addressee(time_sensitive=False, deadline=None) -> notify.Addressee:
    from doorstep.domain import Delivery

    d = Delivery(id="D1", shipper_id="s", market_id="m", depot_id="x", recipient_id="r",
                 service_date=T.date(), address_line1="1 Main St", address_city="Brooklyn",
                 address_postal_code="11201", route_id="R1", time_sensitive=time_sensitive,
                 window_end=deadline)
    market = Market(id="m", name="M", timezone="America/New_York",
                    supervisor_email="dispatch@example.com")
    return notify.Addressee(d, Shipper(id="s", name="S"), NotifyPolicy(), lambda: notify.People(
        person(), market, ((Channel.SMS, "+12125550123"),), lambda: "https://x/t/abc"))


def live(gap: int, late: int = 0) -> notify.Live:
    point = T + timedelta(minutes=late)
    return notify.Live(gap, point, (point - timedelta(minutes=15), point + timedelta(minutes=15)))


def test_the_live_rule_sends_the_narrowed_window_then_one_update_then_nothing():
    a = addressee()
    held = notify.Held((T - timedelta(minutes=30), T + timedelta(minutes=30)))
    actions, held2 = notify.on_progress(a, "R1", held, live(5, late=20))
    assert actions == [] and held2 == held  # inside the window plus its margin
    actions, held3 = notify.on_progress(a, "R1", held, live(5, late=60))
    assert [m.purpose for m in actions] == ["notify.running_late"] and held3.updates == 1
    actions, held4 = notify.on_progress(a, "R1", held3, live(4, late=180))
    assert actions == [] and held4 == held3  # the cap: one update
    actions, held5 = notify.on_progress(a, "R1", held4, live(3, late=180))
    assert [m.purpose for m in actions] == ["notify.stops_away"] and held5.away_sent


def test_a_delivery_nobody_can_reach_gets_no_message_but_dispatch_still_hears():
    a = addressee(time_sensitive=True, deadline=T)
    a.people  # noqa: B018 - loaded: now make it unreachable
    a.__dict__["people"] = notify.People(person(phone=None, email=None), a.market, ())
    actions, held = notify.on_progress(a, "R1", None, live(6, late=30))
    assert [m.purpose for m in actions] == ["notify.time_sensitive_alert"]
    assert held is None  # no window was sent: the alert's key keeps it to once


def test_a_notify_policy_that_does_not_hold_up_is_refused_with_its_field(tmp_path):
    from pathlib import Path

    text = (Path(__file__).parents[2] / "doorstep.toml").read_text()
    bad = text.replace('id = "threadline"', 'id = "threadline"\nnotify = { channels = ["fax"] }', 1)
    assert bad != text
    path = tmp_path / "op.toml"
    path.write_text(bad)
    with pytest.raises(ConfigError, match=r"shippers\[\d\]\.notify\.channels\[0\]"):
        load_operator(path)
