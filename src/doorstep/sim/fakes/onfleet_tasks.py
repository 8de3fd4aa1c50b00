"""The fake Onfleet's tasks (contracts/onfleet.md §5): create, read, list with paging, update,
delete, and assignment through containers. Each change queues the §4.3 triggers it fires; the
task's run (start, complete, fail) is in `onfleet_run.py`."""

from __future__ import annotations

import copy
from typing import Any

from doorstep.sim.fakes.onfleet_directory import Directory
from doorstep.sim.fakes.onfleet_records import (
    MAX_NOTES,
    PAGE_SIZE,
    Event,
    OnfleetError,
    metadata,
    new_short_id,
    typed,
)
from doorstep.sim.fakes.onfleet_state import Obj

UNASSIGNED, ASSIGNED, ACTIVE, COMPLETED = 0, 1, 2, 3
ACTIVE_FIELDS = frozenset({"notes", "metadata"})  # §5.3: what an active task may still change
PASS_THROUGH = ("requirements", "barcodes", "appearance", "customFields")


class TaskBook(Directory):

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tasks: dict[str, Obj] = {}
        self.order: list[str] = []  # every task id ever created, in creation order (§5.3)
        self.task_view = self.view_task

    def task(self, task_id: str) -> Obj:
        with self.lock:
            return self._get(self.tasks, task_id, "task")

    def view_task(self, task_id: str) -> Obj:
        with self.lock:
            task = copy.deepcopy(self.task(task_id))
            task["recipients"] = [copy.deepcopy(self.recipients[r]) for r in task["recipients"]]
            task["destination"] = copy.deepcopy(self.destinations[task["destination"]])
            return task

    def by_short_id(self, short_id: str) -> Obj:
        with self.lock:
            found = next((t for t in self.tasks.values() if t["shortId"] == short_id), None)
            if found is None:
                raise OnfleetError(1003, f"task {short_id} was not found")
            return self.view_task(found["id"])

    # ---- containers (§5.5) ------------------------------------------------------------------

    def _container(self, value: Any) -> tuple[str, str]:
        if not isinstance(value, dict) or value.get("type") not in (
                "ORGANIZATION", "TEAM", "WORKER"):
            raise OnfleetError(1000, "container needs a type ORGANIZATION, TEAM or WORKER")
        kind = value["type"]
        owner = value.get(kind.lower())
        if kind == "ORGANIZATION" and owner != self.org["id"]:
            raise OnfleetError(1000, "container.organization must be your organization")
        if kind == "TEAM":
            self.team(str(owner))
        if kind == "WORKER":
            self.worker(str(owner))
        return kind, str(owner)

    def _move(self, task: Obj, kind: str, owner: str, actor: tuple[str, str] | None) -> None:
        """Append to a container; a move to or from a worker fires taskAssigned (§4.3: not when
        created assigned, which calls this with the task not yet stored) or taskUnassigned."""
        previous = task["worker"]
        old = task["container"]
        if old is not None:
            old_owner = old[old["type"].lower()]
            if task["id"] in self.containers.get(old_owner, []):
                self.containers[old_owner].remove(task["id"])
        self.containers[owner].append(task["id"])
        task["container"] = {"type": kind, kind.lower(): owner}
        task["worker"] = owner if kind == "WORKER" else None
        task["state"] = ASSIGNED if kind == "WORKER" else UNASSIGNED
        task["timeLastModified"] = self.now_ms()
        if task["id"] not in self.tasks:
            return
        if kind == "WORKER" and owner != previous:
            self.emit(Event("taskAssigned", task["id"], owner, actor=actor))
        elif previous is not None and kind != "WORKER":
            self.emit(Event("taskUnassigned", task["id"], previous, actor=actor))

    def _auto_assign(self, rule: Any, destination: Obj) -> str | None:
        """§5.2 autoAssign: an on-duty worker by `load` (fewest tasks) or `distance`."""
        if not isinstance(rule, dict) or rule.get("mode") not in ("distance", "load"):
            raise OnfleetError(1000, "autoAssign.mode must be distance or load")
        excluded = set(rule.get("excludedWorkerIds") or [])
        cap = rule.get("maxAssignedTaskCount")
        candidates = [w for w in self.workers.values() if w["onDuty"]
                      and w["id"] not in excluded
                      and (not rule.get("team") or rule["team"] in w["teams"])
                      and (cap is None or len(self.containers[w["id"]]) < cap)]
        if not candidates:
            return None
        lng, lat = destination["location"]

        def cost(w: Obj) -> tuple[float, str]:
            if rule["mode"] == "load" or w["location"] is None:
                return float(len(self.containers[w["id"]])), w["id"]
            return (w["location"][0] - lng) ** 2 + (w["location"][1] - lat) ** 2, w["id"]

        return str(min(candidates, key=cost)["id"])

    # ---- create, update, delete (§5.2, §5.3) ----------------------------------------------------

    def _window(self, after: Any, before: Any) -> None:
        if after is not None and before is not None and after >= before:
            raise OnfleetError(1009, "completeAfter must be before completeBefore")

    def _dependencies(self, body: Obj) -> list[str]:
        deps = body.get("dependencies", [])
        if not isinstance(deps, list):
            raise OnfleetError(1005, "dependencies must be an array of task ids")
        for dep in deps:
            self.task(dep)
        return list(deps)

    def create_task(self, body: Obj, actor: tuple[str, str] | None = None) -> Obj:
        with self.lock:
            # embedded destination and recipient are stored only once the whole task is valid
            given = body.get("destination")
            if isinstance(given, str):
                destination = self.destination(given)
            elif isinstance(given, dict):
                destination = self.place(given)
            else:
                raise OnfleetError(1000, "destination is required")
            recipients = body.get("recipients", [])
            if not isinstance(recipients, list) or len(recipients) > 1:
                raise OnfleetError(1000, "recipients takes zero or one recipient")
            drafts = [self.recipient(r) if isinstance(r, str) else self.recipient_draft(
                r if isinstance(r, dict) else {}) for r in recipients]
            after = typed(body, "completeAfter", int)
            before = typed(body, "completeBefore", int)
            self._window(after, before)
            notes = typed(body, "notes", str, "")
            if len(notes) > MAX_NOTES:
                raise OnfleetError(1000, f"notes are limited to {MAX_NOTES} characters")
            if "container" in body and "autoAssign" in body:
                raise OnfleetError(1001, "container and autoAssign cannot be used together")
            kind, owner = ("ORGANIZATION", self.org["id"])
            if "container" in body:
                kind, owner = self._container(body["container"])
            auto = None
            if "autoAssign" in body:
                auto = self._auto_assign(body["autoAssign"], destination)
                if auto is not None:
                    kind, owner = "WORKER", auto
            now, short = self.now_ms(), new_short_id(self.rng)
            task: Obj = {
                "id": self.new_id(), "shortId": short, "orderShortId": None,
                "trackingURL": f"https://onf.lt/{short}", "timeCreated": now,
                "timeLastModified": now, "organization": self.org["id"],
                "merchant": typed(body, "merchant", str, self.org["id"]),
                "executor": typed(body, "executor", str, self.org["id"]),
                "creator": self.admin_id, "worker": None, "state": UNASSIGNED,
                "container": None, "completeAfter": after, "completeBefore": before,
                "pickupTask": typed(body, "pickupTask", bool, False),
                "dependencies": self._dependencies(body), "notes": notes,
                "destination": destination["id"], "recipients": [r["id"] for r in drafts],
                "completionDetails": {"success": False, "time": None, "failureReason": "NONE",
                                      "failureNotes": "", "successNotes": "", "notes": "",
                                      "events": [], "photoUploadId": None,
                                      "photoUploadIds": None, "signatureUploadId": None,
                                      "signatureText": None, "firstLocation": [],
                                      "lastLocation": [], "distance": None, "actions": [],
                                      "unavailableAttachments": []},
                "feedback": [], "metadata": metadata(body.get("metadata", [])),
                "overrides": {k: body[k] for k in ("recipientName", "recipientNotes",
                                                   "recipientSkipSMSNotifications",
                                                   "useMerchantForProxy") if k in body},
                "quantity": typed(body, "quantity", (int, float), 0),
                "additionalQuantities": {"quantityA": 0, "quantityB": 0, "quantityC": 0},
                "serviceTime": typed(body, "serviceTime", (int, float), 0),
                "delayTime": None, "estimatedArrivalTime": None,
                "estimatedCompletionTime": None, "eta": None,
                "identity": {"failedScanCount": 0, "checksum": None},
                "appearance": {"triangleColor": None}, "trackingViewed": False,
                "scanOnlyRequiredBarcodes": typed(body, "scanOnlyRequiredBarcodes", bool,
                                                  False),
            }
            task.update({k: body[k] for k in PASS_THROUGH if k in body})
            if "autoAssign" in body:
                task["didAutoAssign"] = auto is not None
            if isinstance(given, dict):
                self.destinations[destination["id"]] = destination
            for draft in drafts:
                self.store_recipient(draft)
            self._move(task, kind, owner, actor)
            self.tasks[task["id"]] = task
            self.order.append(task["id"])
            self.emit(Event("taskCreated", task["id"], task["worker"], actor=actor))
            return self.view_task(task["id"])

    def update_task(self, task_id: str, body: Obj) -> Obj:
        with self.lock:
            task = copy.deepcopy(self.task(task_id))  # a draft until all is valid
            allowed = {ACTIVE: ACTIVE_FIELDS, COMPLETED: {"metadata"}}.get(task["state"])
            if allowed is not None and set(body) - allowed:
                raise OnfleetError(1000, f"a task in state {task['state']} can only change "
                                         f"{sorted(allowed)}")
            if "destination" in body:  # §5.3: no embedded updates, ids only
                if not isinstance(body["destination"], str):
                    raise OnfleetError(1000, "update the destination first, then pass its id")
                task["destination"] = self.destination(body["destination"])["id"]
            if "recipients" in body:
                ids = body["recipients"]
                if not isinstance(ids, list) or len(ids) > 1 or not all(
                        isinstance(r, str) for r in ids):
                    raise OnfleetError(1000, "update the recipient first, then pass its id")
                task["recipients"] = [self.recipient(r)["id"] for r in ids]
            after = typed(body, "completeAfter", int, task["completeAfter"])
            before = typed(body, "completeBefore", int, task["completeBefore"])
            self._window(after, before)
            task["completeAfter"], task["completeBefore"] = after, before
            if "notes" in body:
                task["notes"] = typed(body, "notes", str)
                if len(task["notes"]) > MAX_NOTES:
                    raise OnfleetError(1000, f"notes are limited to {MAX_NOTES} characters")
            for name, kinds in (("pickupTask", bool), ("quantity", (int, float)),
                                ("serviceTime", (int, float))):
                if name in body:
                    task[name] = typed(body, name, kinds)
            if "dependencies" in body:
                task["dependencies"] = self._dependencies(body)
            if "metadata" in body:
                task["metadata"] = metadata(body["metadata"])
            task.update({k: body[k] for k in PASS_THROUGH if k in body})
            task["timeLastModified"] = self.now_ms()
            container = self._container(body["container"]) if "container" in body else None
            self.tasks[task_id] = task
            if container is not None:
                self._move(task, *container, None)
            return self.view_task(task_id)

    def delete_task(self, task_id: str) -> None:
        with self.lock:
            task = self.task(task_id)
            if task["state"] in (ACTIVE, COMPLETED):  # ❓ not stated; refused defensively
                raise OnfleetError(1000, "an active or completed task cannot be deleted")
            self.emit(Event("taskDeleted", task_id, task["worker"]))
            owner = task["container"][task["container"]["type"].lower()]
            self.containers[owner].remove(task_id)
            del self.tasks[task_id]

    # ---- list (§5.3) ------------------------------------------------------------------------

    def list_tasks(self, query: dict[str, str]) -> Obj:
        def number(name: str) -> int | None:
            if name not in query:
                return None
            try:
                return int(query[name])
            except ValueError:
                raise OnfleetError(1005, f"{name} must be a time in milliseconds") from None

        start = number("from")
        if start is None:
            raise OnfleetError(1000, "from is required")
        end = number("to") or self.now_ms()
        states = {int(s) for s in query["state"].split(",")} if "state" in query else None
        ccb, caa = number("completeBeforeBefore"), number("completeAfterAfter")
        with self.lock:
            position = 0
            if "lastId" in query:
                if query["lastId"] not in self.order:
                    raise OnfleetError(1000, "lastId is not a task id")
                position = self.order.index(query["lastId"]) + 1
            matches: list[str] = []
            for task_id in self.order[position:]:
                task = self.tasks.get(task_id)
                if task is None:
                    continue
                # §5.3: completed tasks by completion time, the others by creation time
                at = (task["completionDetails"]["time"] if task["state"] == COMPLETED
                      else task["timeCreated"])
                if not start <= at <= end or (states is not None and task["state"] not in states):
                    continue
                if "worker" in query and task["worker"] != query["worker"]:
                    continue
                if ccb is not None and not (task["completeBefore"] or ccb) < ccb:
                    continue
                if caa is not None and not (task["completeAfter"] or caa) > caa:
                    continue
                matches.append(task_id)
                if len(matches) > PAGE_SIZE:
                    break
            page: Obj = {"tasks": [self.view_task(t) for t in matches[:PAGE_SIZE]]}
            if len(matches) > PAGE_SIZE:  # §5.3: lastId is absent on the last page
                page["lastId"] = matches[PAGE_SIZE - 1]
            return page
