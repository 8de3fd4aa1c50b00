"""The fake Onfleet's people and places: workers (§6), teams (§7.1), hubs (§7.2), recipients
(§7.3) and destinations (§7.4), on top of the organization core of `onfleet_state.py`."""

from __future__ import annotations

import copy
from typing import Any

from doorstep.sim.fakes.onfleet_records import Event, OnfleetError, e164, metadata, typed
from doorstep.sim.fakes.onfleet_state import Obj, OnfleetState

VEHICLE_TYPES = frozenset({"CAR", "MOTORCYCLE", "BICYCLE", "TRUCK"})


class Directory(OnfleetState):
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

    # ---- teams and hubs (§7.1, §7.2) ----------------------------------------------------------

    def _ids(self, body: Obj, name: str, table: dict[str, Obj], what: str) -> list[str]:
        value = body.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise OnfleetError(1005, f"{name} must be an array of ids")
        for key in value:
            self._get(table, key, what)
        return list(value)

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

    def create_hub(self, body: Obj) -> Obj:
        with self.lock:
            if not isinstance(body.get("name"), str) or not body["name"]:
                raise OnfleetError(1000, "name is required")
            place = self.place({"address": body.get("address"),
                                "location": body.get("location")})
            hub: Obj = {"id": self.new_id(), "name": body["name"], "address": place["address"],
                        "location": place["location"],
                        "teams": self._ids(body, "teams", self.teams, "team")}
            self.hubs[hub["id"]] = hub
            return copy.deepcopy(hub)

    def update_hub(self, hub_id: str, body: Obj) -> Obj:
        with self.lock:
            hub = copy.deepcopy(self._get(self.hubs, hub_id, "hub"))
            if "name" in body:
                hub["name"] = typed(body, "name", str)
            if "teams" in body:
                hub["teams"] = self._ids(body, "teams", self.teams, "team")
            if "address" in body:
                place = self.place({"address": body["address"]})
                hub["address"], hub["location"] = place["address"], place["location"]
            self.hubs[hub_id] = hub
            return copy.deepcopy(hub)

    # ---- recipients (§7.3) ------------------------------------------------------------------

    def upsert_recipient(self, body: Obj) -> Obj:
        with self.lock:
            return self.store_recipient(self.recipient_draft(body))

    def store_recipient(self, draft: Obj) -> Obj:
        with self.lock:
            self.recipients[draft["id"]] = draft
            return copy.deepcopy(draft)

    def recipient_draft(self, body: Obj) -> Obj:
        """§7.3: the phone is the unique key; creating one with a known phone overwrites that
        recipient's name and notes. Checked, not stored."""
        with self.lock:
            name = typed(body, "name", str)
            if not name:
                raise OnfleetError(1000, "recipient name is required")
            raw = body.get("phone")
            if body.get("skipPhoneNumberValidation") is True:
                if not isinstance(raw, str) or not raw.startswith("+"):
                    raise OnfleetError(1010, "an unvalidated phone must start with +")
                phone = raw
            else:
                phone = e164(raw, self.country)
            now = self.now_ms()
            found = copy.deepcopy(next(
                (r for r in self.recipients.values() if r["phone"] == phone), None))
            if found is None:
                found = {"id": self.new_id(), "organization": self.org["id"],
                         "timeCreated": now, "name": name, "phone": phone, "notes": "",
                         "skipSMSNotifications": False, "metadata": []}
            found["name"] = name
            found["notes"] = typed(body, "notes", str, found["notes"])
            found["skipSMSNotifications"] = typed(body, "skipSMSNotifications", bool,
                                                  found["skipSMSNotifications"])
            if "metadata" in body:
                found["metadata"] = metadata(body["metadata"])
            found["timeLastModified"] = now
            return found

    def update_recipient(self, recipient_id: str, body: Obj) -> Obj:
        with self.lock:
            recipient = copy.deepcopy(self.recipient(recipient_id))
            if "phone" in body:  # §7.3: the unique key cannot change
                raise OnfleetError(1000, "phone cannot be updated")
            for name, kinds in (("name", str), ("notes", str), ("skipSMSNotifications", bool)):
                if name in body:
                    recipient[name] = typed(body, name, kinds)
            if "metadata" in body:
                recipient["metadata"] = metadata(body["metadata"])
            recipient["timeLastModified"] = self.now_ms()
            return self.store_recipient(recipient)

    def find_recipient(self, *, name: str | None = None, phone: str | None = None,
                       validate: bool = True) -> Obj:
        with self.lock:
            if phone is not None:
                key = e164(phone, self.country) if validate else phone
                found = [r for r in self.recipients.values() if r["phone"] == key]
            else:  # §7.3: exact, case-insensitive
                found = [r for r in self.recipients.values()
                         if r["name"].casefold() == (name or "").casefold()]
            if not found:
                raise OnfleetError(1003, "no recipient matches")
            return copy.deepcopy(found[0])

    # ---- destinations (§7.4) ----------------------------------------------------------------

    def create_destination(self, body: Obj) -> Obj:
        with self.lock:
            place = self.place(body)
            self.destinations[place["id"]] = place
            return copy.deepcopy(place)

    def place(self, body: Obj) -> Obj:
        """A destination checked and geocoded, not stored."""
        with self.lock:
            address, location = body.get("address"), body.get("location")
            if not isinstance(address, dict):
                raise OnfleetError(1000, "address is required")
            if location is not None and "unparsed" in address:
                raise OnfleetError(1000, "address.unparsed cannot be used with location")
            if "unparsed" in address:
                parts = [p.strip() for p in str(address["unparsed"]).split(",") if p.strip()]
                if len(parts) < 2:
                    raise OnfleetError(1011, "the address could not be geocoded")
                number, _, street = parts[0].partition(" ")
                address = {"number": number, "street": street or parts[0], "city": parts[1],
                           "state": parts[2] if len(parts) > 3 else None,
                           "postalCode": None, "country": parts[-1],
                           "apartment": address.get("apartment"), "name": address.get("name")}
            elif not all(isinstance(address.get(k), str) and address[k]
                         for k in ("street", "city", "country")):
                raise OnfleetError(1011, "street, city and country are needed to geocode")
            if location is None:  # a stand-in for geocoding: a point near the org's origin
                location = [round(-0.2 + self.rng.random() * 0.2, 6),
                            round(51.45 + self.rng.random() * 0.1, 6)]
            elif not (isinstance(location, list) and len(location) == 2
                      and all(isinstance(c, int | float) for c in location)):
                raise OnfleetError(1005, "location is [longitude, latitude]")
            now = self.now_ms()
            fields = ("name", "number", "street", "apartment", "city", "state", "postalCode",
                      "country")
            place: Obj = {"id": self.new_id(), "timeCreated": now, "timeLastModified": now,
                          "location": list(location),
                          "address": {k: address.get(k) for k in fields},
                          "notes": typed(body, "notes", str, ""),
                          "metadata": metadata(body.get("metadata", [])),
                          "googlePlaceId": None, "warnings": []}
            return place

    def organization(self) -> Obj:
        with self.lock:
            return copy.deepcopy(self.org)

    def connected(self, org_id: str) -> Obj:
        """`GET /organizations/:id`: only delegatees are visible; the fake has none."""
        with self.lock:
            if org_id not in self.org["delegatees"]:
                raise OnfleetError(1003, f"organization {org_id} is not connected")
            return {"id": org_id}

    def view(self, table: dict[str, Obj], key: str) -> Obj:
        with self.lock:
            return copy.deepcopy(self._get(table, key, "resource"))

    def list_of(self, table: dict[str, Obj]) -> list[Obj]:
        with self.lock:
            if table is self.teams:
                return [self.view_team(k) for k in table]
            return copy.deepcopy(list(table.values()))
