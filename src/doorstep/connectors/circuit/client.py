"""Talking to Spoke Dispatch (Circuit for Teams) within its documented limits
(contracts/circuit.md §2, §5, §6): Basic auth with the API key as user name, one rate per
endpoint class, lists paged with `nextPageToken`."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any

import httpx

from doorstep.clock import SystemClock
from doorstep.config import Settings
from doorstep.connectors.http import Limits, PlatformClient

PLATFORM = "circuit"

# §5, in requests per second; the per-minute classes are spread evenly over their minute.
RATES = {"read": 10.0, "write": 5.0, "create_driver": 1.0, "import_stops": 10 / 60,
         "import_drivers": 2 / 60, "optimize": 3 / 60}
# §6: the largest page each list gives.
PAGE_SIZES = {"plans": 20, "stops": 10, "drivers": 50, "depots": 20, "routes": 20,
              "unassignedStops": 20, "customStopProperties": 20}


def classify(method: str, path: str) -> str:
    """The §5 class a request counts against."""
    if method == "GET":
        return "read"
    if path.endswith(("stops:import", "stops:liveImport", "unassignedStops:import")):
        return "import_stops"
    if path.endswith("drivers:import"):
        return "import_drivers"
    if path.rstrip("/").endswith("/drivers"):
        return "create_driver"
    if path.endswith((":optimize", ":reoptimize")):
        return "optimize"
    return "write"


def make_client(settings: Settings, *, sleep: Callable[[float], None] = time.sleep,
                now: Callable[[], datetime] = SystemClock().now,
                transport: httpx.BaseTransport | None = None,
                rates: Mapping[str, float] = RATES) -> PlatformClient:
    assert settings.circuit_api_key is not None, "Circuit is on only when its key is set"
    key = settings.circuit_api_key.get_secret_value()
    return PlatformClient(PLATFORM, settings.circuit_base_url,
                          Limits(per_second=rates, concurrency=4, classify=classify),
                          auth=httpx.BasicAuth(key, ""),  # §2: Basic base64("<key>:")
                          timeout=settings.platform_timeout_seconds, sleep=sleep, now=now,
                          transport=transport)


def is_v02b(settings: Settings) -> bool:
    """An operator still on the previous API (§13): no route lists, no route stops."""
    return "v0.2b" in settings.circuit_base_url


def bare(full_id: str) -> str:
    """`plans/P1/stops/S1` → `S1`: path parameters take the last part (§3)."""
    return full_id.rsplit("/", 1)[-1]


def path_of(full_id: str) -> str:
    """A serialized id is also its URL path (§3)."""
    return "/" + full_id.strip("/")


def pages(client: PlatformClient, path: str, name: str,
          params: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
    """Every item of a list, page after page: the same query plus `pageToken` (§6)."""
    query: dict[str, Any] = {**(params or {}), "maxPageSize": PAGE_SIZES[name]}
    token: str | None = None
    while True:
        answer = client.json("GET", path, params={**query, **({"pageToken": token}
                                                              if token else {})})
        yield from answer.get(name) or []
        token = answer.get("nextPageToken")
        if not token:
            return
