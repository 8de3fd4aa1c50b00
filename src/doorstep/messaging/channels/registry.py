"""Which channel carries which kind of message, from the settings.

`DOORSTEP_MESSAGING=development` (the default, and `make run`'s) keeps every message in the
dashboard; `live` sends SMS through Twilio, email over SMTP when `DOORSTEP_SMTP_HOST` is set and
alerts through Apprise when `DOORSTEP_ALERT_URLS` is; what has no live channel stays in the
dashboard, so nothing is lost.
"""

from __future__ import annotations

from collections.abc import Callable

from doorstep.config import Settings
from doorstep.domain import Channel
from doorstep.messaging.channels.apprise_alerts import AppriseAlerts
from doorstep.messaging.channels.base import Channel as ChannelImpl
from doorstep.messaging.channels.console import ConsoleChannel
from doorstep.messaging.channels.smtp_email import SmtpEmail
from doorstep.messaging.channels.twilio_sms import TwilioSms


class NotConfigured(RuntimeError):
    pass


def channels_for(settings: Settings) -> Callable[[Channel], ChannelImpl]:
    console = ConsoleChannel()
    if settings.messaging == "development":
        return lambda _channel: console
    if not settings.twilio_account_sid or settings.twilio_auth_token is None:
        raise NotConfigured("DOORSTEP_MESSAGING=live needs DOORSTEP_TWILIO_ACCOUNT_SID and "
                            "DOORSTEP_TWILIO_AUTH_TOKEN")
    callback = (settings.public_url.rstrip("/") + "/webhooks/twilio/status"
                if settings.public_url else None)
    sms = TwilioSms(settings.twilio_account_sid, settings.twilio_auth_token.get_secret_value(),
                    base_url=settings.twilio_base_url, status_callback=callback,
                    timeout=settings.twilio_timeout_seconds)
    live: dict[Channel, ChannelImpl] = {Channel.SMS: sms}
    if settings.smtp_host:
        live[Channel.EMAIL] = SmtpEmail(
            settings.smtp_host, settings.smtp_port, username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password
            else None, starttls=settings.smtp_starttls)
    if settings.alert_urls:
        live[Channel.ALERT] = AppriseAlerts(
            [u.strip() for u in settings.alert_urls.split(",") if u.strip()])
    return lambda channel: live.get(channel, console)
