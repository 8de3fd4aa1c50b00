"""The fake Onfleet's organization: workers, teams, hubs, recipients, destinations, webhooks,
the rate limit, injected faults and the webhook payloads waiting to be posted
(contracts/onfleet.md §1-§4, §6-§7). Tasks are in `onfleet_tasks.py`.

No HTTP here. Objects are kept in their JSON shape and handed out as copies; every method takes
the one lock, shared by the server thread, the test thread and the background driver.
"""

from __future__ import annotations

import copy
import random
import threading
from collections.abc import Callable
from typing import Any

from doorstep.clock import Clock
from doorstep.sim.fakes.onfleet_records import (
    MAX_THRESHOLD_WEBHOOKS,
    RATE_LIMIT,
    THRESHOLD_TRIGGERS,
    TRIGGER_IDS,
    TRIGGERS,
    Event,
    Fault,
    OnfleetError,
    Outgoing,
    TokenBucket,
    new_id,
)

Obj = dict[str, Any]


class OnfleetState:
    def __init__(self, clock: Clock, rng: random.Random, *, name: str, country: str,
                 timezone: str, rate_limit: int | None = RATE_LIMIT) -> None:
        self.clock = clock
        self.rng = rng
        self.lock = threading.RLock()
        self.country = country
        now = self.now_ms()
        self.org: Obj = {"id": new_id(rng), "timeCreated": now, "timeLastModified": now,
                         "name": name, "email": "dispatch@example.com", "image": None,
                         "timezone": timezone, "country": country, "delegatees": [],
                         "driverSupportEmail": None}
        self.admin_id = new_id(rng)
        # §4.2: the secret is shown as hex on the dashboard and is the org's, not a webhook's
        self.webhook_secret = rng.randbytes(32).hex()
        self.workers: dict[str, Obj] = {}
        self.teams: dict[str, Obj] = {}
        self.hubs: dict[str, Obj] = {}
        self.recipients: dict[str, Obj] = {}
        self.destinations: dict[str, Obj] = {}
        self.webhooks: dict[str, Obj] = {}
        self.containers: dict[str, list[str]] = {self.org["id"]: []}  # owner id -> task ids
        self.outbox: list[Outgoing] = []
        self.faults: list[Fault] = []
        self.bucket = TokenBucket(rate_limit, now / 1000) if rate_limit else None
        self._fired: set[tuple[str, str]] = set()  # (webhook, task): threshold triggers fire once
        self.task_view: Callable[[str], Obj] = lambda task_id: {"id": task_id}

    # ---- time, ids, limits, faults ------------------------------------------------------------

    def now_ms(self) -> int:
        return int(self.clock.now().timestamp() * 1000)  # §3: epoch milliseconds

    def new_id(self) -> str:
        with self.lock:
            return new_id(self.rng)

    def check_string(self) -> str:
        """§4.1: the `check` value differs each time."""
        with self.lock:
            return self.rng.randbytes(12).hex()

    def take_token(self) -> tuple[bool, int | None]:
        with self.lock:
            if self.bucket is None:
                return True, None
            ok = self.bucket.take(self.now_ms() / 1000)
            return ok, self.bucket.remaining

    def exhaust_rate_limit(self) -> None:
        with self.lock:
            if self.bucket is not None:
                self.bucket.take(self.now_ms() / 1000)
                self.bucket.tokens = 0.0

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.matches(method, path):
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    return fault
            return None

    # ---- lookups ----------------------------------------------------------------------------

    def _get(self, table: dict[str, Obj], key: str, what: str) -> Obj:
        found = table.get(key)
        if found is None:
            raise OnfleetError(1003, f"{what} {key} was not found")
        return found

    def worker(self, worker_id: str) -> Obj:
        with self.lock:
            return self._get(self.workers, worker_id, "worker")

    def team(self, team_id: str) -> Obj:
        with self.lock:
            return self._get(self.teams, team_id, "team")

    def recipient(self, recipient_id: str) -> Obj:
        with self.lock:
            return self._get(self.recipients, recipient_id, "recipient")

    def destination(self, destination_id: str) -> Obj:
        with self.lock:
            return self._get(self.destinations, destination_id, "destination")

    def view_worker(self, worker_id: str, fields: str | None = None) -> Obj:
        with self.lock:
            worker = copy.deepcopy(self.worker(worker_id))
            worker["tasks"] = list(self.containers.get(worker_id, []))
        if fields:  # §6.2 `filter`: only the listed fields
            keep = set(fields.split(","))
            worker = {k: v for k, v in worker.items() if k in keep}
        return worker

    def view_team(self, team_id: str) -> Obj:
        with self.lock:
            team = copy.deepcopy(self.team(team_id))
            team["tasks"] = list(self.containers.get(team_id, []))
            return team

    # ---- events and webhooks (§4) -------------------------------------------------------------

    def payload(self, event: Event) -> Obj:
        data: Obj = {}
        if event.task_id is not None:
            data["task"] = self.task_view(event.task_id)
        if event.worker_id is not None and event.worker_id in self.workers and (
                event.task_id is None or event.trigger == "taskAssigned"):
            data["worker"] = self.view_worker(event.worker_id)
        actor_type, actor_id = event.actor or ("ADMIN", self.admin_id)
        body: Obj = {
            "actionContext": {"type": actor_type, "id": actor_id},
            "adminId": actor_id if actor_type == "ADMIN" else None,
            "data": data, "taskId": event.task_id, "time": self.now_ms(),
            "triggerId": TRIGGER_IDS[event.trigger], "triggerName": event.trigger,
            "workerId": event.worker_id,
        }
        body.update(event.extras)
        return body

    def emit(self, event: Event, threshold_value: float | None = None) -> int:
        """Queue the event for every enabled webhook of its trigger; threshold triggers (§4.3:
        taskEta, taskArrival, taskDelayed) only where the value is within the threshold, once
        per task and webhook. Returns how many deliveries were queued."""
        with self.lock:
            trigger_id = TRIGGER_IDS[event.trigger]
            hooks = [h for h in self.webhooks.values()
                     if h["isEnabled"] and TRIGGERS.get(h["trigger"]) == event.trigger]
            if trigger_id in THRESHOLD_TRIGGERS and threshold_value is not None:
                hooks = [h for h in hooks if (h["id"], event.task_id or "") not in self._fired
                         and (h.get("threshold") is None or (
                             threshold_value <= h["threshold"] if trigger_id != 12
                             else threshold_value >= h["threshold"]))]
            if not hooks:
                return 0
            payload = self.payload(event)
            now = self.now_ms()
            for hook in hooks:
                if trigger_id in THRESHOLD_TRIGGERS:
                    self._fired.add((hook["id"], event.task_id or ""))
                self.outbox.append(Outgoing(hook["id"], hook["url"], payload, now, now))
            return len(hooks)

    def validate_webhook(self, body: Obj) -> tuple[str, str, int, float | None]:
        url, name = body.get("url"), body.get("name")
        trigger, threshold = body.get("trigger"), body.get("threshold")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise OnfleetError(1000, "url is required")
        if not isinstance(name, str) or not name:
            raise OnfleetError(1000, "name is required")
        if isinstance(trigger, bool) or not isinstance(trigger, int) or trigger not in TRIGGERS:
            raise OnfleetError(1000, f"trigger {trigger!r} is not a valid trigger id")
        if threshold is not None and (isinstance(threshold, bool)
                                      or not isinstance(threshold, int | float)):
            raise OnfleetError(1005, "threshold must be a number")
        with self.lock:
            if trigger in THRESHOLD_TRIGGERS and sum(
                    h["trigger"] == trigger for h in self.webhooks.values()
            ) >= MAX_THRESHOLD_WEBHOOKS:
                raise OnfleetError(1000, f"at most {MAX_THRESHOLD_WEBHOOKS} webhooks for "
                                         f"trigger {trigger}")
        return url, name, trigger, threshold

    def add_webhook(self, url: str, name: str, trigger: int, threshold: float | None) -> Obj:
        with self.lock:
            hook: Obj = {"id": self.new_id(), "name": name, "count": 0, "url": url,
                         "trigger": trigger, "isEnabled": True, "failures": 0}
            if threshold is not None:
                hook["threshold"] = threshold
            self.webhooks[hook["id"]] = hook
            return self.view_webhook(hook["id"])

    def view_webhook(self, webhook_id: str) -> Obj:
        with self.lock:
            hook = self._get(self.webhooks, webhook_id, "webhook")
            return {k: v for k, v in hook.items() if k != "failures"}

    def delete_webhook(self, webhook_id: str) -> None:
        with self.lock:
            self._get(self.webhooks, webhook_id, "webhook")
            del self.webhooks[webhook_id]
            self.outbox = [o for o in self.outbox if o.webhook_id != webhook_id]
