"""The stop-history CSV: the documented interface an operator imports, and the simulator's own.

One row per stop, times in ISO 8601 with an offset:

    date,timezone,depot,route_id,driver_id,stop_sequence,planned_arrival,actual_arrival,
    route_started_at,platform_eta

`platform_eta` may be empty. Reading validates every row first; a bad file raises
`HistoryError` naming the line and the column, and nothing of it is returned.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

COLUMNS = ("date", "timezone", "depot", "route_id", "driver_id", "stop_sequence",
           "planned_arrival", "actual_arrival", "route_started_at", "platform_eta")


class HistoryError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class StopRow:
    date: date
    timezone: str
    depot: str
    route_id: str
    driver_id: str
    stop_sequence: int
    planned_arrival: datetime
    actual_arrival: datetime
    route_started_at: datetime
    platform_eta: datetime | None = None

    def as_csv(self) -> list[str]:
        return [self.date.isoformat(), self.timezone, self.depot, self.route_id, self.driver_id,
                str(self.stop_sequence), self.planned_arrival.isoformat(),
                self.actual_arrival.isoformat(), self.route_started_at.isoformat(),
                self.platform_eta.isoformat() if self.platform_eta else ""]


def _instant(value: str, column: str, where: str) -> datetime:
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise HistoryError(f"{where}, column {column}: not an ISO 8601 time: {value!r}") from None
    if at.tzinfo is None or at.utcoffset() is None:
        raise HistoryError(f"{where}, column {column}: {value!r} has no UTC offset") from None
    return at


def parse(text: str, source: str = "history") -> list[StopRow]:
    """Every row of a history CSV, or HistoryError at the first bad line (line 1 is the header)."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        raise HistoryError(f"{source}: empty file; expected the header {','.join(COLUMNS)}")
    names = [h.strip().lower() for h in header]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise HistoryError(f"{source}:1: header lacks column(s) {', '.join(missing)}; "
                           f"expected {','.join(COLUMNS)}")
    at = {c: names.index(c) for c in COLUMNS}
    rows: list[StopRow] = []
    zones: dict[str, ZoneInfo] = {}
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        where = f"{source}:{line}"
        if len(cells) != len(names):
            raise HistoryError(f"{where}: {len(cells)} fields, expected {len(names)}")
        v = {c: cells[i].strip() for c, i in at.items()}
        for c in COLUMNS[:-1]:
            if not v[c]:
                raise HistoryError(f"{where}, column {c}: empty")
        try:
            day = date.fromisoformat(v["date"])
        except ValueError:
            raise HistoryError(f"{where}, column date: not a YYYY-MM-DD date: {v['date']!r}") from None
        tz = v["timezone"]
        if tz not in zones:
            try:
                zones[tz] = ZoneInfo(tz)
            except (ZoneInfoNotFoundError, ValueError):
                raise HistoryError(f"{where}, column timezone: unknown time zone {tz!r}") from None
        try:
            seq = int(v["stop_sequence"])
        except ValueError:
            seq = 0
        if seq < 1:
            raise HistoryError(f"{where}, column stop_sequence: expected a whole number >= 1, "
                               f"got {v['stop_sequence']!r}")
        planned = _instant(v["planned_arrival"], "planned_arrival", where)
        actual = _instant(v["actual_arrival"], "actual_arrival", where)
        started = _instant(v["route_started_at"], "route_started_at", where)
        eta = _instant(v["platform_eta"], "platform_eta", where) if v["platform_eta"] else None
        if abs(actual - planned) > timedelta(hours=24):
            raise HistoryError(f"{where}, column actual_arrival: more than 24 h from "
                               f"planned_arrival ({v['actual_arrival']} vs {v['planned_arrival']})")
        rows.append(StopRow(day, tz, v["depot"], v["route_id"], v["driver_id"], seq, planned,
                            actual, started, eta))
    return rows


def read_history(path: Path) -> list[StopRow]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as e:
        raise HistoryError(f"cannot read {path}: {e.strerror}") from None
    except UnicodeDecodeError:
        raise HistoryError(f"{path}: not UTF-8 text") from None
    return parse(text, str(path))


def to_csv(rows: Iterable[StopRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(row.as_csv())
    return out.getvalue()


def write_history(path: Path, rows: Iterable[StopRow]) -> None:
    path.write_text(to_csv(rows), encoding="utf-8")


def simulated_history(days: int, deliveries: int, seed: int = 7, *,
                      first_day: date = date(2026, 10, 5),
                      operator_file: Path | None = None,
                      scenario_file: Path | None = None) -> list[StopRow]:
    """Plan against actual arrivals of every reached stop over `days` consecutive simulated
    days (each day its own draw: the seed and the date key the simulator's randomness)."""
    from doorstep.config import load_operator
    from doorstep.sim import generate_day, load_scenario

    operator = load_operator(operator_file or _default_operator())
    scenario = load_scenario(scenario_file)
    rows: list[StopRow] = []
    for i in range(days):
        day = generate_day(operator, scenario, first_day + timedelta(days=i), seed, deliveries)
        for route in day.routes:
            rows.extend(_route_rows(day, route))
    return rows


def _default_operator() -> Path:
    import doorstep

    here = Path(doorstep.__file__).resolve().parents[2] / "doorstep.toml"
    if here.exists():
        return here
    return Path("doorstep.toml")


def _route_rows(day: object, route: object) -> Iterator[StopRow]:
    from doorstep.domain import EventType
    from doorstep.sim.model import SimDay, SimRoute
    from doorstep.sim.routeplay import route_stream

    assert isinstance(day, SimDay) and isinstance(route, SimRoute)
    tz = route.depot.market.tz
    started: datetime | None = None
    arrived: dict[str, datetime] = {}
    eta: dict[str, datetime] = {}
    for _, _, _, event in route_stream(day, route):
        kind, data = event["type"], event["data"]
        at = datetime.fromisoformat(event["occurred_at"]).astimezone(tz)
        if kind == EventType.ROUTE_STARTED.value:
            started = at
        elif kind == EventType.DELIVERY_ARRIVED.value:
            arrived[data["delivery_id"]] = at
        elif kind == EventType.DELIVERY_ETA_UPDATED.value and data["delivery_id"] not in arrived:
            eta[data["delivery_id"]] = datetime.fromisoformat(data["eta"]).astimezone(tz)
    if started is None:
        return
    driver = route.shift.working_driver
    for d in route.stops:
        if d.id not in arrived:
            continue  # not reached: the route ended before it
        yield StopRow(day.service_date, str(tz), route.depot.id, route.id,
                      driver.id if driver else "unknown", d.sequence,
                      datetime.fromtimestamp(round(d.planned_ts), tz), arrived[d.id], started,
                      eta.get(d.id))
