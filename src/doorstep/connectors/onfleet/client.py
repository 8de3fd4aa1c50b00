"""Onfleet's API v2 within its limits (contracts/onfleet.md §1): Basic auth with the key as the
username, one bucket of 18 requests a second for the whole organization (the documented 20,
less a margin: every key of the organization draws on the same 20), and backing off on 429,
412 (a busy container) and 5xx (502 is its 70-second timeout)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httpx

from doorstep.config import Settings
from doorstep.connectors.http import Limits, PlatformClient, PlatformError

RATE = 18.0
LIMITS = Limits(per_second={"all": RATE}, concurrency=4,
                retry_statuses=frozenset({412, 429, 500, 502, 503, 504}))


def make_client(settings: Settings, *, sleep: Callable[[float], None] = time.sleep,
                retries: int = 6) -> PlatformClient:
    key = settings.onfleet_api_key
    if key is None:
        raise ValueError("DOORSTEP_ONFLEET_API_KEY is not set")
    return PlatformClient("onfleet", settings.onfleet_base_url, LIMITS,
                          auth=httpx.BasicAuth(key.get_secret_value(), ""),
                          timeout=settings.platform_timeout_seconds, sleep=sleep,
                          retries=retries)


def pages(client: PlatformClient, path: str, params: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Every task of a paged list (§5.3): pages of up to 64, `lastId` absent on the last one."""
    query = dict(params)
    while True:
        page = client.json("GET", path, params=query)
        if not isinstance(page, dict) or not isinstance(page.get("tasks"), list):
            raise PlatformError("onfleet", 200, f"GET {path}: not a page of tasks")
        yield from (t for t in page["tasks"] if isinstance(t, dict))
        last = page.get("lastId")
        if not last or not page["tasks"]:
            return
        query["lastId"] = last
