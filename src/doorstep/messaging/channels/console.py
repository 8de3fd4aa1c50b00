"""The development channel: messages are kept and shown in the dashboard, never sent."""

from __future__ import annotations

import logging
from datetime import datetime

from doorstep.messaging.channels.base import Accepted, Outgoing

log = logging.getLogger(__name__)


class ConsoleChannel:
    name = "console"

    def send(self, message: Outgoing) -> Accepted:
        log.info("development channel: message %s kept, not sent (%d characters)",
                 message.message_id, len(message.body))
        return Accepted(provider_id=f"dev-{message.message_id}")

    def find(self, message: Outgoing, since: datetime) -> Accepted | None:
        return Accepted(provider_id=f"dev-{message.message_id}")
