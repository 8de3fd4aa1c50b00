"""Plan a day: people, vehicles, shifts, deliveries and routes with planned arrival times.

Everything the day needs is decided here or derived from stable keys; what happens on the road
is decided later, route by route, while the day plays (see routeplay.py). The fleet and the
recipients are keyed by seed and depot, not by date, so the same drivers, vans and recipients
come back day after day.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
import re
from datetime import date, time
from zoneinfo import ZoneInfo

from doorstep.config import DepotConfig, OperatorConfig
from doorstep.domain import VehicleClass
from doorstep.sim.crew import decide_crew
from doorstep.sim.model import (
    SimDay,
    SimDelivery,
    SimDepot,
    SimDriver,
    SimMarket,
    SimRoute,
    SimShift,
    SimShipper,
    SimVehicle,
    local_ts,
    run_key,
)
from doorstep.sim.people import (
    SPARE_NPAS,
    fictional_phone,
    person_name,
    pick,
    stable_units,
)
from doorstep.sim.scenario import Scenario
from doorstep.sim.travel import Plane, TravelModel, nearest_neighbour, sweep

FALLBACK_PHONE = "+15555550100"


def generate_day(operator: OperatorConfig, scenario: Scenario, service_date: date, seed: int,
                 deliveries: int) -> SimDay:
    """The plan of one operating day of `deliveries` deliveries over all the operator's depots."""
    if deliveries < 0:
        raise ValueError(f"deliveries: expected 0 or more, got {deliveries}")
    _check_mix(operator, scenario)
    rng = random.Random(f"doorstep-sim:{seed}:{service_date.isoformat()}")
    npas = _market_npas(operator)
    markets = {m.id: SimMarket(m.id, m.name, ZoneInfo(m.timezone), npas[m.id])
               for m in operator.markets}
    depots = [_depot(i, d, markets[d.market], service_date) for i, d in enumerate(operator.depots)]
    shippers = [SimShipper(s.id, i, s.name, s.time_sensitive,
                           s.senders.sms_from or operator.operator.support_phone or FALLBACK_PHONE)
                for i, s in enumerate(operator.shippers)]
    counts = _allocate(deliveries, [scenario.mix.depots.get(d.id, 1.0) for d in depots])
    sizes = [_route_sizes(n, depot.id, seed, scenario, rng)
             for depot, n in zip(depots, counts, strict=True)]

    day = SimDay(operator=operator, scenario=scenario, service_date=service_date, seed=seed,
                 markets=list(markets.values()), depots=depots, shippers=shippers, drivers=[],
                 vehicles=[], shifts=[], routes=[], deliveries=[],
                 operator_phone=operator.operator.support_phone or FALLBACK_PHONE,
                 run_key=run_key(scenario, deliveries))
    _number_people(day, counts)
    travel = TravelModel(scenario.travel)
    shipper_weights = [scenario.mix.shippers.get(s.id, 1.0) for s in shippers]
    for depot, n, route_sizes in zip(depots, counts, sizes, strict=True):
        drivers, vehicles = _fleet(day, depot, len(route_sizes))
        dels = _deliveries(day, depot, n, shipper_weights, rng)
        day.deliveries.extend(dels)
        _routes(day, depot, dels, route_sizes, drivers, vehicles, travel, rng)
    decide_crew(day, rng)
    return day


def _check_mix(operator: OperatorConfig, scenario: Scenario) -> None:
    for field, ids, known in (("mix.depots", scenario.mix.depots, [d.id for d in operator.depots]),
                              ("mix.shippers", scenario.mix.shippers,
                               [s.id for s in operator.shippers])):
        for key in ids:
            if key not in known:
                raise ValueError(f"scenario {field}.{key}: expected one of {known}")
    if sum(scenario.mix.depots.get(d.id, 1.0) for d in operator.depots) <= 0:
        raise ValueError("scenario mix.depots: every depot weighs 0")
    if sum(scenario.mix.shippers.get(s.id, 1.0) for s in operator.shippers) <= 0:
        raise ValueError("scenario mix.shippers: every shipper weighs 0")


def _market_npas(operator: OperatorConfig) -> dict[str, list[str]]:
    """Each market's area codes: its supervisor's (so numbers look local), then spare ones no
    other market uses, so no two markets ever hand out the same number."""
    out: dict[str, list[str]] = {}
    taken: set[str] = set()
    for m in operator.markets:
        phone = m.supervisor.phone if m.supervisor else None
        own = phone[2:5] if phone and phone.startswith("+1") and len(phone) == 12 else None
        out[m.id] = [own] if own and own not in taken else []
        taken.update(out[m.id])
    spare = [npa for npa in SPARE_NPAS if npa not in taken]
    for i, m in enumerate(operator.markets):
        out[m.id] += spare[i::len(operator.markets)]
    return out


