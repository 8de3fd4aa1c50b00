"""`doorstep replies classify` and `doorstep bench replies` as an operator runs them."""

from __future__ import annotations

import json
import os
import subprocess

from tests.integration.http.processes import doorstep_bin


def doorstep(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOORSTEP_")}
    return subprocess.run([doorstep_bin(), *args], input=stdin, env=env, capture_output=True,
                          text=True, timeout=120, check=False)


def test_one_json_object_per_reply_line() -> None:
    lines = ["yes", "STOP", "please stop by after 5", "", "tomorrow after 5",
             "no puedo mañana, mejor el sábado", "2", "Stop texting me!!"]
    done = doorstep("replies", "classify", "--context", "redelivery_offer", "--lang", "auto",
                    "--tz", "America/New_York", "--now", "2026-11-19T15:00",
                    stdin="\n".join(lines) + "\n")
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert [o["text"] for o in out] == lines
    assert [o["intent"] for o in out] == ["yes", "stop", "date_time", "other", "date_time",
                                          "date_time", "choice", "stop"]
    assert out[4]["slots"] == {"date": "2026-11-20", "after": "17:00"}
    assert out[5]["slots"] == {"date": "2026-11-21"}
    assert out[6]["slots"] == {"choice": 2}
    assert all(set(o) == {"text", "intent", "slots", "confidence"} for o in out)
    assert all(0 <= o["confidence"] <= 1 for o in out)


def test_drivers_replies_in_spanish() -> None:
    done = doorstep("replies", "classify", "--context", "driver_confirm", "--lang", "es",
                    stdin="sí, ahí estaré\nno puedo ir, estoy enfermo\nALTO\n")
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert [o["intent"] for o in out] == ["yes", "callout", "stop"]
    assert out[1]["slots"] == {"reason": "sick"}


def test_an_unknown_context_or_bad_option_exits_2_saying_why() -> None:
    unknown = doorstep("replies", "classify", "--context", "shift_confirm", stdin="yes\n")
    assert unknown.returncode == 2
    assert "unknown context 'shift_confirm'" in unknown.stderr
    assert "driver_confirm" in unknown.stderr
    assert unknown.stdout == ""
    bad_zone = doorstep("replies", "classify", "--context", "pre_delivery", "--tz", "Mars/Base")
    assert bad_zone.returncode == 2 and "unknown time zone" in bad_zone.stderr
    bad_now = doorstep("replies", "classify", "--context", "pre_delivery", "--now", "tomorrow")
    assert bad_now.returncode == 2 and "ISO 8601" in bad_now.stderr


def test_bench_replies_reports_both_sets_and_the_rates() -> None:
    done = doorstep("bench", "replies", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    for name in ("tuned", "held_out"):
        figures = result["sets"][name]
        assert figures["n"] >= 100
        assert figures["intent_accuracy"] >= 0.95
        assert figures["optouts_missed"] == [] and figures["optouts_invented"] == []
    assert result["speed"]["classify_cold_per_s"] > 1000
    assert result["speed"]["dateparser_parse_per_s"] > 0
