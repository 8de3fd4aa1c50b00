"""The Circuit for Teams / Spoke Dispatch connector (contracts/circuit.md)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

import httpx

from doorstep.config import PlatformConfig
from doorstep.connectors.base import Check, SyncReport, Write
from doorstep.connectors.circuit import keeping
from doorstep.connectors.circuit.client import RATES, is_v02b, make_client
from doorstep.connectors.circuit.keeping import Batch
from doorstep.connectors.circuit.places import Places
from doorstep.connectors.circuit.stops import (
    attempted,
    is_delivery,
    normalize,
    route_signature,
)
from doorstep.connectors.circuit.sync import Puller
from doorstep.connectors.circuit.translate import (
    SOURCE,
    delivery_id,
    details,
    envelope,
    facts,
    lacks_recipient,
)
from doorstep.connectors.circuit.writeback import SILENCE_NOTE, Writer
from doorstep.connectors.http import PlatformError, PlatformUnavailable
from doorstep.connectors.received import Unmappable, store_or_flag

if TYPE_CHECKING:
    from doorstep.runtime import Runtime

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/circuit"
# Events Spoke documents that say nothing about a delivery (§10): answered 200, not stored.
HARMLESS = frozenset({"test.send_event", "unassigned_stop.tracking_link_added"})
HEARD_EVERY = 60.0  # seconds between two records of "a webhook came" by one process


class CircuitConnector:
    name = SOURCE

    def __init__(self, rt: Runtime, mapping: PlatformConfig, *,
                 sleep: Callable[[float], None] = time.sleep,
                 transport: httpx.BaseTransport | None = None,
                 rates: Mapping[str, float] = RATES) -> None:
        """`rates`: requests per second per §5 class (tests pace a local fake faster)."""
        self.rt = rt
        self.mapping = mapping
        self.where = Places(mapping, rt.operator)
        self.client = make_client(rt.settings, sleep=sleep, now=rt.clock.now,
                                  transport=transport, rates=rates)
        self.puller = Puller(rt, self.client, self.where, is_v02b(rt.settings))
        self.writer = Writer(rt, self.client)
        self._heard_at = float("-inf")

    # ---- the Connector protocol -------------------------------------------------------------

    def check(self, public_url: str | None) -> Check:
        result = Check(platform=SOURCE, key_works=False)
        try:
            self.client.json("GET", "/depots", params={"maxPageSize": 1})
            result.key_works = True
        except PlatformError as err:
            result.detail = ("the API key was refused" if err.status == 401 else str(err))
        except PlatformUnavailable as err:
            result.detail = f"unreachable: {err}"
        hook = (public_url.rstrip("/") if public_url else "<public URL>") + WEBHOOK_PATH
        if self.rt.settings.circuit_webhook_secret is None:
            result.missing.append("DOORSTEP_CIRCUIT_WEBHOOK_SECRET (the webhook secret on "
                                  "Spoke's API settings page): every webhook is refused")
        heard = keeping.last_webhook(self.rt)
        if heard:
            result.webhooks.append(f"{hook} (last webhook from Spoke at {heard})")
        else:
            result.missing.append(
                f"webhook {hook}: Spoke has no API to register it; add it in Spoke's "
                "dashboard (Settings > Integrations > API, version v1), press Test, check again")
        if self.mapping.silence_platform_messages:
            result.warnings.append(SILENCE_NOTE + ", or recipients hear from both")
            if result.key_works and not is_v02b(self.rt.settings):
                result.warnings.extend(self._notified())
        return result

    def _notified(self) -> list[str]:
        """Whether Spoke told recipients of the latest routes itself (§7.5, §11)."""
        try:
            routes = self.client.json("GET", "/routes", params={"maxPageSize": 20}) or {}
        except (PlatformError, PlatformUnavailable):
            return []
        told = [r["id"] for r in routes.get("routes") or []
                if ((r.get("state") or {}).get("notifiedRecipients"))]
        return [f"Spoke messaged the recipients of {len(told)} of the latest routes itself "
                f"({', '.join(told[:3])})"] if told else []

    def register_webhooks(self, public_url: str) -> list[str]:
        """Spoke's webhook is set in its dashboard only (§10): nothing to add by API."""
        log.warning("circuit: Spoke has no webhook API; in Spoke's dashboard (Settings > "
                    "Integrations > API) set the webhook URL %s%s, version v1, and press Test",
                    public_url.rstrip("/"), WEBHOOK_PATH)
        return []

    def sync(self, days: list[date]) -> SyncReport:
        return self.puller.days(days)

    def sync_one(self, kind: str, platform_id: str) -> SyncReport:
        return self.puller.one(kind, platform_id)

    def poll(self) -> SyncReport:
        return SyncReport(SOURCE)  # Spoke pushes

    def write(self, write: Write) -> dict[str, Any]:
        return self.writer.write(write)

    def close(self) -> None:
        self.client.close()

    # ---- webhooks ------------------------------------------------------------------------------

    def receive(self, payload: Any, body: bytes) -> str:
        """One verified webhook: "stored", "duplicate", "flagged" or "ignored". Never calls
        Spoke: what the payload cannot tell is fetched by a job (sync_platform_object)."""
        self._heard()
        try:
            kind, at, data = envelope(payload)
        except Unmappable as err:
            return store_or_flag(self.rt, SOURCE, "webhook", payload, body, None, str(err))
        if kind in HARMLESS or not kind.startswith("stop."):
            return "ignored"
        try:
            stop = normalize(data)
            batch = Batch(translated=facts(stop, at))
            plan = keeping.plan_facts(self.rt, stop.get("plan") or "")
            complete = plan is not None and not lacks_recipient(stop)
            made = details(stop, plan, self.where, at) if plan and complete else None
        except Unmappable as err:
            return store_or_flag(self.rt, SOURCE, kind, payload, body, None, str(err))
        if made is not None:
            batch.translated.insert(0, made)
        if is_delivery(stop) and stop["id"].startswith("plans/"):
            batch.stops[stop["id"]] = (delivery_id(stop), attempted(stop))
        counts = keeping.keep(self.rt, batch, kind, payload, body)
        route = stop.get("route") or {}
        if not complete and is_delivery(stop):
            self._fetch("stop", stop["id"])  # and its route, if that is new
        elif route.get("id") and keeping.route_seen(self.rt, route["id"]) != route_signature(
                route):
            self._fetch("route", route["id"])  # its whole list of stops, and its driver
        if counts["flagged"]:
            return "flagged"
        return "stored" if counts["stored"] else "duplicate"

    def _fetch(self, kind: str, platform_id: str) -> None:
        try:
            self.rt.tasks.sync_platform_object(SOURCE, kind, platform_id)
        except Exception:  # stored already; the scheduled sync brings the rest
            log.exception("circuit: could not queue the fetch of %s %s", kind, platform_id)

    def _heard(self) -> None:
        now = time.monotonic()
        if now - self._heard_at >= HEARD_EVERY:
            self._heard_at = now
            keeping.put_last_webhook(self.rt, self.rt.clock.now().isoformat(timespec="seconds"))
