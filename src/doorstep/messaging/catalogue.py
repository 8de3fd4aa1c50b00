"""Every kind of message doorstep sends from a template: what it is for, who reads it, the
variables its template may use, and a realistic sample of them.

The variables are exactly what the sender gives the template: the context the workflow
queued with the message, plus `shipper` (the shipper's name) and, where there is a failure
reason, `reason_text` (the reason in words, in the message's language). Saving a template
that uses any other name is refused; the sample is what a template is checked against.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

BODY, SUBJECT = "body", "subject"


@dataclass(frozen=True)
class MessageType:
    name: str
    title: str
    purpose: str
    audience: str  # "recipient" (the shipper's customer) | "operator" (our own people)
    channel: str  # how it usually goes: "sms" | "alert"
    subject_kind: str  # what it is about: "delivery" | "shift" | "exception"
    variables: dict[str, str]
    sample: dict[str, Any]
    parts: tuple[str, ...] = (BODY,)

    @property
    def shippers_may_edit(self) -> bool:
        """A shipper writes the words its customers read, not the operator's own alerts."""
        return self.audience == "recipient"

    @property
    def is_sms(self) -> bool:
        return self.channel == "sms"


CATALOGUE: dict[str, MessageType] = {t.name: t for t in [
    MessageType(
        name="failed_attempt",
        title="Failed delivery attempt",
        purpose="Sent to the recipient after an attempt failed: says why and asks for a day "
                "or instructions by reply. Goes by SMS, or by email (with the subject) where "
                "the recipient has only an email address.",
        audience="recipient", channel="sms", subject_kind="delivery", parts=(BODY, SUBJECT),
        variables={
            "shipper": "the shipper's name, as the recipient knows it",
            "reason": "why the attempt failed, as a code: not_home, wrong_address, access, "
                      "refused, damaged, other (or none)",
            "reason_text": "the same reason in words, in the message's language "
                           "(\"no one was home\")",
            "attempt": "which attempt failed: 1 for the first, 2 for the second …",
            "first_name": "the recipient's first name, as the shipper gave it (\"Robin\")",
            "delivery_id": "the delivery's reference, as the shipper knows it",
        },
        # reason_text is worded from reason in the template's language, as when sending.
        sample={"shipper": "FreshCart Grocery", "reason": "not_home", "attempt": 1,
                "first_name": "Robin", "delivery_id": "D-1042"},
    ),
    MessageType(
        name="callout_alert",
        title="Driver callout",
        purpose="Sent at once to the market's dispatch supervisor when a driver calls out of "
                "a shift; the gap is opened at the same time.",
        audience="operator", channel="alert", subject_kind="shift",
        variables={
            "driver": "the driver's name (none when unknown)",
            "depot_id": "the depot the shift starts from",
            "starts_at": "when the shift starts (ISO 8601, with its UTC offset)",
            "hours_to_start": "hours from the callout to the start, one decimal",
            "reason": "the reason the driver gave (none when none was given)",
        },
        sample={"driver": "Pat Rivera", "depot_id": "nyc-bk",
                "starts_at": "2026-11-25T07:00:00-05:00", "hours_to_start": 9.5,
                "reason": "sick"},
    ),
    MessageType(
        name="exception_alert",
        title="Route exception",
        purpose="Sent at once to the market's dispatch supervisor when a route exception at "
                "or above the alert severity is reported.",
        audience="operator", channel="alert", subject_kind="exception",
        variables={
            "kind": "what happened: breakdown, road_closure, incident, capacity_overrun, "
                    "weather or other",
            "severity": "low, medium, high or critical",
            "route_id": "the route it happened on (none when not on a route)",
            "depot_id": "the depot concerned (none when not known)",
            "description": "the reporter's words",
            "stops_affected": "how many stops it delays or puts at risk",
        },
        sample={"kind": "breakdown", "severity": "high", "route_id": "R-1042",
                "depot_id": "nyc-bk", "description": "van will not start", "stops_affected": 23},
    ),
    MessageType(
        name="chronic_address",
        title="Chronic address problem",
        purpose="Sent to operations when one address has failed again and again for address "
                "reasons (wrong address, no access), so that someone checks it.",
        audience="operator", channel="alert", subject_kind="delivery",
        variables={
            "shipper": "the shipper whose delivery failed last",
            "failures": "failed attempts at this address for address reasons",
            "city": "the address's city",
            "postal_code": "the address's postal code",
        },
        sample={"shipper": "FreshCart Grocery", "failures": 3, "city": "Brooklyn",
                "postal_code": "11231"},
    ),
]}


def _with_notify() -> None:
    from doorstep.messaging.catalogue_notify import NOTIFY_TYPES

    CATALOGUE.update({t.name: t for t in NOTIFY_TYPES})


_with_notify()


def message_type(name: str) -> MessageType | None:
    return CATALOGUE.get(name)
