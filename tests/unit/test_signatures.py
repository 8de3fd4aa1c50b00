from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from standardwebhooks.webhooks import Webhook

from doorstep.signing import BadSignature, sign, verify

SECRET = "whsec_" + "dGVzdC1zZWNyZXQtZm9yLWRvb3JzdGVwLXRlc3RzISE="
WINDOW = timedelta(seconds=300)


@pytest.mark.parametrize("tz", [UTC, ZoneInfo("America/New_York"), ZoneInfo("Asia/Kolkata")])
def test_a_signature_made_in_any_time_zone_verifies(tz) -> None:
    at = datetime(2026, 11, 24, 12, 0, tzinfo=tz)
    headers = sign(SECRET, "msg-1", b'{"a": 1}', at)
    assert verify(SECRET, b'{"a": 1}', headers, at, WINDOW) == "msg-1"
    # and the reference implementation agrees with what we sent
    expected = Webhook(SECRET).sign("msg-1", at.astimezone(UTC), '{"a": 1}')
    assert headers["webhook-signature"] == expected


def test_the_replay_window_is_judged_on_the_given_clock() -> None:
    at = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    headers = sign(SECRET, "msg-1", b"{}", at)
    assert verify(SECRET, b"{}", headers, at + timedelta(seconds=299), WINDOW)
    with pytest.raises(BadSignature, match="replay window"):
        verify(SECRET, b"{}", headers, at + timedelta(seconds=301), WINDOW)
    with pytest.raises(BadSignature, match="replay window"):
        verify(SECRET, b"{}", headers, at - timedelta(seconds=301), WINDOW)


def test_a_changed_body_or_another_secret_is_refused() -> None:
    at = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    headers = sign(SECRET, "msg-1", b'{"a": 1}', at)
    with pytest.raises(BadSignature, match="no matching signature"):
        verify(SECRET, b'{"a": 2}', headers, at, WINDOW)
    other = "whsec_" + "b3RoZXItc2VjcmV0LW5vdC10aGUtc2FtZS1rZXkhISE="
    with pytest.raises(BadSignature, match="no matching signature"):
        verify(other, b'{"a": 1}', headers, at, WINDOW)


@pytest.mark.parametrize("bad", ["", "v1", "v1,!!!notbase64", "v2,AAAA", "garbage"])
def test_malformed_signature_headers_are_refused_not_crashed(bad) -> None:
    at = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    headers = {**sign(SECRET, "m", b"{}", at), "webhook-signature": bad}
    with pytest.raises(BadSignature):
        verify(SECRET, b"{}", headers, at, WINDOW)


def test_signing_is_pure_and_the_web_package_no_longer_holds_it() -> None:
    """The simulator and the load generator sign without loading the web framework."""
    import subprocess
    import sys

    code = ("import sys, doorstep.signing; "
            "print(sorted(m for m in sys.modules "
            "if m.split('.')[0] in ('fastapi', 'starlette') or m.startswith('doorstep.web')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"
    with pytest.raises(ModuleNotFoundError):
        __import__("doorstep.web.signatures")
