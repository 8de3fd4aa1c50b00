"""Spoke's words for a stop's outcome (contracts/circuit.md §7.2 `deliveryInfo.state`) in
doorstep's: delivered, or failed for one of doorstep's reasons."""

from __future__ import annotations

import re

from doorstep.domain import FailureReason

DELIVERED = frozenset({
    "delivered_to_recipient", "delivered_to_third_party", "delivered_to_mailbox",
    "delivered_to_safe_place", "delivered_to_pickup_point", "delivered_other",
    "picked_up_from_customer", "picked_up_unmanned", "picked_up_from_locker", "picked_up_other",
})

# Spoke has no "refused" or "damaged" state; what it has, by what the driver could not do.
FAILED = {
    "failed_not_home": FailureReason.NOT_HOME,
    "failed_cant_find_address": FailureReason.WRONG_ADDRESS,
    "failed_no_parking": FailureReason.ACCESS,  # the driver could not get to the door
    "failed_no_time": FailureReason.OTHER,  # the route ran out of time: not the recipient's
    # The parcel was not there to hand over (missing or unfit): a parcel problem, as damaged.
    "failed_package_not_available": FailureReason.DAMAGED,
    "failed_missing_required_proof": FailureReason.OTHER,
    # Cash on delivery not paid: the recipient would not take it on those terms.
    "failed_payment_not_received": FailureReason.REFUSED,
    "failed_other": FailureReason.OTHER,
}

# A driver who picks "other" usually says why in the notes; the words doorstep's reasons are
# told by. Only consulted for failed_other and unknown failed_* states.
_NOTE_WORDS = [
    (re.compile(r"\brefus|\brejected|\bdeclined|\bdid not want|\bdidn'?t want", re.I),
     FailureReason.REFUSED),
    (re.compile(r"\bdamag|\bcrushed|\bsmashed|\bleak", re.I), FailureReason.DAMAGED),
    (re.compile(r"\bgate|\bbuzzer|\blocked|\bdoor ?code|\baccess|\bno entry|\bintercom",
                re.I), FailureReason.ACCESS),
    (re.compile(r"\bwrong address|\bno such|\bcan'?t find|\bcould not find|\bnot found",
                re.I), FailureReason.WRONG_ADDRESS),
    (re.compile(r"\bnot home|\bno answer|\bnobody|\bno one|\bnoone", re.I),
     FailureReason.NOT_HOME),
]


def outcome(state: str | None, succeeded: bool | None) -> str | None:
    """"delivered", "failed" or None (not attempted, or a state that says neither)."""
    if state in DELIVERED:
        return "delivered"
    if state in FAILED or (state or "").startswith("failed_"):
        return "failed"
    if state in (None, "", "unattempted"):
        return None
    # An undocumented state: trust the flag Spoke sets beside it.
    return "delivered" if succeeded else "failed" if succeeded is False else None


def failure_reason(state: str | None, notes: str | None) -> FailureReason:
    reason = FAILED.get(state or "")
    if reason is not None and reason is not FailureReason.OTHER:
        return reason
    for words, said in _NOTE_WORDS:
        if notes and words.search(notes):
            return said
    return reason or FailureReason.OTHER