def _depot(index: int, cfg: DepotConfig, market: SimMarket, service_date: date) -> SimDepot:
    """A depot, with the city, state and ZIP prefix its recipients' addresses borrow."""
    city, region, prefix = market.name, None, "000"
    parts = [p.strip() for p in cfg.address.split(",")]
    if len(parts) >= 3:
        city = parts[-2] or city
        m = re.fullmatch(r"([A-Z]{2})\s+(\d{5})(?:-\d{4})?", parts[-1])
        if m:
            region, prefix = m.group(1), m.group(2)[:3]
    return SimDepot(cfg.id, index, market, cfg.lat, cfg.lon, city, region, prefix,
                    Plane(cfg.lat, cfg.lon), local_ts(service_date, time(12, 0), market.tz))


def _allocate(total: int, weights: list[float]) -> list[int]:
    """Split `total` by weight, exactly (largest remainder), deterministically."""
    whole = sum(weights)
    raw = [total * w / whole for w in weights]
    out = [math.floor(x) for x in raw]
    by_remainder = sorted(range(len(raw)), key=lambda i: (out[i] - raw[i], i))
    for i in by_remainder[:total - sum(out)]:
        out[i] += 1
    return out


def _route_sizes(n: int, depot_id: str, seed: int, scenario: Scenario,
                 rng: random.Random) -> list[int]:
    """Stops per route: about the target, never more than the route's vehicle carries (a cargo
    bike takes 40, a van the full target); enough routes for all, evenly filled."""
    fleet, day = scenario.fleet, scenario.day
    room: list[int] = []
    while sum(room) < n:
        cls = _vehicle_class(scenario, stable_units(f"{seed}:{depot_id}:v{len(room)}")[0])
        wanted = max(1, round(day.stops_per_route * (1 + rng.uniform(-day.stops_per_route_spread,
                                                                     day.stops_per_route_spread))))
        room.append(min(wanted, fleet.capacity.get(cls, 0) or wanted))
    return [size for size in _allocate(n, [float(r) for r in room]) if size > 0]


def _vehicle_class(scenario: Scenario, u: float) -> VehicleClass:
    mix = scenario.fleet.vehicle_mix
    classes = list(mix)
    cum = _cumulative([mix[c] for c in classes])
    return classes[bisect.bisect_right(cum, u * cum[-1])]


def _number_people(day: SimDay, counts: list[int]) -> None:
    """Give each market's recipients, then its drivers, their own block of phone numbers. The
    blocks depend on the volume and the scenario only, not on the day's draws, so a person
    keeps one number from day to day."""
    for market in day.markets:
        members = [i for i, d in enumerate(day.depots) if d.market is market]
        at = 0
        for i in members:
            day.depots[i].pool_base = at
            pool = counts[i] * day.scenario.recipients.pool_factor
            day.depots[i].pool_size = max(1, math.ceil(pool))
            day.depots[i].radius_km = day.scenario.day.radius_km(counts[i])
            at += day.depots[i].pool_size
        at = math.ceil(at / 9900) * 9900  # drivers start on an area code of their own
        for i in members:
            day.depots[i].driver_base = at
            at += _most_drivers(counts[i], day.scenario)


def _most_drivers(n: int, scenario: Scenario) -> int:
    """The most drivers `n` deliveries can need, whatever the day's draws."""
    day, fleet = scenario.day, scenario.fleet
    caps = [fleet.capacity.get(c, 0) for c, w in fleet.vehicle_mix.items() if w > 0]
    smallest = min([max(1, round(day.stops_per_route * (1 - day.stops_per_route_spread))),
                    *(c for c in caps if c > 0)])
    routes = math.ceil(n / smallest)
    return routes + math.ceil(routes * fleet.on_call_share)


def _fleet(day: SimDay, depot: SimDepot, routes: int) -> tuple[list[SimDriver], list[SimVehicle]]:
    """A driver and a vehicle per route, plus on-call drivers and spare vehicles."""
    fleet = day.scenario.fleet
    drivers = []
    for k in range(routes + math.ceil(routes * fleet.on_call_share)):
        u = stable_units(f"{day.seed}:{depot.id}:d{k}")
        spanish = u[0] < day.scenario.drivers.spanish_share
        drivers.append(SimDriver(f"{depot.id}-drv-{k + 1:03d}", person_name(u[1:3], spanish),
                                 depot, fictional_phone(depot.market.npas, depot.driver_base + k),
                                 "es" if spanish else "en", on_call=k >= routes))
    vehicles = []
    for k in range(routes + math.ceil(routes * fleet.spare_vehicle_share)):
        u = stable_units(f"{day.seed}:{depot.id}:v{k}")
        cls = _vehicle_class(day.scenario, u[0])  # the same draw that sized route k
        plate = "SIM" + "".join(pick("ABCDEFGHJKLMNPRSTUVWXYZ0123456789", x) for x in u[1:5])
        vehicles.append(SimVehicle(f"{depot.id}-veh-{k + 1:03d}", depot, cls,
                                   fleet.capacity.get(cls, 0), plate))
    day.drivers.extend(drivers)
    day.vehicles.extend(vehicles)
    return drivers, vehicles


