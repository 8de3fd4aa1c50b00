"""The fake OptimoRoute's API methods for orders, completion, drivers and events
(contracts/optimoroute.md §5, §8, §9, §11), on top of the day kept by `RouteBook`. Each method
takes the parsed query or body and answers the JSON body, or raises `OptimoError`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from doorstep.sim.fakes.optimoroute_records import (
    ERR_DRV_NOT_FOUND,
    ERR_ORD_EXISTS,
    ERR_ORD_NOT_DISPATCHED,
    MAX_EVENTS,
    MAX_SEARCH_DAYS,
    NOTIFICATION_PREFERENCES,
    OPERATIONS,
    ORDER_FIELDS,
    ORDER_TYPES,
    PRIORITIES,
    STATUSES,
    Driver,
    OptimoError,
    Order,
    as_bool,
    as_date,
    as_hhmm,
    as_items,
    as_number,
    as_str,
    decode_tag,
    encode_tag,
    geocode,
    invalid,
    need,
    not_found,
    parse_stamp,
    stamp,
)
from doorstep.sim.fakes.optimoroute_routes import RouteBook

_DRIVER_TIMES = ("workTimeFrom", "workTimeTo")
_DRIVER_NUMBERS = ("vehicleCapacity1", "vehicleCapacity2", "vehicleCapacity3",
                   "vehicleCapacity4", "startLatitude", "startLongitude", "endLatitude",
                   "endLongitude")
_DRIVER_TEXTS = ("assignedVehicle", "startAddress", "endAddress")


class OptimoState(RouteBook):
    page_size = 500  # search_orders page (§5.4: paged with after_tag, size not documented)
    events_page = MAX_EVENTS

    # ---- orders (§5) ---------------------------------------------------------------------

    def create_order(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            order = self.upsert(body, geocoding=True)
            # §5.1 ❓ whether `id` comes back: it does not here, so read it with get_orders.
            return {"success": True, "orderNo": order.order_no,
                    "location": order.data["location"]}

    def create_or_update_orders(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            items = as_items(body, "orders")

            def one(item: dict[str, Any]) -> dict[str, Any]:
                order = self.upsert(item, geocoding=False)  # §5.2 ❓ bulk does not geocode
                return {"orderNo": order.order_no, "id": order.id,
                        "locationNo": order.data["location"].get("locationNo")}
            return {"success": True, "orders": [_item(i, one) for i in items]}

    def upsert(self, item: dict[str, Any], *, geocoding: bool) -> Order:
        """§5.1: CREATE, UPDATE, MERGE (default ❓) and SYNC."""
        op = item.get("operation", "MERGE")
        if op not in OPERATIONS:
            raise invalid("operation", "one of CREATE, UPDATE, MERGE, SYNC")
        if item.get("orderNo") in (None, "") and item.get("id") in (None, ""):
            raise OptimoError("ERR_MISSING_MAND_FIELD", "Field 'orderNo' or 'id' is missing")
        if "orderNo" in item:
            as_str(item["orderNo"], "orderNo")
        try:
            existing: Order | None = self.find(item)
        except OptimoError:
            if item.get("id") not in (None, ""):
                raise  # an id is OptimoRoute's to give: one that is unknown names nothing
            existing = None
        fields = {k: v for k, v in item.items() if k in ORDER_FIELDS}
        if op == "CREATE" and existing and not item.get("acceptDuplicateOrderNo"):
            raise OptimoError(ERR_ORD_EXISTS, f"Order {existing.order_no} already exists")
        if op == "CREATE":
            existing = None
        if op == "UPDATE" and existing is None:
            raise not_found(str(item.get("orderNo")))
        data = dict(fields) if existing is None or op == "SYNC" else {**existing.data, **fields}
        data.setdefault("orderNo", existing.order_no if existing else None)
        for name in ("date", "type", "location"):
            need(data, name)
        self._check(data)
        if "location" in fields or existing is None:
            data["location"] = self._locate(fields.get("location", data["location"]), geocoding)
        if existing is None:
            order = Order(f"{self.rng.getrandbits(128):032x}", len(self.orders) + 1, data)
            self.orders[order.id] = order
            self.by_no.setdefault(str(data["orderNo"]), []).append(order.id)
            return order
        moved = data["date"] != existing.data["date"]
        if data.get("orderNo") != existing.order_no:
            self.by_no[str(existing.order_no)].remove(existing.id)
            self.by_no.setdefault(str(data["orderNo"]), []).append(existing.id)
        existing.data = data
        route = self.route_of(existing)
        if route is not None and moved:
            self.unplace(existing)
        elif route is not None:
            self.rebuild(route)
        return existing

    def _check(self, data: dict[str, Any]) -> None:
        as_date(data["date"], "date")
        if data["type"] not in ORDER_TYPES:
            raise invalid("type", "one of D, P, T")
        if "priority" in data and data["priority"] not in PRIORITIES:
            raise invalid("priority", "one of L, M, H, C")
        if "notificationPreference" in data and data[
                "notificationPreference"] not in NOTIFICATION_PREFERENCES:
            raise invalid("notificationPreference")
        if "duration" in data:
            as_number(data["duration"], "duration", 0, 24 * 60)
        for n in range(1, 5):
            if f"load{n}" in data:
                as_number(data[f"load{n}"], f"load{n}", 0)
        windows = data.get("timeWindows", [])
        if not isinstance(windows, list) or not all(isinstance(w, dict) for w in windows):
            raise invalid("timeWindows", "expected a list of {twFrom, twTo}")
        for w in windows:
            if as_hhmm(need(w, "twFrom"), "twFrom") > as_hhmm(need(w, "twTo"), "twTo"):
                raise invalid("timeWindows", "twFrom is after twTo")
        forced = data.get("assignedTo")
        if forced is not None and not (isinstance(forced, dict) and (
                "serial" in forced or "externalId" in forced)):
            raise invalid("assignedTo", "expected {serial} or {externalId}")

    def _locate(self, loc: Any, geocoding: bool) -> dict[str, Any]:
        """§5.1 location: coordinates, an address to geocode, or a known `locationNo`."""
        if not isinstance(loc, dict):
            raise invalid("location", "expected an object")
        out = {k: loc[k] for k in ("address", "locationName", "locationNo", "notes",
                                   "latitude", "longitude", "checkInTime") if k in loc}
        if "latitude" in loc or "longitude" in loc:
            as_number(need(loc, "latitude"), "latitude", -90, 90)
            as_number(need(loc, "longitude"), "longitude", -180, 180)
            out["valid"] = True
        elif loc.get("address"):
            if geocoding:
                out["latitude"], out["longitude"] = geocode(as_str(loc["address"], "address"),
                                                            self.center)
            out["valid"] = geocoding
        elif loc.get("locationNo"):
            known = next((o.data["location"] for o in self.orders.values()
                          if o.data["location"].get("locationNo") == loc["locationNo"]), None)
            if known is None:
                raise invalid("location.locationNo", "unknown location")
            out = {**known, **out}
        else:
            raise OptimoError("ERR_MISSING_MAND_FIELD", "Field 'location.address' is missing")
        return out

    def _order_json(self, order: Order) -> dict[str, Any]:
        return {"success": True, "id": order.id, "data": dict(order.data)}

    def get_orders(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            items = as_items(body, "orders")
            return {"success": True, "orders": [
                _item(i, lambda ref: self._order_json(self.find(ref))) for i in items]}

    def search_orders(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            span = need(body, "dateRange")
            if not isinstance(span, dict):
                raise invalid("dateRange")
            first = as_date(need(span, "from"), "dateRange.from")
            last = as_date(need(span, "to"), "dateRange.to")
            if not timedelta(0) <= last - first < timedelta(days=MAX_SEARCH_DAYS):
                raise invalid("dateRange", f"at most {MAX_SEARCH_DAYS} days, from before to")
            after = decode_tag(body["after_tag"], "ord", "after_tag") if body.get(
                "after_tag") else 0
            hits = [o for o in self.orders.values() if first <= o.day <= last and o.seq > after]
            page = hits[:self.page_size]
            out: list[dict[str, Any]] = []
            for order in page:
                row: dict[str, Any] = {"id": order.id}
                if body.get("includeOrderData"):
                    row["data"] = dict(order.data)
                if body.get("includeScheduleInformation"):
                    row["scheduleInformation"] = self.schedule_of(order)
                out.append(row)
            answer: dict[str, Any] = {"success": True, "orders": out}
            if len(hits) > len(page):  # §5.4: the last page has no after_tag
                answer["after_tag"] = encode_tag("ord", page[-1].seq)
            return answer

    def delete_order(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self._delete(self.find(body))
            return {"success": True}

    def delete_orders(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            items = as_items(body, "orders")
            every = as_bool(body.get("deleteMultiple", False), "deleteMultiple")

            def one(ref: dict[str, Any]) -> dict[str, Any]:
                order = self.find(ref)
                same = self.by_no.get(str(order.order_no), []) if every and not ref.get(
                    "id") else [order.id]
                for order_id in list(same):
                    self._delete(self.orders[order_id])
                return {"orderNo": order.order_no, "id": order.id}
            return {"success": True, "orders": [_item(i, one) for i in items]}

    def delete_all_orders(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            day = as_date(body["date"], "date") if body.get("date") else None
            for order in [o for o in self.orders.values() if day in (None, o.day)]:
                self._delete(order)
            return {"success": True}

    def _delete(self, order: Order) -> None:
        self.unplace(order)
        self.by_no[str(order.order_no)].remove(order.id)
        del self.orders[order.id]

    # ---- drivers (§8) --------------------------------------------------------------------

    def update_driver_parameters(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self._driver_params(body)
            return {"success": True}

    def update_drivers_parameters(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            items = as_items(body, "updates")

            def one(item: dict[str, Any]) -> dict[str, Any]:
                driver = self._driver_params(item)
                return {"externalId": driver.external_id, "serial": driver.serial}
            return {"success": True, "updates": [_item(i, one) for i in items]}

    def _driver_params(self, item: dict[str, Any]) -> Driver:
        if item.get("externalId") in (None, "") and item.get("serial") in (None, ""):
            need(item, "externalId")
        day = as_date(need(item, "date"), "date")
        driver = self.driver(item.get("serial"), item.get("externalId"))
        if driver is None:
            raise OptimoError(ERR_DRV_NOT_FOUND, "Driver not found")
        params: dict[str, Any] = {}
        if "enabled" in item:
            params["enabled"] = as_bool(item["enabled"], "enabled")
        for name in _DRIVER_TIMES:
            if name in item:
                params[name] = as_hhmm(item[name], name).strftime("%H:%M")
        for name in _DRIVER_NUMBERS:
            if name in item:
                params[name] = as_number(item[name], name)
        for name in _DRIVER_TEXTS:
            if name in item:
                params[name] = as_str(item[name], name)
        driver.params.setdefault(day, {}).update(params)
        self.unschedule_driver(driver, day)
        return driver

    # ---- completion (§9) -----------------------------------------------------------------

    def completion(self, order: Order) -> dict[str, Any]:
        data: dict[str, Any] = {"status": order.status}
        if order.start is not None:
            data["startTime"] = stamp(order.start, self.tz)
        if order.end is not None:
            data["endTime"] = stamp(order.end, self.tz)
        if order.form is not None:
            data["form"] = order.form
        data["tracking_url"] = f"{self.public_url}/track/{order.id}"  # §9.1: snake_case
        return data

    def get_completion_details(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            items = as_items(body, "orders")

            def one(ref: dict[str, Any]) -> dict[str, Any]:
                order = self.find(ref)
                return {"orderNo": order.order_no, "id": order.id,
                        "data": self.completion(order)}
            return {"success": True, "orders": [_item(i, one) for i in items]}

    def update_completion_details(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            items = as_items(body, "updates")

            def one(item: dict[str, Any]) -> dict[str, Any]:
                order = self.find(item)
                data = need(item, "data")
                if not isinstance(data, dict) or need(data, "status") not in STATUSES:
                    raise invalid("data.status", "one of " + ", ".join(STATUSES))
                times = {k: parse_stamp(data[k], k, self.tz) for k in ("startTime", "endTime")
                         if k in data}
                if self.route_of(order) is None:
                    raise OptimoError(ERR_ORD_NOT_DISPATCHED,
                                      "Order is not dispatched to a driver")
                order.status = data["status"]
                order.start = times.get("startTime", order.start)
                order.end = times.get("endTime", order.end)
                return {"orderNo": order.order_no, "id": order.id}
            return {"success": True, "orders": [_item(i, one) for i in items]}

    # ---- events (§11) --------------------------------------------------------------------

    def get_events(self, query: dict[str, Any]) -> dict[str, Any]:
        """§11.1: the log after the cursor, oldest first, `events_page` at most. The tag is
        the position of the last event returned, so a poller that saves it neither skips nor
        repeats; an empty page gives the cursor back unchanged."""
        with self.lock:
            after = decode_tag(query["after_tag"], "seq", "after_tag") if query.get(
                "after_tag") else 0
            if after > len(self.log):
                raise invalid("after_tag", "unknown tag")
            page = self.log[after:after + self.events_page]
            end = after + len(page)
            return {"success": True, "events": [e.json(self.tz) for e in page],
                    "tag": encode_tag("seq", end), "remainingEvents": len(self.log) - end}


def _item(item: dict[str, Any],
          work: Callable[[dict[str, Any]], dict[str, Any]]) -> dict[str, Any]:
    """One item of a bulk call: its own success and code (§2, bulk failure modes)."""
    try:
        return {"success": True, **work(item)}
    except OptimoError as e:
        ref: dict[str, Any] = {k: item[k] for k in ("orderNo", "id", "externalId") if k in item}
        return {**e.body(), **ref}
