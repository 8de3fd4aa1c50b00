"""The fake Onfleet's ordered task lists read and rewritten whole (contracts/onfleet.md §5.5:
`GET`/`PUT /containers/{organizations|teams|workers}/:id`) and the metadata query of §5.3
(`POST /tasks/metadata`), on top of the task book."""

from __future__ import annotations

from typing import Any

from doorstep.sim.fakes.onfleet_records import OnfleetError, metadata
from doorstep.sim.fakes.onfleet_state import Obj
from doorstep.sim.fakes.onfleet_tasks import ACTIVE, COMPLETED, TaskBook

KINDS = {"organizations": "ORGANIZATION", "teams": "TEAM", "workers": "WORKER"}


class Lists(TaskBook):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.container_times: dict[str, int] = {}  # owner -> when its list last changed

    def touch(self, owner: str) -> None:
        self.container_times[owner] = self.now_ms()

    def _move(self, task: Obj, kind: str, owner: str, actor: tuple[str, str] | None) -> None:
        old = task["container"]
        if old is not None:
            self.touch(old[old["type"].lower()])
        super()._move(task, kind, owner, actor)
        self.touch(owner)

    def delete_task(self, task_id: str) -> None:
        with self.lock:
            container = self.task(task_id)["container"]
            super().delete_task(task_id)
            self.touch(container[container["type"].lower()])

    def _owner(self, plural: str, owner: str) -> str:
        kind = KINDS.get(plural)
        if kind is None:
            raise OnfleetError(1003, f"/containers/{plural} does not exist")
        if kind == "ORGANIZATION" and owner != self.org["id"]:
            raise OnfleetError(1003, f"organization {owner} was not found")
        if kind == "TEAM":
            self.team(owner)
        if kind == "WORKER":
            self.worker(owner)
        return kind

    def view_container(self, plural: str, owner: str) -> Obj:
        with self.lock:
            kind = self._owner(plural, owner)
            view: Obj = {"id": owner, "timeCreated": self.org["timeCreated"],
                         "timeLastModified": self.container_times.get(
                             owner, self.org["timeCreated"]),
                         "organization": self.org["id"], "type": kind,
                         "activeTask": (self.workers[owner]["activeTask"]
                                        if kind == "WORKER" else None),
                         "tasks": list(self.containers.get(owner, []))}
            if kind != "ORGANIZATION":
                view[kind.lower()] = owner
            return view

    def set_container(self, plural: str, owner: str, body: Obj) -> Obj:
        """§5.5: `{"tasks": [ids]}` replaces the list (tasks left out go to the organization);
        `{"tasks": [index, ids…]}` inserts at the index (-1 appends, 0 prepends). Tasks taken
        in leave their previous containers."""
        with self.lock:
            kind = self._owner(plural, owner)
            given = body.get("tasks")
            if not isinstance(given, list):
                raise OnfleetError(1000, "tasks must be an array")
            index: int | None = None
            if given and isinstance(given[0], int) and not isinstance(given[0], bool):
                index, given = given[0], given[1:]
            if not all(isinstance(t, str) for t in given) or len(set(given)) != len(given):
                raise OnfleetError(1000, "tasks must be distinct task ids")
            for task_id in given:
                if self.task(task_id)["state"] in (ACTIVE, COMPLETED):
                    raise OnfleetError(1000, f"task {task_id} is started or completed")
            current = [t for t in self.containers.get(owner, []) if t not in given]
            if index is None:
                for dropped in current:
                    self._move(self.tasks[dropped], "ORGANIZATION", self.org["id"], None)
                current = []
            for task_id in given:
                if task_id not in self.containers.get(owner, []):
                    self._move(self.tasks[task_id], kind, owner, None)
            at = len(current) if index is None or index < 0 else min(index, len(current))
            self.containers[owner] = current[:at] + list(given) + current[at:]
            self.touch(owner)
            return self.view_container(plural, owner)

    def tasks_by_metadata(self, body: Any) -> list[Obj]:
        """§5.3 `POST /tasks/metadata`: the tasks whose metadata holds every entry given."""
        if not isinstance(body, list) or not body:
            raise OnfleetError(1000, "the body must be a non-empty metadata array")
        wanted = [(m["name"], m["type"], m["value"]) for m in metadata(body)]
        with self.lock:
            found = []
            for task_id in self.order:
                task = self.tasks.get(task_id)
                if task is None:
                    continue
                have = {(m["name"], m["type"], _frozen(m["value"])) for m in task["metadata"]}
                if all((n, t, _frozen(v)) in have for n, t, v in wanted):
                    found.append(self.view_task(task_id))
            return found


def _frozen(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return value