def _cumulative(weights: list[float]) -> list[float]:
    return list(itertools.accumulate(weights))


def _deliveries(day: SimDay, depot: SimDepot, n: int, shipper_weights: list[float],
                rng: random.Random) -> list[SimDelivery]:
    """`n` orders for the depot, numbered in the order they arrive the day before."""
    tz, planning = depot.market.tz, day.scenario.planning
    t0 = local_ts(day.day_before, planning.orders_from, tz)
    t1 = local_ts(day.day_before, planning.orders_until, tz)
    created = sorted(rng.uniform(t0, t1) for _ in range(n))
    cum = _cumulative(shipper_weights)
    ts_rate = day.scenario.windows.time_sensitive_rate
    out = []
    for k in range(n):
        r = rng.randrange(depot.pool_size)
        shipper = day.shippers[bisect.bisect_right(cum, rng.random() * cum[-1])]
        sensitive = shipper.time_sensitive or rng.random() < ts_rate
        lat, lon = day.recipient_location(depot, r)
        out.append(SimDelivery(f"{depot.id}-{day.service_date:%y%m%d}-{k + 1:05d}", depot,
                               shipper, r, lat, lon, created[k], sensitive))
    return out


def _routes(day: SimDay, depot: SimDepot, dels: list[SimDelivery], sizes: list[int],
            drivers: list[SimDriver], vehicles: list[SimVehicle], travel: TravelModel,
            rng: random.Random) -> None:
    sc, tz = day.scenario, depot.market.tz
    points = [depot.plane.to_xy(d.lat, d.lon) for d in dels]
    groups = sweep(points, sizes, rng.uniform(0, 2 * math.pi))
    earliest = local_ts(day.service_date, sc.day.shift_start_earliest, tz)
    latest = local_ts(day.service_date, sc.day.shift_start_latest, tz)
    step = sc.day.shift_start_step_minutes * 60
    shifts_at = local_ts(day.day_before, sc.planning.shifts_planned_at, tz)
    routes_at = local_ts(day.day_before, sc.planning.routes_planned_at, tz)
    service_s = sc.travel.service_minutes * 60
    widths = sc.windows.widths_hours
    width_cum = _cumulative(sc.windows.width_weights)
    for k, group in enumerate(groups):
        stops = [dels[i] for i in nearest_neighbour(points, group)]
        shift_start = earliest + rng.randint(0, int((latest - earliest) // step)) * step
        start = shift_start + sc.day.load_minutes * 60
        t, lat, lon = start, depot.lat, depot.lon
        for seq, d in enumerate(stops, 1):
            t += travel.drive_seconds(lat, lon, d.lat, d.lon, depot.minute_of_day(t))
            d.planned_ts, d.sequence = t, seq
            hours = (sc.windows.time_sensitive_width_hours if d.time_sensitive
                     else rng.choices(widths, cum_weights=width_cum)[0])
            raw = t - rng.uniform(0.25, 0.75) * hours * 3600
            d.window_start_ts = _floor_local(raw, depot, sc.windows.align_minutes * 60)
            d.window_end_ts = d.window_start_ts + hours * 3600
            t += service_s
            lat, lon = d.lat, d.lon
        back = travel.drive_seconds(lat, lon, depot.lat, depot.lon, depot.minute_of_day(t))
        end = t + back
        # Long enough for the planned route plus a quarter hour, on a quarter hour.
        shift_end = max(shift_start + sc.day.shift_hours * 3600,
                        _floor_local(end + 2 * 900 - 1, depot, 900))
        number = f"{depot.id}-{day.service_date:%y%m%d}"
        shift = SimShift(f"{number}-S{k + 1:03d}", depot, drivers[k], vehicles[k], shift_start,
                         shift_end, shifts_at + k)
        day.shifts.append(shift)
        day.routes.append(SimRoute(f"{number}-R{k + 1:03d}", len(day.routes), depot, shift,
                                   routes_at + k, start, end, back, service_s, stops))


def _floor_local(ts: float, depot: SimDepot, step: float) -> float:
    """Round down to a whole `step` of local wall-clock time (local noon is on every step)."""
    return depot.noon_ts + math.floor((ts - depot.noon_ts) / step) * step
