"""Email over SMTP (any provider speaks it): a text part and an HTML part in the shipper's brand.

SMTP has no idempotency either; a message whose DATA was accepted is sent. A connection that
fails before the server accepted the message is transient; one that breaks after DATA was sent
is an unknown outcome, settled by the outbox (email offers no way to ask, so `find` answers
None and a resend is preferred to a loss).
"""

from __future__ import annotations

import smtplib
import ssl
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid

from doorstep.messaging.channels.base import Accepted, Outgoing, Permanent, Transient, Unknown


class SmtpEmail:
    name = "email"

    def __init__(self, host: str, port: int = 587, *, username: str | None = None,
                 password: str | None = None, starttls: bool = True,
                 default_sender: str | None = None, timeout: float = 15.0) -> None:
        self.host, self.port = host, port
        self.username, self.password = username, password
        self.starttls = starttls
        self.default_sender = default_sender
        self.timeout = timeout

    def compose(self, message: Outgoing) -> EmailMessage:
        email = EmailMessage()
        email["From"] = message.sender or self.default_sender or ""
        email["To"] = message.to
        email["Subject"] = message.subject or ""
        domain = (email["From"].rsplit("@", 1)[-1].rstrip(">") or "doorstep.local")
        email["Message-ID"] = make_msgid(idstring=message.message_id, domain=domain)
        email.set_content(message.body)
        if message.html:
            email.add_alternative(message.html, subtype="html")
        return email

    def send(self, message: Outgoing) -> Accepted:
        if not (message.sender or self.default_sender):
            raise Permanent("no_sender", "the shipper has no email sender")
        email = self.compose(message)
        try:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        except OSError as err:
            raise Transient("connect", f"SMTP server unreachable: {err}") from None
        try:
            with smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username and self.password:
                    smtp.login(self.username, self.password)
                refused = smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused as err:
            raise Permanent("recipient_refused", str(err)[:200], "invalid_address") from None
        except (smtplib.SMTPSenderRefused, smtplib.SMTPAuthenticationError,
                smtplib.SMTPNotSupportedError) as err:
            raise Permanent("smtp_refused", str(err)[:200]) from None
        except smtplib.SMTPResponseException as err:
            if 400 <= err.smtp_code < 500:
                raise Transient(str(err.smtp_code), str(err.smtp_error)[:200]) from None
            raise Permanent(str(err.smtp_code), str(err.smtp_error)[:200]) from None
        except (smtplib.SMTPServerDisconnected, OSError) as err:
            raise Unknown("smtp_disconnected", str(err)[:200]) from None
        if refused:
            raise Permanent("recipient_refused", str(refused)[:200], "invalid_address")
        return Accepted(provider_id=str(email["Message-ID"]))

    def find(self, message: Outgoing, since: datetime) -> Accepted | None:
        return None
