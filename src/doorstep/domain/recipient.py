"""Recipients and their consent, channel by channel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from doorstep.domain.timeutil import require_aware


class Consent(StrEnum):
    UNKNOWN = "unknown"
    GRANTED = "granted"
    REVOKED = "revoked"


@dataclass
class Recipient:
    id: str
    name: str
    phone: str | None = None
    email: str | None = None
    language: str = "en"
    sms_consent: Consent = Consent.UNKNOWN
    email_consent: Consent = Consent.UNKNOWN
    opted_out_at: datetime | None = None
    phone_invalid_at: datetime | None = None  # the provider said it cannot be reached, for good
    email_invalid_at: datetime | None = None

    def opt_out_of_sms(self, at: datetime) -> None:
        self.opted_out_at = require_aware(at)
        self.sms_consent = Consent.REVOKED

    def opt_in_to_sms(self) -> None:
        self.sms_consent = Consent.GRANTED
        self.opted_out_at = None

    def may_text(self) -> bool:
        return (self.phone is not None and self.phone_invalid_at is None
                and self.sms_consent is not Consent.REVOKED)

    def may_email(self) -> bool:
        return (self.email is not None and self.email_invalid_at is None
                and self.email_consent is not Consent.REVOKED)
