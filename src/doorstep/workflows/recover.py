"""recover: reach the recipient after a failed attempt; escalate chronic address problems."""

from __future__ import annotations

from dataclasses import dataclass

from doorstep.domain import (
    Attempt,
    AttemptOutcome,
    Channel,
    Delivery,
    FailureReason,
    Market,
    Recipient,
    Shipper,
)
from doorstep.workflows.actions import Action, Audience, QueueMessage

# Reasons that say something about the address rather than about the day.
ADDRESS_REASONS = frozenset({FailureReason.WRONG_ADDRESS, FailureReason.ACCESS})


@dataclass(frozen=True)
class RecoverPolicy:
    chronic_failures: int = 3  # failed attempts at one address before operations hear of it


def on_failed(delivery: Delivery, attempt: Attempt, recipient: Recipient, shipper: Shipper,
              market: Market, failures_at_address: int, policy: RecoverPolicy) -> list[Action]:
    """`failures_at_address` counts this attempt and every earlier failure at the address."""
    actions: list[Action] = []
    if recipient.may_text():
        actions.append(QueueMessage(
            purpose="recover.reach_out", channel=Channel.SMS, audience=Audience.RECIPIENT,
            dedup_key=f"recover.reach_out:{delivery.id}:{attempt.number}",
            subject_type="delivery", subject_id=delivery.id, to_addr=recipient.phone,
            template="failed_attempt", language=recipient.language,
            context={"reason": attempt.failure_reason.value if attempt.failure_reason else None,
                     "attempt": attempt.number},
            shipper_id=shipper.id, market_id=market.id, recipient_id=recipient.id,
        ))
    address_trouble = attempt.failure_reason in ADDRESS_REASONS
    if attempt.outcome is AttemptOutcome.FAILED and address_trouble \
            and failures_at_address == policy.chronic_failures:
        actions.append(QueueMessage(
            purpose="recover.chronic_address", channel=Channel.ALERT,
            audience=Audience.OPERATIONS,
            dedup_key=f"recover.chronic_address:{delivery.address_postal_code}:"
                      f"{delivery.address_line1.lower()}",
            subject_type="delivery", subject_id=delivery.id, to_addr=None,
            template="chronic_address",
            context={"failures": failures_at_address, "city": delivery.address_city,
                     "postal_code": delivery.address_postal_code},
            shipper_id=shipper.id, market_id=market.id,
        ))
    return actions
