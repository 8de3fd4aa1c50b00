"""Keys derived from event payloads, shared by the handlers and the batch preload."""

from __future__ import annotations

import hashlib
from typing import Any


def recipient_id(recipient: dict[str, Any], address: dict[str, Any]) -> str:
    """One person across deliveries and shippers, keyed by what reaches them; no PII in the id.
    Takes the event's raw `recipient` and `address` so the batch preload can compute it too."""
    key = (recipient.get("phone") or recipient.get("email")
           or f"{recipient.get('name')}|{address.get('line1')}|{address.get('postal_code')}")
    return "rcp_" + hashlib.sha256(str(key).lower().encode()).hexdigest()[:24]
