"""Standard Webhooks signing and verification, with our own clock and replay window.

Pure (no web framework): the webhook endpoint verifies with it, the simulator and the load
generator sign with it. The reference library computes the signature; the timestamp is judged
here because the library reads the system clock and fixes the window at five minutes.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from standardwebhooks.webhooks import Webhook


class BadSignature(Exception):
    """Why a request was not accepted as signed; safe to show (it holds no secret)."""


def verify(secret: str, body: bytes, headers: Mapping[str, str], now: datetime,
           window: timedelta) -> str:
    """Return the webhook-id of a correctly signed, timely request, or raise BadSignature."""
    msg_id = headers.get("webhook-id")
    stamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not (msg_id and stamp and signatures):
        raise BadSignature("missing webhook-id, webhook-timestamp or webhook-signature")
    try:
        sent_at = datetime.fromtimestamp(int(stamp), tz=UTC)
    except (ValueError, OverflowError, OSError):
        raise BadSignature("webhook-timestamp is not a Unix time in seconds") from None
    if abs(now - sent_at) > window:
        raise BadSignature("webhook-timestamp is outside the replay window")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadSignature("the body is not UTF-8, so its signature cannot match") from None
    expected = base64.b64decode(Webhook(secret).sign(msg_id, sent_at, text).split(",", 1)[1])
    for candidate in signatures.split(" "):
        version, _, value = candidate.partition(",")
        if version != "v1":
            continue
        try:
            given = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            continue
        if hmac.compare_digest(expected, given):
            return msg_id
    raise BadSignature("no matching signature")


def sign(secret: str, msg_id: str, body: bytes, at: datetime) -> dict[str, str]:
    """Headers for a signed request (what a sender, or the simulator, attaches)."""
    at = at.astimezone(UTC)  # the library reads the wall-clock digits as UTC
    signature = Webhook(secret).sign(msg_id, at, body.decode("utf-8"))
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": signature, "content-type": "application/json"}
