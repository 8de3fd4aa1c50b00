"""A local fake of OptimoRoute's Web Service API (contracts/optimoroute.md §12).

    with FakeOptimoRoute(clock=clock, seed=1) as fake:
        httpx.get(f"{fake.url}/v1/get_events", params={"key": fake.api_key})
        fake.add_driver("102", "Sam Lee", external_id="D-44")
        fake.add_order("A-1", "2026-03-03", address="12 Elm St, Springfield")
        fake.plan(date(2026, 3, 3))          # or POST start_planning and fake.advance()
        fake.start_route("102", date(2026, 3, 3))
        fake.complete("A-1", note="Left with neighbour")   # or fail(...), reject(...)
        fake.fail_next(500)                  # the next request answers 500
        fake.stall_next(times=5); fake.wait_stalled(5); ...; fake.release()

Nothing moves by itself: a planning goes N → R → F one step per `advance()`, and drivers act
only when told. `run_in_background()` calls `advance()` on a timer for the demo. The rules live
in `optimoroute_account.py` and the modules under it, the HTTP side in `optimoroute_http.py`;
this module is the server's lifecycle and the hooks a test or the simulator uses.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any, Self
from zoneinfo import ZoneInfo

from starlette.types import ASGIApp

from doorstep.clock import Clock, SystemClock
from doorstep.sim.fakes.optimoroute_account import OptimoAccount
from doorstep.sim.fakes.optimoroute_http import Gate, build_app
from doorstep.sim.fakes.optimoroute_records import Driver, Fault, Received
from doorstep.sim.fakes.serving import ServedFake


class FakeOptimoRoute(ServedFake):
    state: OptimoAccount
    gate: Gate

    def __init__(self, *, api_key: str | None = None, clock: Clock | None = None,
                 seed: int | None = None, host: str = "127.0.0.1", port: int = 0,
                 timezone: str = "UTC", center: tuple[float, float] = (39.78, -89.65),
                 error_status: int = 200, rate_limit: tuple[int, timedelta] | None = None,
                 page_size: int = 500, events_page: int = 500) -> None:
        """`error_status`: HTTP status of application errors (§2: undocumented; 200 as the
        clients observed). `rate_limit`: (requests, window) per key, off by default because
        none is documented (§13); over it → 429 with `Retry-After`."""
        self._defaults: dict[str, Any] = {
            "seed": seed, "timezone": timezone, "center": center, "error_status": error_status,
            "rate_limit": rate_limit, "page_size": page_size, "events_page": events_page}
        self._api_key = api_key
        self.clock: Clock = clock or SystemClock()
        self._host, self._port = host, port
        self._serve("fake OptimoRoute", self._host, self._port)
        self.reset()

    def reset(self, *, clock: Clock | None = None, **options: Any) -> Self:
        """A new, empty account (no orders, drivers, events, faults or requests) behind the
        same server, with `options` instead of the constructor's: one server can serve many
        tests."""
        if unknown := set(options) - set(self._defaults):
            raise TypeError(f"unknown options: {sorted(unknown)}")
        if hasattr(self, "gate"):
            self.release()
        o = {**self._defaults, **options}
        rng = random.Random(o["seed"])
        self.api_key = self._api_key or f"{rng.getrandbits(128):032x}"
        self.clock = clock or self.clock
        self.state = OptimoAccount(self.clock, random.Random(rng.getrandbits(64)),
                                   ZoneInfo(o["timezone"]), o["center"])
        self.state.page_size, self.state.events_page = o["page_size"], o["events_page"]
        self.state.public_url = self.url or self.state.public_url
        self.gate = Gate(self.clock, self.api_key, o["error_status"], o["rate_limit"])
        return self

    # ---- lifecycle ----------------------------------------------------------------------------

    def _app(self) -> ASGIApp:
        return build_app(self)

    def _tick(self) -> None:
        self.advance()

    def _release(self) -> None:
        self.release()

    @property
    def base_url(self) -> str:
        """What the connector uses in place of `https://api.optimoroute.com/v1` (§1)."""
        return f"{self.url}/v1"

    # ---- faults and limits ------------------------------------------------------------------

    def fail_next(self, status: int = 500, *, code: str = "ERR_INTERNAL",
                  method: str | None = None, times: int = 1, applied: bool = False) -> None:
        """The next `times` authorized requests (of `method`, or any) fail: HTTP `status`
        with the §2 envelope and `code` (`status=200` makes an application error such as
        `ERR_TOO_MANY_CONNECTIONS`). `applied`: the request is carried out first and the
        caller still sees the failure — an unknown outcome."""
        with self.gate.lock:
            self.gate.faults.append(Fault(method, status, code, applied, False, times))

    def stall_next(self, *, method: str | None = None, times: int = 1) -> None:
        """The next `times` requests are held open (counted as in flight) until `release()`."""
        with self.gate.lock:
            stall = Fault(method, None, "", False, True, times)
            self.gate.faults.append(stall)
            self.gate.stalls.append(stall)

    def wait_stalled(self, count: int, timeout: float = 5.0) -> bool:
        """Wait until `count` requests are held by `stall_next`."""
        with self.gate.lock:
            return bool(self.gate.lock.wait_for(lambda: self.gate.stalled >= count, timeout))

    def release(self) -> None:
        with self.gate.lock:
            for fault in self.gate.stalls:
                fault.released.set()
            self.gate.stalls = []
            self.gate.faults = [f for f in self.gate.faults if not f.stall]
            self.gate.lock.notify_all()

    def exhaust_rate_limit(self, window: timedelta = timedelta(seconds=60)) -> None:
        """Every request gets 429 until `window` has passed on the clock."""
        with self.gate.lock:
            self.gate.blocked_until = self.clock.now() + window

    # ---- inspection -------------------------------------------------------------------------

    @property
    def requests(self) -> list[Received]:
        """Every request received, oldest first; the key is left out of `query`."""
        with self.gate.lock:
            return list(self.gate.received)

    def requests_to(self, method: str) -> list[Received]:
        return [r for r in self.requests if r.method == method]

    def status_of(self, order_no: str) -> str:
        with self.state.lock:
            return self.state.find({"orderNo": order_no}).status

    # ---- driving the day --------------------------------------------------------------------

    def add_driver(self, serial: str, name: str, *, external_id: str | None = None,
                   vehicle_registration: str | None = None, vehicle_label: str | None = None,
                   start: tuple[float, float] | None = None) -> None:
        """Drivers are set up in the web app: no API method creates one (§8)."""
        self.state.add_driver(Driver(serial, name, external_id, vehicle_registration,
                                     vehicle_label, start))

    def add_order(self, order_no: str, day: date | str, *, address: str | None = None,
                  latitude: float | None = None, longitude: float | None = None,
                  type: str = "D", **fields: Any) -> str:
        """An order as the dispatcher enters it (other §5.1 fields by name); its `id`."""
        location: dict[str, Any] = {"address": address} if address else {}
        if latitude is not None and longitude is not None:
            location.update(latitude=latitude, longitude=longitude,
                            locationName=fields.pop("locationName", address or order_no))
        body = {"operation": "CREATE", "orderNo": order_no, "date": str(day), "type": type,
                "location": location, **fields}
        with self.state.lock:
            return self.state.upsert(body, geocoding=True).id

    def plan(self, day: date, **options: Any) -> int:
        """Plan `day` at once (what start_planning and two `advance()`s do)."""
        with self.state.lock:
            planning_id = int(self.state.start_planning({"date": str(day), **options})[
                "planningId"])
            while self.state.plannings[planning_id].status in ("N", "R"):
                self.state.step_plannings()
            return planning_id

    def advance(self, delta: timedelta | None = None) -> None:
        """Move a `VirtualClock` on by `delta`, and every planning one status on."""
        if delta is not None:
            move: Callable[[timedelta], object] | None = getattr(self.clock, "advance", None)
            if move is None:
                raise TypeError("only a virtual clock can be moved")
            move(delta)
        self.state.step_plannings()

    def on_duty(self, serial: str, at: datetime | None = None) -> None:
        self.state.duty(serial, True, at)

    def off_duty(self, serial: str, at: datetime | None = None) -> None:
        self.state.duty(serial, False, at)

    def start_route(self, serial: str, day: date, at: datetime | None = None) -> None:
        self.state.start_route(serial, day, at)

    def end_route(self, serial: str, day: date, at: datetime | None = None) -> None:
        self.state.end_route(serial, day, at)

    def start_service(self, order_no: str, at: datetime | None = None) -> None:
        self.state.start_service(order_no, at)

    def complete(self, order_no: str, *, note: str = "", signature: bool = True,
                 photos: int = 1, barcodes: tuple[str, ...] = (),
                 at: datetime | None = None) -> None:
        """The driver completes the stop with proof of delivery (§9.1 `form`). `at` earlier
        than the log's last event makes a late, out-of-order event (§11.2.4)."""
        self.state.finish(order_no, "success", self._form(order_no, note, signature, photos,
                                                          barcodes), at)

    def fail(self, order_no: str, reason: str, *, photos: int = 0,
             at: datetime | None = None) -> None:
        """The driver could not deliver; the reason is the form's note (§9.1 ❓)."""
        self.state.finish(order_no, "failed", self._form(order_no, reason, False, photos, ()),
                          at)

    def reject(self, order_no: str, reason: str = "", at: datetime | None = None) -> None:
        self.state.finish(order_no, "rejected", {"note": reason} if reason else None, at)

    def cancel(self, order_no: str) -> None:
        self.state.cancel(order_no)

    def _form(self, order_no: str, note: str, signature: bool, photos: int,
              barcodes: tuple[str, ...]) -> dict[str, Any]:
        base = f"{self.url}/pod/{order_no}"
        form: dict[str, Any] = {"note": note}
        if signature:
            form["signature"] = {"type": "signature", "url": f"{base}/sig.png"}
        form["images"] = [{"type": "image", "url": f"{base}/p{i + 1}.jpg"}
                          for i in range(photos)]
        if barcodes:
            form["barcode"] = [{"barcode": b, "scanInfo": {"status": "scanned"}}
                               for b in barcodes]
        return form

    def add_event(self, kind: str, *, at: datetime, serial: str | None = None,
                  order_no: str | None = None, **extra: Any) -> None:
        """Append any event as the phone would report it, e.g. late and out of order."""
        with self.state.lock:
            order = self.state.find({"orderNo": order_no}) if order_no else None
            driver = self.state.drivers[serial] if serial else None
            self.state.emit(kind, driver, order, at, **extra)
