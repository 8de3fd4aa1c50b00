"""What happens to a task once it is on a driver's list (contracts/onfleet.md §5.4): the driver
starts it and completes or fails it with proof of delivery, or a dispatcher force-completes it;
the 1→2→3 part of the state machine and the §4.3 triggers it fires. `Driving` is the Python API
through which tests and the demo act as dispatcher and drivers."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from doorstep.sim.fakes.onfleet_lists import Lists
from doorstep.sim.fakes.onfleet_records import Event, OnfleetError, typed
from doorstep.sim.fakes.onfleet_state import Obj
from doorstep.sim.fakes.onfleet_tasks import ACTIVE, ASSIGNED, COMPLETED


class OnfleetOrg(Lists):
    """One Onfleet organization: the whole state of the fake."""

    # ---- what drivers do, and force-complete (§5.4) ---------------------------------------------

    def start_task(self, task_id: str) -> Obj:
        with self.lock:
            task = self.task(task_id)
            worker = self.worker(task["worker"]) if task["worker"] else None
            if task["state"] != ASSIGNED or worker is None:
                raise OnfleetError(1000, "only an assigned task can be started")
            if not worker["onDuty"] or worker["activeTask"]:
                raise OnfleetError(1000, "the worker is off duty or busy with another task")
            now = self.now_ms()
            self.containers[worker["id"]].remove(task_id)  # §5.5: a started task leaves it
            self.touch(worker["id"])
            worker["activeTask"] = task_id
            task["state"], task["timeLastModified"] = ACTIVE, now
            task["completionDetails"]["events"].append({"name": "start", "time": now})
            if worker["location"]:
                task["completionDetails"]["firstLocation"] = list(worker["location"])
            self.emit(Event("taskStarted", task_id, worker["id"], actor=("WORKER", worker["id"])))
            return self.view_task(task_id)

    def finish_task(self, task_id: str, success: bool, *, reason: str = "NONE", notes: str = "",
                    photos: int = 1, signature: str | None = None,
                    actor: tuple[str, str] | None = None) -> Obj:
        """Complete an active task; §4.3: taskCompleted or taskFailed, then taskUpdated."""
        with self.lock:
            task = self.task(task_id)
            if task["state"] != ACTIVE:
                raise OnfleetError(1000, "only an active task can be completed")
            worker = self.worker(task["worker"])
            now, details = self.now_ms(), task["completionDetails"]
            uploads = [self.new_id() for _ in range(photos)]
            details.update({
                "success": success, "time": now, "notes": notes,
                "failureReason": "NONE" if success else reason,
                "failureNotes": "" if success else notes, "successNotes": notes if success else "",
                "photoUploadId": uploads[0] if uploads else None,
                "photoUploadIds": uploads or None,
                "signatureUploadId": self.new_id() if signature else None,
                "signatureText": signature,
                "lastLocation": list(worker["location"] or []),
            })
            details["events"].append({"name": "arrival", "time": now,
                                      "location": list(worker["location"] or [])})
            task["state"], task["timeLastModified"] = COMPLETED, now
            worker["activeTask"] = None
            actor = actor or ("WORKER", worker["id"])
            self.emit(Event("taskCompleted" if success else "taskFailed", task_id, worker["id"],
                            actor=actor))
            self.emit(Event("taskUpdated", task_id, worker["id"], actor=actor))
            return self.view_task(task_id)

    def force_complete(self, task_id: str, body: Obj) -> None:
        details = body.get("completionDetails")
        if not isinstance(details, dict) or not isinstance(details.get("success"), bool):
            raise OnfleetError(1000, "completionDetails.success is required")
        notes = typed(details, "notes", str, "")
        self.finish_task(task_id, details["success"], notes=notes, photos=0,
                         actor=("ADMIN", self.admin_id))

    def worker_tasks(self, worker_id: str) -> Obj:
        with self.lock:
            self.worker(worker_id)
            return {"tasks": [self.view_task(t) for t in self.containers[worker_id]]}


class Driving:
    """The fake's hands: what a dispatcher does on the dashboard and drivers in the app."""

    org: OnfleetOrg
    _rng: random.Random

    def add_team(self, name: str, workers: Sequence[str] = ()) -> str:
        return str(self.org.create_team({"name": name, "workers": list(workers)})["id"])

    def add_worker(self, name: str, phone: str, teams: Sequence[str], *, on_duty: bool = False,
                   vehicle: str | None = "CAR",
                   location: Sequence[float] | None = None) -> str:
        body: dict[str, Any] = {"name": name, "phone": phone, "teams": list(teams)}
        if vehicle:
            body["vehicle"] = {"type": vehicle}
        worker_id = str(self.org.create_worker(body)["id"])
        if on_duty or location:
            self.org.set_duty(worker_id, on_duty, list(location) if location else None)
        return worker_id

    def add_task(self, *, address: dict[str, Any] | None = None,
                 location: Sequence[float] | None = None,
                 recipient: tuple[str, str] | None = None, worker: str | None = None,
                 **fields: Any) -> str:
        """A task as a dispatcher creates it on the dashboard (taskCreated fires); `fields` are
        §5.2 body fields (completeAfter, notes, metadata, ...)."""
        body: dict[str, Any] = dict(fields)
        body["destination"] = {"address": address or {
            "number": "10", "street": "Example Street", "city": "London",
            "country": "United Kingdom"}}
        if location is not None:
            body["destination"]["location"] = list(location)
        if recipient is not None:
            body["recipients"] = [{"name": recipient[0], "phone": recipient[1]}]
        if worker is not None:
            body["container"] = {"type": "WORKER", "worker": worker}
        return str(self.org.create_task(body)["id"])

    def assign(self, task_id: str, worker_id: str | None) -> None:
        """Into a worker's list (taskAssigned), or back to the organization (taskUnassigned)."""
        container = ({"type": "WORKER", "worker": worker_id} if worker_id else
                     {"type": "ORGANIZATION", "organization": self.org.org["id"]})
        self.org.update_task(task_id, {"container": container})

    def set_duty(self, worker_id: str, on_duty: bool,
                 location: Sequence[float] | None = None) -> None:
        self.org.set_duty(worker_id, on_duty, list(location) if location else None)

    def start_route(self, worker_id: str) -> str | None:
        """The driver goes on duty and starts the first task of the list; its id, if any."""
        self.org.set_duty(worker_id, True)
        tasks = self.org.containers[worker_id]
        return self.start_task(tasks[0]) if tasks else None

    def start_task(self, task_id: str) -> str:
        return str(self.org.start_task(task_id)["id"])

    def complete_task(self, task_id: str, *, notes: str = "", photos: int = 1,
                      signature: str | None = None) -> None:
        self.org.finish_task(task_id, True, notes=notes, photos=photos, signature=signature)

    def fail_task(self, task_id: str, *, reason: str, notes: str = "", photos: int = 1) -> None:
        """`reason` is the org-configured failure reason code (§4.4: opaque)."""
        self.org.finish_task(task_id, False, reason=reason, notes=notes, photos=photos)

    def report(self, task_id: str, *, eta_seconds: float | None = None,
               distance: float | None = None, delay: float | None = None) -> int:
        """The driver's progress towards a task: fires taskEta / taskArrival / taskDelayed for
        the webhooks whose threshold it meets (§4.3, once per task). Deliveries queued."""
        task = self.org.task(task_id)
        queued = 0
        for trigger, value, extra in (("taskEta", eta_seconds, "etaSeconds"),
                                      ("taskArrival", distance, "distance"),
                                      ("taskDelayed", delay, "delay")):
            if value is not None:
                queued += self.org.emit(Event(trigger, task_id, task["worker"],
                                              extras={extra: value},
                                              actor=("WORKER", task["worker"] or "")), value)
        return queued

    def step(self, success_rate: float = 0.9) -> None:
        """Each on-duty driver moves one step on: completes (or, by chance, fails) the active
        task, else starts the next one."""
        with self.org.lock:
            workers = [w for w in self.org.workers.values() if w["onDuty"]]
            for worker in workers:
                active, queue = worker["activeTask"], self.org.containers[worker["id"]]
                if active and self.org.tasks[active]["state"] == ACTIVE:
                    if self._rng.random() < success_rate:
                        self.complete_task(active, notes="Left at the door")
                    else:
                        self.fail_task(active, reason="NOBODY_HOME", notes="Card left")
                elif queue and self.org.tasks[queue[0]]["state"] == ASSIGNED:
                    self.start_task(queue[0])
