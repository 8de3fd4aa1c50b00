"""The stop-history CSV: good rows read, a bad row named by line and column, nothing half-read."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from doorstep.windows.history import (
    COLUMNS,
    HistoryError,
    parse,
    read_history,
    simulated_history,
    to_csv,
)

HEADER = ",".join(COLUMNS)
GOOD = ("2026-10-05,America/New_York,nyc-bk,R1,drv-1,1,2026-10-05T08:45:00-04:00,"
        "2026-10-05T08:52:30-04:00,2026-10-05T08:30:00-04:00,2026-10-05T08:50:00-04:00")
NO_ETA = ("2026-10-05,America/New_York,nyc-bk,R1,drv-1,2,2026-10-05T09:00:00-04:00,"
          "2026-10-05T09:01:00-04:00,2026-10-05T08:30:00-04:00,")


def test_good_rows_are_read_with_their_offsets() -> None:
    rows = parse("\n".join([HEADER, GOOD, "", NO_ETA]) + "\n")
    assert len(rows) == 2
    first, second = rows
    assert first.date == date(2026, 10, 5) and first.stop_sequence == 1
    assert (first.actual_arrival - first.planned_arrival).total_seconds() == 450
    assert first.platform_eta is not None and second.platform_eta is None
    assert parse(to_csv(rows)) == rows


def test_columns_may_come_in_any_order() -> None:
    cols = list(reversed(COLUMNS))
    cells = dict(zip(COLUMNS, GOOD.split(","), strict=True))
    rows = parse(",".join(cols) + "\n" + ",".join(cells[c] for c in cols) + "\n")
    assert rows[0].route_id == "R1"


@pytest.mark.parametrize(("bad", "says"), [
    (GOOD.replace("-04:00,2026-10-05T08:52:30-04:00", ",2026-10-05T08:52:30-04:00", 1),
     "line 3, column planned_arrival: '2026-10-05T08:45:00' has no UTC offset"),
    (GOOD.replace("08:52:30", "8h52"), "line 3, column actual_arrival: not an ISO 8601 time"),
    (GOOD.replace(",1,", ",0,"), "line 3, column stop_sequence"),
    (GOOD.replace(",1,", ",first,"), "line 3, column stop_sequence"),
    (GOOD.replace("America/New_York", "Mars/Olympus"), "line 3, column timezone"),
    (GOOD.replace("2026-10-05,", "10/05/2026,", 1), "line 3, column date"),
    (GOOD.replace(",drv-1,", ",,"), "line 3, column driver_id: empty"),
    (GOOD + ",extra", "line 3: 11 fields, expected 10"),
    (GOOD.replace("2026-10-05T08:52:30", "2026-10-07T08:52:30"),
     "line 3, column actual_arrival: more than 24 h"),
])
def test_a_bad_row_is_named_by_line_and_column_and_nothing_is_returned(bad: str, says: str
                                                                      ) -> None:
    with pytest.raises(HistoryError) as e:
        parse("\n".join([HEADER, NO_ETA, bad, GOOD]) + "\n", "h.csv")
    assert f"h.csv:{says.split(',')[0].removeprefix('line ')}" in str(e.value)
    assert says.split(",", 1)[-1].strip() in str(e.value)


def test_a_missing_column_or_an_empty_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(HistoryError, match="header lacks column.*platform_eta"):
        parse(",".join(COLUMNS[:-1]) + "\n")
    with pytest.raises(HistoryError, match="empty file"):
        parse("")
    with pytest.raises(HistoryError, match="cannot read"):
        read_history(tmp_path / "absent.csv")


def test_the_simulated_history_has_several_days_and_plausible_lateness() -> None:
    rows = simulated_history(2, 150, seed=3)
    assert {r.date for r in rows} == {date(2026, 10, 5), date(2026, 10, 6)}
    assert len(rows) > 250
    late = sorted((r.actual_arrival - r.planned_arrival).total_seconds() / 60 for r in rows)
    assert -60 < late[len(late) // 2] < 60
    assert all(r.actual_arrival >= r.route_started_at for r in rows)
    assert parse(to_csv(rows)) == rows
