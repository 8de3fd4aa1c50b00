"""Internal alerts (a callout, a critical exception, a chronic address) through Apprise: one
URL per destination — Slack, Microsoft Teams, email, Telegram … — set by the operator."""

from __future__ import annotations

from datetime import datetime

import apprise

from doorstep.messaging.channels.base import Accepted, Outgoing, Transient


class AppriseAlerts:
    name = "alert"

    def __init__(self, urls: list[str]) -> None:
        self.apprise = apprise.Apprise()
        for url in urls:
            if not self.apprise.add(url):
                raise ValueError(f"not an Apprise URL this installation understands: "
                                 f"{url.split('://', 1)[0]}://…")

    def send(self, message: Outgoing) -> Accepted:
        # Apprise reports success only when every destination took the alert.
        if not self.apprise.notify(body=message.body, title=message.subject or "doorstep"):
            raise Transient("alert", "an alert destination did not take the alert")
        return Accepted(provider_id=f"alert-{message.message_id}")

    def find(self, message: Outgoing, since: datetime) -> Accepted | None:
        return None
