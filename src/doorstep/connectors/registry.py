"""The connectors this process is configured for: a platform is on when its API key is set."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from doorstep.config import ConfigError, PlatformConfig, Settings

if TYPE_CHECKING:
    from doorstep.connectors.base import Connector
    from doorstep.runtime import Runtime

PLATFORMS = ("onfleet", "circuit", "optimoroute")
# module:class of each platform's connector
IMPLEMENTATIONS = {
    "onfleet": "doorstep.connectors.onfleet.connector:OnfleetConnector",
    "circuit": "doorstep.connectors.circuit.connector:CircuitConnector",
    "optimoroute": "doorstep.connectors.optimoroute.connector:OptimoRouteConnector",
}


def keyed(settings: Settings) -> list[str]:
    """The platforms whose API key is set."""
    return [p for p in PLATFORMS if getattr(settings, f"{p}_api_key") is not None]


def mapping(rt: Runtime, platform: str) -> PlatformConfig:
    """The operator's mapping for a platform; a key without one is a configuration error."""
    found = rt.operator.platforms.configured().get(platform)
    if found is None:
        raise ConfigError(
            f"{rt.settings.config_file}: DOORSTEP_{platform.upper()}_API_KEY is set but there is "
            f"no [platforms.{platform}] section (default_depot and default_shipper at least)")
    return found


def build(rt: Runtime, platform: str) -> Connector:
    module, _, cls = IMPLEMENTATIONS[platform].partition(":")
    connector: Connector = getattr(importlib.import_module(module), cls)(rt, mapping(rt, platform))
    return connector


def configured(rt: Runtime) -> dict[str, Connector]:
    return {p: build(rt, p) for p in keyed(rt.settings)}
