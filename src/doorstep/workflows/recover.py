"""recover: reach the recipient after a failed attempt; escalate chronic address problems."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from doorstep.domain import (
    Attempt,
    AttemptOutcome,
    Channel,
    Delivery,
    DeliveryStatus,
    FailureReason,
    Market,
    Recipient,
    Shipper,
)
from doorstep.domain.timeutil import next_daytime
from doorstep.workflows.actions import Action, Audience, QueueMessage

# Reasons that say something about the address rather than about the day.
ADDRESS_REASONS = frozenset({FailureReason.WRONG_ADDRESS, FailureReason.ACCESS})


@dataclass(frozen=True)
class RecoverPolicy:
    chronic_failures: int = 3  # address failures (wrong address, access) before operations hear
    daytime_start: time = time(8, 0)  # recipients are messaged in their local daytime only
    daytime_end: time = time(21, 0)


def first_name(name: str) -> str:
    """How a message greets someone: the first word of the name the shipper gave."""
    words = name.split()
    return words[0] if words else ""


def on_failed(delivery: Delivery, attempt: Attempt, recipient: Recipient, shipper: Shipper,
              market: Market, address_failures: int, policy: RecoverPolicy) -> list[Action]:
    """`address_failures` counts the failures for address reasons at this address, this attempt
    included. A failure reported after the parcel was delivered (or cancelled, or returned)
    asks the recipient nothing; it still counts against the address."""
    actions: list[Action] = []
    settled = delivery.status in (DeliveryStatus.DELIVERED, DeliveryStatus.CANCELLED,
                                  DeliveryStatus.RETURNED)
    if recipient.may_text() and not settled:
        actions.append(QueueMessage(
            purpose="recover.reach_out", channel=Channel.SMS, audience=Audience.RECIPIENT,
            dedup_key=f"recover.reach_out:{delivery.id}:{attempt.number}",
            subject_type="delivery", subject_id=delivery.id, to_addr=recipient.phone,
            template=("time_sensitive_failed" if delivery.time_sensitive
                      or shipper.time_sensitive else "failed_attempt"),
            language=recipient.language,
            context={"reason": attempt.failure_reason.value if attempt.failure_reason else None,
                     "attempt": attempt.number, "first_name": first_name(recipient.name),
                     "delivery_id": delivery.id},
            shipper_id=shipper.id, market_id=market.id, recipient_id=recipient.id,
            question="redelivery_offer",
            send_after=next_daytime(attempt.occurred_at, market.timezone,
                                    policy.daytime_start, policy.daytime_end),
        ))
    if (attempt.outcome is AttemptOutcome.FAILED and attempt.failure_reason in ADDRESS_REASONS
            and address_failures >= policy.chronic_failures):
        actions.append(QueueMessage(
            purpose="recover.chronic_address", channel=Channel.ALERT,
            audience=Audience.OPERATIONS,
            dedup_key=f"recover.chronic_address:{delivery.address_postal_code}:"
                      f"{delivery.address_line1.lower()}",
            subject_type="delivery", subject_id=delivery.id, to_addr=None,
            template="chronic_address",
            context={"failures": address_failures, "city": delivery.address_city,
                     "postal_code": delivery.address_postal_code},
            shipper_id=shipper.id, market_id=market.id,
        ))
    return actions
