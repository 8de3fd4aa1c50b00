"""Configuration: the operator's file (TOML) and the process settings (DOORSTEP_* environment).

A file that does not hold up is refused at start with the file, the field and what was expected.
"""

from __future__ import annotations

import re
import tomllib
from datetime import time
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from doorstep.domain import Depot, Market, Shipper
from doorstep.workflows.notify_policy import NotifyPolicy


class ConfigError(Exception):
    """A configuration that cannot be used; the message names the file, field and expectation."""


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"expected an IANA time zone such as 'America/New_York', got {value!r}") from None
    return value


def _colour(value: str) -> str:
    if not re.fullmatch(r"#[0-9A-Fa-f]{6}", value):
        raise ValueError(f"expected a colour like '#1B5E20', got {value!r}")
    return value.upper()


Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")]
TimeZone = Annotated[str, AfterValidator(_timezone)]
Colour = Annotated[str, AfterValidator(_colour)]
Phone = Annotated[str, StringConstraints(pattern=r"^\+[1-9]\d{6,14}$")]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ContactConfig(_Section):
    name: str
    phone: Phone | None = None
    email: str | None = None


class MarketConfig(_Section):
    id: Slug
    name: str
    timezone: TimeZone
    supervisor: ContactConfig | None = None


class DepotConfig(_Section):
    id: Slug
    market: Slug
    name: str
    address: str = ""
    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]


class BrandConfig(_Section):
    primary: Colour = "#1F2937"
    secondary: Colour = "#F3F4F6"
    logo_url: str | None = None


class SendersConfig(_Section):
    sms_from: Phone | None = None
    messaging_service_sid: Annotated[str, StringConstraints(pattern=r"^MG[0-9a-fA-F]{32}$")] | None = None
    email_from: str | None = None


