"""Phone numbers to E.164 (phonenumbers) and email addresses checked (email-validator)."""

from __future__ import annotations

import phonenumbers
from email_validator import EmailNotValidError, validate_email


class InvalidAddress(ValueError):
    """Not a number or an address a message could reach; the message says why."""


def e164(raw: str, region: str = "US") -> str:
    """`(212) 555-0100` → `+12125550100`; a number that cannot exist is refused."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as err:
        raise InvalidAddress(f"not a phone number: {err}") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidAddress("not a valid phone number for its country")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def email(raw: str) -> str:
    """The normalised address; no DNS lookup (the machine may be offline)."""
    try:
        return validate_email(raw, check_deliverability=False).normalized
    except EmailNotValidError as err:
        raise InvalidAddress(str(err)) from None
