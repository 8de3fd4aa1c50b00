"""SMS through Twilio's Messages API with the official SDK.

Twilio's create has no idempotency key (a retried POST is a second SMS), so this channel never
retries by itself: it says what happened — accepted, nothing sent (transient or permanent), or
unknown — and the outbox decides. `find` answers "does Twilio have this message?" after an
unknown outcome, by listing what was sent to the number since the attempt and matching the body.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from doorstep.messaging.channels.base import Accepted, Outgoing, Permanent, Transient, Unknown
from doorstep.messaging.segments import segments

# Codes that mean nothing was sent and a later try may work (contract §3.2).
RETRY_LATER = {20429, 21611, 30001, 30003, 30008, 30022, 30036, 30500}
INVALID_NUMBER = {21211, 21612, 21614, 21635, 30005, 30006}
OPTED_OUT = {21610}


def classify(code: int | None, status: int, detail: str) -> Transient | Permanent | Unknown:
    if status >= 500 and code in (None, status):
        return Unknown(str(status), detail)  # the message may exist: reconcile first
    if code in RETRY_LATER or status == 429:
        return Transient(str(code or status), detail)
    if code in OPTED_OUT:
        return Permanent(str(code), detail, "opted_out")
    if code in INVALID_NUMBER:
        return Permanent(str(code), detail, "invalid_number")
    return Permanent(str(code or status), detail)


class TwilioSms:
    name = "sms"

    def __init__(self, account_sid: str, auth_token: str, *, base_url: str | None = None,
                 status_callback: str | None = None, timeout: float = 10.0) -> None:
        self.client = Client(account_sid, auth_token,
                             http_client=TwilioHttpClient(timeout=timeout))
        if base_url:
            self.client.api.base_url = base_url.rstrip("/")
        self.status_callback = status_callback

    def send(self, message: Outgoing) -> Accepted:
        kwargs: dict[str, Any] = {"to": message.to, "body": message.body}
        if message.sender and message.sender.startswith("MG"):
            kwargs["messaging_service_sid"] = message.sender
        elif message.sender:
            kwargs["from_"] = message.sender
        else:
            raise Permanent("no_sender", "the shipper has no SMS number or messaging service")
        if self.status_callback:
            kwargs["status_callback"] = f"{self.status_callback}?m={message.message_id}"
        try:
            created = self.client.messages.create(**kwargs)
        except TwilioRestException as err:
            raise classify(err.code, err.status, str(err.msg)) from None
        except requests.exceptions.ConnectTimeout:
            raise Transient("connect_timeout", "Twilio did not answer the connection") from None
        except requests.exceptions.ConnectionError as err:
            if _never_connected(err):
                raise Transient("connection", "Twilio could not be reached") from None
            raise Unknown("connection", "the connection broke after the request") from None
        except requests.exceptions.Timeout:
            raise Unknown("timeout", "no answer in time; the message may exist") from None
        count = int(created.num_segments or 0) or segments(message.body).count
        return Accepted(provider_id=created.sid, segments=count)

    def find(self, message: Outgoing, since: datetime) -> Accepted | None:
        # No DateSent filter: a message still queued at Twilio has no date_sent yet.
        kwargs: dict[str, Any] = {"to": message.to, "limit": 200}
        if message.sender and not message.sender.startswith("MG"):
            kwargs["from_"] = message.sender
        earliest = since - timedelta(minutes=5)
        for found in self.client.messages.list(**kwargs):
            created = found.date_created
            if found.body == message.body and (created is None or created >= earliest):
                return Accepted(provider_id=found.sid,
                                segments=int(found.num_segments or 0) or None)
        return None


def _never_connected(err: requests.exceptions.ConnectionError) -> bool:
    text = str(err)
    return "Failed to establish a new connection" in text or "Connection refused" in text
