"""The fake Onfleet's people: workers (§6) and teams (§7.1), on top of `onfleet_places.py`."""

from __future__ import annotations

import copy
from typing import Any

from doorstep.sim.fakes.onfleet_places import Places
from doorstep.sim.fakes.onfleet_records import Event, OnfleetError, e164, metadata, typed
from doorstep.sim.fakes.onfleet_state import Obj

VEHICLE_TYPES = frozenset({"CAR", "MOTORCYCLE", "BICYCLE", "TRUCK"})


class Directory(Places):
    # ---- workers (§6) -----------------------------------------------------------------------

    def _vehicle(self, body: Obj, now: int) -> Obj | None:
        vehicle = typed(body, "vehicle", dict)
        if vehicle is None:
            return None
        if vehicle.get("type") not in VEHICLE_TYPES:
            raise OnfleetError(1000, f"vehicle.type must be one of {sorted(VEHICLE_TYPES)}")
        return {"id": self.new_id(), "type": vehicle["type"],
                "description": vehicle.get("description"),
                "licensePlate": vehicle.get("licensePlate"), "color": vehicle.get("color"),
                "timeLastModified": now}

    def _team_ids(self, value: Any, at_least_one: bool) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
            raise OnfleetError(1005, "teams must be an array of team ids")
        if at_least_one and not value:
            raise OnfleetError(1000, "a worker belongs to at least one team")
        for team_id in value:
            self.team(team_id)
        return list(value)

    def create_worker(self, body: Obj) -> Obj:
        with self.lock:
            if not isinstance(body.get("name"), str) or not body["name"].strip():
                raise OnfleetError(1000, "name is required")
            phone = e164(body.get("phone"), self.country)
            if any(w["phone"] == phone for w in self.workers.values()):
                raise OnfleetError(1004, f"a worker with phone {phone} exists")
            teams = self._team_ids(body.get("teams"), at_least_one=True)
            now = self.now_ms()
            worker: Obj = {
                "id": self.new_id(), "timeCreated": now, "timeLastModified": now,
                "timeLastSeen": None, "organization": self.org["id"], "name": body["name"],
                "displayName": typed(body, "displayName", str), "phone": phone, "teams": teams,
                "onDuty": False, "activeTask": None, "tasks": [], "location": None,
                "vehicle": self._vehicle(body, now),
                "capacity": typed(body, "capacity", (int, float), 0),
                "additionalCapacities": {"capacityA": 0, "capacityB": 0, "capacityC": 0},
                "accountStatus": "ACCEPTED", "delayTime": None, "timezone": None,
                "imageUrl": None, "metadata": metadata(body.get("metadata", [])),
                "userData": {"appVersion": None, "batteryLevel": None,
                             "deviceDescription": None, "platform": None},
                "addresses": {"routing": body.get("addresses", {}).get("routing")
                              if isinstance(body.get("addresses"), dict) else None},
            }
            self.workers[worker["id"]] = worker
            self.containers[worker["id"]] = []
            for team_id in teams:
                self.teams[team_id]["workers"].append(worker["id"])
            self.emit(Event("workerCreated", worker_id=worker["id"]))
            return self.view_worker(worker["id"])

    def update_worker(self, worker_id: str, body: Obj) -> Obj:
        with self.lock:
            worker = copy.deepcopy(self.worker(worker_id))  # a draft until all is valid
            if "phone" in body or "onDuty" in body:  # 🅢 not update parameters: set by the app
                raise OnfleetError(1000, "phone and onDuty cannot be updated")
            now = self.now_ms()
            if "teams" in body:
                worker["teams"] = self._team_ids(body["teams"], at_least_one=True)
            for name, kinds in (("name", str), ("displayName", str),
                                ("capacity", (int, float)), ("addresses", dict)):
                if name in body:
                    worker[name] = typed(body, name, kinds)
            if "vehicle" in body:
                worker["vehicle"] = self._vehicle(body, now)
            if "metadata" in body:
                worker["metadata"] = metadata(body["metadata"])  # §7.7: replaces the array
            worker["timeLastModified"] = now
            self.workers[worker_id] = worker
            for team in self.teams.values():
                if worker_id in team["workers"] and team["id"] not in worker["teams"]:
                    team["workers"].remove(worker_id)
                elif team["id"] in worker["teams"] and worker_id not in team["workers"]:
                    team["workers"].append(worker_id)
            return self.view_worker(worker_id)

    def list_workers(self, query: dict[str, str]) -> list[Obj]:
        def wanted(worker: Obj) -> bool:
            if "teams" in query and not set(query["teams"].split(",")) & set(worker["teams"]):
                return False
            if "phones" in query and worker["phone"] not in {
                    e164(p, self.country) for p in query["phones"].split(",")}:
                return False
            # §6.1: 0 off duty, 1 idle (on duty, no active task), 2 active
            state = 0 if not worker["onDuty"] else (2 if worker["activeTask"] else 1)
            return "states" not in query or str(state) in query["states"].split(",")

        with self.lock:
            return [self.view_worker(w["id"], query.get("filter"))
                    for w in self.workers.values() if wanted(w)]

    def delete_worker(self, worker_id: str) -> None:
        with self.lock:
            worker = self.worker(worker_id)
            if worker["activeTask"] or self.containers.get(worker_id):
                raise OnfleetError(1000, "the worker still has tasks")  # ❓ status not documented
            for team in self.teams.values():
                if worker_id in team["workers"]:
                    team["workers"].remove(worker_id)
            self.emit(Event("workerDeleted", worker_id=worker_id))
            del self.workers[worker_id]

    def set_duty(self, worker_id: str, on_duty: bool, location: list[float] | None = None) -> None:
        with self.lock:
            worker = self.worker(worker_id)
            if location is not None:
                worker["location"] = list(location)
            if worker["onDuty"] == on_duty:
                return
            worker["onDuty"] = on_duty
            worker["timeLastSeen"] = worker["timeLastModified"] = self.now_ms()
            self.emit(Event("workerDuty", worker_id=worker_id,
                            extras={"status": 1 if on_duty else 0},
                            actor=("WORKER", worker_id)))

    # ---- teams (§7.1) ----------------------------------------------------------

    def create_team(self, body: Obj) -> Obj:
        with self.lock:
            name = typed(body, "name", str)
            if not name:
                raise OnfleetError(1000, "name is required")
            if any(t["name"] == name for t in self.teams.values()):
                raise OnfleetError(1901, f"team name {name!r} is not unique")
            workers = self._ids(body, "workers", self.workers, "worker")
            hub = typed(body, "hub", str)
            if hub is not None:
                self._get(self.hubs, hub, "hub")
            now = self.now_ms()
            team: Obj = {"id": self.new_id(), "timeCreated": now, "timeLastModified": now,
                         "name": name, "workers": workers,
                         "managers": self._ids(body, "managers", {self.admin_id: {}}, "admin"),
                         "hub": hub, "tasks": [],
                         "enableSelfAssignment": bool(typed(body, "enableSelfAssignment",
                                                            bool, False))}
            self.teams[team["id"]] = team
            self.containers[team["id"]] = []
            for worker_id in workers:
                if team["id"] not in self.workers[worker_id]["teams"]:
                    self.workers[worker_id]["teams"].append(team["id"])
            return self.view_team(team["id"])

    def update_team(self, team_id: str, body: Obj) -> Obj:
        with self.lock:
            team = copy.deepcopy(self.team(team_id))  # a draft until all is valid
            if "name" in body:
                name = typed(body, "name", str)
                if any(t["name"] == name and t["id"] != team_id for t in self.teams.values()):
                    raise OnfleetError(1901, f"team name {name!r} is not unique")
                team["name"] = name
            if "workers" in body:
                team["workers"] = self._ids(body, "workers", self.workers, "worker")
            if "managers" in body:
                team["managers"] = self._ids(body, "managers", {self.admin_id: {}}, "admin")
            if "hub" in body:
                if body["hub"] is not None:
                    self._get(self.hubs, typed(body, "hub", str), "hub")
                team["hub"] = body["hub"]
            if "enableSelfAssignment" in body:
                team["enableSelfAssignment"] = typed(body, "enableSelfAssignment", bool)
            team["timeLastModified"] = self.now_ms()
            self.teams[team_id] = team
            for worker in self.workers.values():
                if worker["id"] in team["workers"] and team_id not in worker["teams"]:
                    worker["teams"].append(team_id)
                elif worker["id"] not in team["workers"] and team_id in worker["teams"]:
                    worker["teams"].remove(team_id)
            return self.view_team(team_id)

    def delete_team(self, team_id: str) -> None:
        with self.lock:
            self.team(team_id)
            if self.containers.get(team_id):
                raise OnfleetError(1000, "the team still has tasks")  # ❓ not documented
            for worker in self.workers.values():
                if team_id in worker["teams"]:
                    worker["teams"].remove(team_id)
            del self.teams[team_id]
