"""The operator's own set-up: markets, depots, shippers (its clients) and their brands."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Market:
    """A region served under one time zone; every local rule is computed in it."""

    id: str
    name: str
    timezone: str
    supervisor_name: str | None = None
    supervisor_phone: str | None = None
    supervisor_email: str | None = None


@dataclass
class Depot:
    id: str
    market_id: str
    name: str
    address: str = ""
    lat: float | None = None
    lon: float | None = None


@dataclass
class Shipper:
    """The operator's client: a tenant that owns its brand, sender identities and policy."""

    id: str
    name: str
    brand_primary: str = "#1F2937"
    brand_secondary: str = "#F3F4F6"
    logo_url: str | None = None
    sms_from: str | None = None
    messaging_service_sid: str | None = None
    email_from: str | None = None
    time_sensitive: bool = False
    languages: list[str] = field(default_factory=lambda: ["en"])
