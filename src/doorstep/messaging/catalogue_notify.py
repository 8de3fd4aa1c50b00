"""The notify workflow's message types: before, during and after a delivery."""

from __future__ import annotations

from doorstep.messaging.catalogue import BODY, SUBJECT, MessageType

_COMMON = {
    "shipper": "the shipper's name, as the recipient knows it",
    "first_name": "the recipient's first name, as the shipper gave it (\"Robin\")",
    "delivery_id": "the delivery's reference, as the shipper knows it",
}
_LINK = {"tracking_url": "the delivery's tracking page: status, window, instructions, proof "
                         "of delivery (none when doorstep has no public address)"}
_WINDOW = {"window": "the arrival window in words, in the market's time and the message's "
                     "language (\"2:15–3:00 PM\"; none when not known yet)"}
_SAMPLE = {"shipper": "FreshCart Grocery", "first_name": "Robin", "delivery_id": "D-1042",
           "tracking_url": "https://track.example.com/t/Xq3v9kPz2LmN8rT4yW6aBc1dEf5gHj7K"}


def _recipient(name: str, title: str, purpose: str, variables: dict[str, str],
               sample: dict[str, object]) -> MessageType:
    return MessageType(name=name, title=title, purpose=purpose, audience="recipient",
                       channel="sms", subject_kind="delivery", parts=(BODY, SUBJECT),
                       variables={**_COMMON, **variables}, sample={**_SAMPLE, **sample})


NOTIFY_TYPES = [
    _recipient(
        "pre_delivery", "Delivery tomorrow / today",
        "Sent the evening before and/or the morning of the delivery, per the shipper's policy, "
        "with the window where the route is planned. Replies with instructions are saved.",
        {**_WINDOW, **_LINK, "when": "\"tomorrow\" (the evening before) or \"today\""},
        {"window": "2:00–4:00 PM", "when": "tomorrow"}),
    _recipient(
        "on_the_way", "On its way",
        "Sent when the route starts: the first live arrival window.",
        {**_WINDOW, **_LINK}, {"window": "2:15–3:00 PM"}),
    _recipient(
        "running_late", "Running late: a new window",
        "Sent when the live estimate leaves the window the recipient holds (by more than the "
        "policy's margin), at most the policy's number of times per delivery.",
        {**_WINDOW, **_LINK}, {"window": "3:30–4:15 PM"}),
    _recipient(
        "stops_away", "N stops away",
        "Sent when the driver is the policy's number of stops away, with a narrowed window.",
        {**_WINDOW, **_LINK, "stops": "how many stops away the driver is"},
        {"window": "2:35–2:55 PM", "stops": 3}),
    _recipient(
        "delivered", "Delivered",
        "Sent within seconds of proof of delivery, with the link to the photo and signature.",
        {**_LINK, "received_by": "who signed for it (none when no one did)",
         "photo": "whether a photo was taken (true/false)"},
        {"received_by": "R. Lee", "photo": True}),
    _recipient(
        "time_sensitive_near", "Time-sensitive: driver near",
        "Sent for a time-sensitive delivery when the driver is near, so someone is there.",
        {**_LINK, "stops": "how many stops away the driver is"}, {"stops": 1}),
    _recipient(
        "deadline_risk", "Time-sensitive: may miss its deadline",
        "Sent when a time-sensitive delivery's live window ends after its deadline: asks for "
        "a safe place or another time. Dispatch is alerted at the same time.",
        {**_WINDOW, **_LINK, "deadline": "the latest it was promised by, in the market's time"},
        {"window": "5:10–5:40 PM", "deadline": "5:00 PM"}),
    _recipient(
        "time_sensitive_failed", "Time-sensitive: attempt failed",
        "Sent at once when an attempt at a time-sensitive delivery fails, in place of the "
        "failed-attempt message: asks how to deliver it today. Dispatch is alerted.",
        {"reason": "why the attempt failed, as a code (not_home, access …)",
         "reason_text": "the same reason in words, in the message's language",
         "attempt": "which attempt failed"},
        {"reason": "not_home", "attempt": 1}),
    _recipient(
        "time_sensitive_reminder", "Time-sensitive: after delivery",
        "Sent a while after a time-sensitive delivery (policy), e.g. to refrigerate it.", {}, {}),
    MessageType(
        name="time_sensitive_alert", title="Time-sensitive delivery at risk",
        purpose="Sent at once to the market's dispatch supervisor when an attempt at a "
                "time-sensitive delivery fails or its window will miss the deadline.",
        audience="operator", channel="alert", subject_kind="delivery",
        variables={"delivery_id": "the delivery", "route_id": "its route (none if not known)",
                   "what": "\"failed\" or \"deadline\"",
                   "reason": "why the attempt failed (for \"failed\")",
                   "window": "the live window (for \"deadline\")",
                   "deadline": "the deadline, in the market's time (for \"deadline\")",
                   "address": "the delivery's street and city"},
        sample={"delivery_id": "D-1042", "route_id": "R-17", "what": "deadline",
                "reason": None, "window": "5:10–5:40 PM", "deadline": "5:00 PM",
                "address": "12 Court St, Brooklyn"}),
]
