"""The fake Onfleet's places and recipients: hubs (§7.2), recipients (§7.3), destinations
(§7.4) and the organization's own record (§7.5), on top of the core of `onfleet_state.py`."""

from __future__ import annotations

import copy

from doorstep.sim.fakes.onfleet_records import OnfleetError, e164, metadata, typed
from doorstep.sim.fakes.onfleet_state import Obj, OnfleetState


class Places(OnfleetState):
    def _ids(self, body: Obj, name: str, table: dict[str, Obj], what: str) -> list[str]:
        value = body.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise OnfleetError(1005, f"{name} must be an array of ids")
        for key in value:
            self._get(table, key, what)
        return list(value)

    # ---- hubs (§7.2) ------------------------------------------------------------------------

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