class ShipperConfig(_Section):
    id: Slug
    name: str
    brand: BrandConfig = BrandConfig()
    senders: SendersConfig = SendersConfig()
    time_sensitive: bool = False
    languages: list[Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")]] = ["en"]
    notify: NotifyPolicy = NotifyPolicy()


class QuietHours(_Section):
    start: time = time(8, 0)
    end: time = time(21, 0)


class PoliciesConfig(_Section):
    quiet_hours: QuietHours = QuietHours()
    critical_severity: Annotated[str, StringConstraints(pattern=r"^(low|medium|high|critical)$")] = "high"
    chronic_failures: Annotated[int, Field(ge=2, le=20)] = 3


class PlatformConfig(_Section):
    """How one route platform's words become doorstep's: which depot a team/depot/hub is, which
    shipper a task/stop/order belongs to. Anything not listed falls back to the defaults."""

    default_depot: Slug
    default_shipper: Slug
    # The platform's own team/depot/hub id (or name) -> doorstep depot id.
    depots: dict[str, Slug] = {}
    # Where the shipper is written on a task/stop/order (Onfleet task metadata name, Circuit
    # custom property or order id prefix, OptimoRoute custom field) and what each value means.
    shipper_field: str = "shipper"
    shippers: dict[str, Slug] = {}
    # Where a platform without depots on its orders (OptimoRoute) writes the depot (a custom
    # field); its value is looked up in `depots`.
    depot_field: str | None = None
    # The platform's recipient messages are switched off where doorstep sends its own.
    silence_platform_messages: bool = True


class PlatformsConfig(_Section):
    onfleet: PlatformConfig | None = None
    circuit: PlatformConfig | None = None
    optimoroute: PlatformConfig | None = None

    def configured(self) -> dict[str, PlatformConfig]:
        return {name: cfg for name in ("onfleet", "circuit", "optimoroute")
                if (cfg := getattr(self, name)) is not None}


class OperatorSection(_Section):
    name: str
    support_phone: Phone | None = None
    support_email: str | None = None
    operations: ContactConfig | None = None


class OperatorConfig(_Section):
    operator: OperatorSection
    markets: Annotated[list[MarketConfig], Field(min_length=1)]
    depots: Annotated[list[DepotConfig], Field(min_length=1)]
    shippers: Annotated[list[ShipperConfig], Field(min_length=1)]
    policies: PoliciesConfig = PoliciesConfig()
    platforms: PlatformsConfig = PlatformsConfig()

    @model_validator(mode="after")
    def _references(self) -> OperatorConfig:
        for kind, ids in (("markets", [m.id for m in self.markets]),
                          ("depots", [d.id for d in self.depots]),
                          ("shippers", [s.id for s in self.shippers])):
            for i, item_id in enumerate(ids):
                if item_id in ids[:i]:
                    raise ValueError(f"{kind}[{i}].id: {item_id!r} is used twice")
        market_ids = {m.id for m in self.markets}
        for i, depot in enumerate(self.depots):
            if depot.market not in market_ids:
                raise ValueError(f"depots[{i}].market: expected one of {sorted(market_ids)}, got {depot.market!r}")
        depot_ids = sorted(d.id for d in self.depots)
        shipper_ids = sorted(s.id for s in self.shippers)
        for name, platform in self.platforms.configured().items():
            where = f"platforms.{name}"
            for key, depot_id in [("default_depot", platform.default_depot),
                                  *((f"depots.{k}", v) for k, v in platform.depots.items())]:
                if depot_id not in depot_ids:
                    raise ValueError(f"{where}.{key}: expected one of {depot_ids}, got {depot_id!r}")
            for key, shipper_id in [("default_shipper", platform.default_shipper),
                                    *((f"shippers.{k}", v) for k, v in platform.shippers.items())]:
                if shipper_id not in shipper_ids:
                    raise ValueError(f"{where}.{key}: expected one of {shipper_ids}, got {shipper_id!r}")
        return self

    def market(self, market_id: str) -> MarketConfig:
        return next(m for m in self.markets if m.id == market_id)

    def depot(self, depot_id: str) -> DepotConfig:
        return next(d for d in self.depots if d.id == depot_id)

    def to_domain(self) -> tuple[list[Market], list[Depot], list[Shipper]]:
        markets = [Market(id=m.id, name=m.name, timezone=m.timezone,
                          supervisor_name=m.supervisor.name if m.supervisor else None,
                          supervisor_phone=m.supervisor.phone if m.supervisor else None,
                          supervisor_email=m.supervisor.email if m.supervisor else None)
                   for m in self.markets]
        depots = [Depot(id=d.id, market_id=d.market, name=d.name, address=d.address, lat=d.lat,
                        lon=d.lon) for d in self.depots]
        shippers = [Shipper(id=s.id, name=s.name, brand_primary=s.brand.primary,
                            brand_secondary=s.brand.secondary, logo_url=s.brand.logo_url,
                            sms_from=s.senders.sms_from,
                            messaging_service_sid=s.senders.messaging_service_sid,
                            email_from=s.senders.email_from, time_sensitive=s.time_sensitive,
                            languages=list(s.languages)) for s in self.shippers]
        return markets, depots, shippers


def describe_validation_error(path: Path, err: ValidationError) -> str:
    lines = [f"{path}: the configuration does not hold up:"]
    for e in err.errors(include_url=False):
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e["loc"]).lstrip(".") or "(top level)"
        got = e.get("input")
        msg = e["msg"].removeprefix("Value error, ")
        shown = "" if isinstance(got, dict | list) or repr(got) in msg else f" (got {got!r})"
        lines.append(f"  {where}: {msg}{shown}")
    return "\n".join(lines)


