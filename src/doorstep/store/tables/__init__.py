"""The schema, one module per part of the domain. Indexes follow the queries the dashboard and
the jobs make."""

from doorstep.store.tables._base import ID, metadata
from doorstep.store.tables.access import api_tokens, login_failures, sessions, users
from doorstep.store.tables.crew import drivers, gaps, offers, shifts, vehicles
from doorstep.store.tables.messaging import (
    consent_changes,
    conversations,
    message_attempts,
    messages,
    send_rates,
    templates,
)
from doorstep.store.tables.notices import held_windows, notice_marks
from doorstep.store.tables.places import depots, markets, recipients, shippers
from doorstep.store.tables.platforms import platform_links, platform_writes
from doorstep.store.tables.tracking import ratings, tracking_tokens
from doorstep.store.tables.work import (
    attempts,
    cursors,
    deliveries,
    dispositions,
    events,
    exceptions,
    reports,
    routes,
    stops,
)

__all__ = [
    "ID", "api_tokens", "attempts", "consent_changes", "conversations", "cursors", "deliveries",
    "depots", "dispositions", "drivers", "events", "exceptions", "gaps", "held_windows", "login_failures",
    "markets", "message_attempts", "messages", "metadata", "notice_marks", "offers", "platform_links",
    "platform_writes", "ratings", "recipients", "reports",
    "routes", "send_rates", "sessions", "shifts", "shippers", "stops", "templates", "tracking_tokens", "users",
    "vehicles",
]
