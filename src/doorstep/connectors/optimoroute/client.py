"""OptimoRoute over HTTP (contracts/optimoroute.md §1-§2): the key in the query string, GET for
reads and POST for the rest, at most 4 requests in flight (the account allows 5, all of our
traffic counts), and the answer's `success:false` turned into a `PlatformError` with its code.

`ERR_TOO_MANY_CONNECTIONS` comes as HTTP 200 with `success:false`: the client treats it as
"busy" and backs off, like a 429, instead of refusing; `ERR_INTERNAL` (a server error) is
tried again the same way. Every other code is a refusal."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any

import httpx

from doorstep.connectors.http import Limits, PlatformClient, PlatformError

PLATFORM = "optimoroute"
BUSY = frozenset({"ERR_TOO_MANY_CONNECTIONS", "ERR_INTERNAL"})
MAX_ITEMS = 500  # §1: bulk calls and get_events pages
CONCURRENCY = 4  # §1: 5 per account and IP; one is left for the dashboard and other tools


def _code(response: httpx.Response) -> str | None:
    if b'"success"' not in response.content[:4096]:
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    if isinstance(body, dict) and body.get("success") is False:
        code = body.get("code")
        return str(code) if code is not None else None
    return None


def busy(response: httpx.Response) -> bool:
    return response.status_code == 200 and _code(response) in BUSY


def chunks(items: Sequence[Any], size: int = MAX_ITEMS) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield list(items[start:start + size])


class OptimoClient:
    """One OptimoRoute account. Every method answers the JSON body of a `success:true`."""

    def __init__(self, base_url: str, api_key: str, *, timeout: float = 15.0,
                 sleep: Callable[[float], None] = time.sleep,
                 now: Callable[[], datetime] | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        extra: dict[str, Any] = {"now": now} if now is not None else {}
        # §1 ❓ clients back off 1-2 s on ERR_TOO_MANY_CONNECTIONS: a 1 s base doubling.
        self.http = PlatformClient(
            PLATFORM, base_url,
            Limits(per_second={}, concurrency=CONCURRENCY, busy=busy),
            params={"key": api_key}, timeout=timeout, backoff=1.0, sleep=sleep,
            transport=transport, **extra)

    @property
    def requests_made(self) -> int:
        return self.http.requests_made

    def close(self) -> None:
        self.http.close()

    def get(self, method: str, **params: Any) -> dict[str, Any]:
        query = {k: _query_value(v) for k, v in params.items() if v is not None}
        return self._checked(self.http.json("GET", f"/{method}", params=query))

    def post(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._checked(self.http.json("POST", f"/{method}", json=body))

    def _checked(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or "success" not in body:
            raise PlatformError(PLATFORM, 200, "the answer is not OptimoRoute's envelope: "
                                + json.dumps(body)[:200])
        if body["success"] is not True:
            code = str(body.get("code") or "ERR_UNKNOWN")
            raise PlatformError(PLATFORM, 200, str(body.get("message") or code), code)
        return body

    # ---- the bulk reads, in pages of 500 ------------------------------------------------------

    def get_orders(self, order_nos: Sequence[str]) -> dict[str, dict[str, Any]]:
        """orderNo -> {"id", "data"} for the orders that exist (a missing one is left out)."""
        found: dict[str, dict[str, Any]] = {}
        for part in chunks(list(dict.fromkeys(order_nos))):
            answer = self.post("get_orders", {"orders": [{"orderNo": n} for n in part]})
            for asked, item in zip(part, answer.get("orders") or [], strict=False):
                if isinstance(item, dict) and item.get("success") is True:
                    data = item.get("data")
                    number = data.get("orderNo") if isinstance(data, dict) else None
                    found[str(number or asked)] = item
                elif not (isinstance(item, dict) and item.get("code") == "ERR_ORD_NOT_FOUND"):
                    raise PlatformError(PLATFORM, 200, f"get_orders {asked}: {item}",
                                        item.get("code") if isinstance(item, dict) else None)
        return found

    def completion(self, order_nos: Sequence[str]) -> dict[str, dict[str, Any]]:
        """orderNo -> the §9.1 answer ({orderNo, id, data: {status, times, form}}) for the
        orders that exist."""
        found: dict[str, dict[str, Any]] = {}
        for part in chunks(list(dict.fromkeys(order_nos))):
            answer = self.post("get_completion_details",
                               {"orders": [{"orderNo": n} for n in part]})
            for asked, item in zip(part, answer.get("orders") or [], strict=False):
                if (isinstance(item, dict) and item.get("success") is True
                        and isinstance(item.get("data"), dict)):
                    found[str(item.get("orderNo") or asked)] = item
        return found

    def search_orders(self, first: str, last: str) -> Iterator[dict[str, Any]]:
        """§5.4: every order of the date range with its data and schedule, page by page."""
        tag: str | None = None
        while True:
            body: dict[str, Any] = {"dateRange": {"from": first, "to": last},
                                    "includeOrderData": True,
                                    "includeScheduleInformation": True}
            if tag:
                body["after_tag"] = tag
            answer = self.post("search_orders", body)
            yield from (o for o in answer.get("orders") or [] if isinstance(o, dict))
            tag = answer.get("after_tag")
            if not tag:
                return


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