def load_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file (set DOORSTEP_CONFIG_FILE to the operator's file)") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML: {err}") from None


def load_operator(path: Path) -> OperatorConfig:
    raw = load_toml(path)
    try:
        return OperatorConfig.model_validate(raw)
    except ValidationError as err:
        raise ConfigError(describe_validation_error(path, err)) from None


class Settings(BaseSettings):
    """Everything a process reads from its environment (DOORSTEP_*), typed, in one place."""

    model_config = SettingsConfigDict(env_prefix="DOORSTEP_", extra="ignore")

    database_url: str = "sqlite:///var/doorstep.db"
    redis_url: str | None = None
    config_file: Path = Path("doorstep.toml")
    data_dir: Path = Path("var")
    generic_webhook_secret: SecretStr | None = None
    replay_window_seconds: Annotated[int, Field(ge=10, le=86_400)] = 300
    max_body_bytes: Annotated[int, Field(ge=1024, le=50 * 1024 * 1024)] = 1024 * 1024
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8000
    workers: Annotated[int, Field(ge=1, le=64)] = 2
    sweep_interval_seconds: Annotated[int, Field(ge=1, le=3600)] = 60
    log_level: str = "INFO"
    log_format: Annotated[str, StringConstraints(pattern=r"^(json|console)$")] = "console"
    # Behind a TLS-terminating proxy that does not pass the scheme on, say so here.
    secure_cookies: bool = False
    # The address the outside world reaches this service at (provider callbacks, signatures).
    public_url: str | None = None
    # Where messages go: "development" keeps them in the dashboard; "live" sends them.
    messaging: Annotated[str, StringConstraints(pattern=r"^(development|live)$")] = "development"
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_base_url: str | None = None  # a fake or a regional endpoint; default Twilio's own
    twilio_timeout_seconds: Annotated[float, Field(gt=0, le=120)] = 10.0
    smtp_host: str | None = None  # live email; without it, email stays in doorstep
    smtp_port: Annotated[int, Field(ge=1, le=65535)] = 587
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    # Internal alerts (dispatch supervisor, operations): Apprise URLs, comma-separated
    # ("mailto://…", "slack://…", "msteams://…"); without them, alerts stay in doorstep.
    alert_urls: str | None = None
    # A message left `sending` this long lost its worker and is reconciled with the provider.
    # Keep it well above the provider timeout: a slow send must not be taken for a lost one.
    outbox_stale_seconds: Annotated[float, Field(ge=1, le=86_400)] = 300.0
    # Send budgets per sender, whatever the number of workers (contracts/twilio.md §8): SMS in
    # segments/s per number (a US long code does 1) or per messaging service (a pool of numbers),
    # email in messages/s per from-address. A burst of `send_burst_seconds` of the rate (at least
    # one unit) may go at once after a quiet spell.
    sms_rate_per_sender: Annotated[float, Field(gt=0, le=1_000_000)] = 1.0
    sms_rate_per_service: Annotated[float, Field(gt=0, le=1_000_000)] = 10.0
    email_rate_per_sender: Annotated[float, Field(gt=0, le=1_000_000)] = 10.0
    send_burst_seconds: Annotated[float, Field(ge=0, le=3600)] = 1.0
    # Route platforms (contracts/onfleet.md, circuit.md, optimoroute.md). A platform is used when
    # its API key is set; the base URLs are for regional endpoints and tests.
    onfleet_api_key: SecretStr | None = None
    onfleet_webhook_secret: SecretStr | None = None  # hex, as Onfleet's dashboard shows it
    onfleet_base_url: str = "https://onfleet.com/api/v2"
    circuit_api_key: SecretStr | None = None
    circuit_webhook_secret: SecretStr | None = None
    circuit_base_url: str = "https://api.spoke.com/public/v1"
    optimoroute_api_key: SecretStr | None = None
    optimoroute_base_url: str = "https://api.optimoroute.com/v1"
    optimoroute_poll_seconds: Annotated[float, Field(ge=1, le=3600)] = 30.0
    # Today's and tomorrow's routes, stops, drivers and depots are pulled in this often.
    platform_sync_minutes: Annotated[int, Field(ge=1, le=1440)] = 15
    platform_timeout_seconds: Annotated[float, Field(gt=0, le=120)] = 15.0

    @cached_property
    def operator(self) -> OperatorConfig:
        return load_operator(self.config_file)

    @property
    def huey_path(self) -> Path:
        return self.data_dir / "huey.db"


def load_settings(**overrides: Any) -> Settings:
    try:
        return Settings(**overrides)
    except ValidationError as err:
        raise ConfigError(describe_validation_error(Path("environment (DOORSTEP_*)"), err)) from None
