"""`doorstep bench replies`: how well and how fast replies are understood.

On the two corpora of tests/data/replies — `tuned.jsonl` (what the rules were developed
against) and `held_out.jsonl` (written before tuning, in other voices, never tuned on) — it
measures intent accuracy, slots right (on the lines that give slots), opt-outs missed and
invented, and precision/recall per intent; then replies classified per second, cold (every
cache emptied) and warm (the same replies again, as real traffic repeats "yes" and "STOP"),
beside `dateparser.parse` alone on the same texts in the same run.

The corpus is read at a fixed instant, Thursday 2026-11-19 15:00 in New York, which its
expected dates assume.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table

import doorstep
from doorstep.messaging.replies import CONTEXTS, INTENTS, Reply, classify, clear_caches

CORPUS_TZ = ZoneInfo("America/New_York")
CORPUS_NOW = datetime(2026, 11, 19, 15, 0, tzinfo=CORPUS_TZ)
SETS = ("tuned", "held_out")


class CorpusError(Exception):
    pass


@dataclass(frozen=True)
class Case:
    text: str
    context: str
    lang: str
    intent: str
    slots: dict[str, Any] = field(default_factory=dict)


def default_corpus() -> Path | None:
    """The repository's tests/data/replies, when doorstep runs from a checkout."""
    here = Path(doorstep.__file__).resolve().parents[2] / "tests" / "data" / "replies"
    return here if (here / "tuned.jsonl").exists() else None


def load(path: Path) -> list[Case]:
    cases = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise CorpusError(f"cannot read {path}: {e.strerror}") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            case = Case(text=row["text"], context=row["context"], lang=row["lang"],
                        intent=row["intent"], slots=row.get("slots", {}))
        except (ValueError, KeyError, TypeError) as e:
            raise CorpusError(f"{path}:{number}: not a corpus line ({e})") from None
        if case.context not in CONTEXTS or case.intent not in INTENTS:
            raise CorpusError(f"{path}:{number}: unknown context or intent")
        cases.append(case)
    return cases


def read(case: Case) -> Reply:
    return classify(case.text, context=case.context, lang=case.lang, now=CORPUS_NOW, tz=CORPUS_TZ)


def evaluate(cases: Sequence[Case]) -> dict[str, Any]:
    """Accuracy, opt-out errors, slots and per-intent precision/recall of one corpus."""
    got = [read(c) for c in cases]
    right = [g.intent == c.intent for c, g in zip(cases, got, strict=True)]
    with_slots = [(c, g) for c, g in zip(cases, got, strict=True) if c.slots]
    slots_right = sum(all(g.slots.get(k) == v for k, v in c.slots.items()) for c, g in with_slots)
    wanted = Counter(c.intent for c in cases)
    said = Counter(g.intent for g in got)
    hits = Counter(c.intent for c, ok in zip(cases, right, strict=True) if ok)
    per_intent = {i: {"n": wanted[i], "predicted": said[i],
                      "precision": hits[i] / said[i] if said[i] else None,
                      "recall": hits[i] / wanted[i] if wanted[i] else None}
                  for i in INTENTS if wanted[i] or said[i]}
    return {
        "n": len(cases),
        "intent_accuracy": sum(right) / len(cases) if cases else 0.0,
        "optouts": wanted["stop"],
        "optouts_missed": [c.text for c, g in zip(cases, got, strict=True)
                           if c.intent == "stop" and g.intent != "stop"],
        "optouts_invented": [c.text for c, g in zip(cases, got, strict=True)
                             if g.intent == "stop" and c.intent != "stop"],
        "slots_checked": len(with_slots),
        "slots_right": slots_right,
        "per_intent": per_intent,
        "wrong": [{"text": c.text, "context": c.context, "want": c.intent, "got": g.intent}
                  for c, g, ok in zip(cases, got, right, strict=True) if not ok],
    }


def _rate(work: Callable[[], int], *, seconds: float = 1.0) -> float:
    """Items per second of `work` (which returns how many it did), repeated for `seconds`."""
    done, start = 0, time.perf_counter()
    while True:
        done += work()
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return done / elapsed


def speed(cases: Sequence[Case]) -> dict[str, float]:
    import dateparser

    def cold() -> int:
        clear_caches()
        for c in cases:
            read(c)
        return len(cases)

    def warm() -> int:
        for c in cases:
            read(c)
        return len(cases)

    def raw_dateparser() -> int:
        for c in cases:
            dateparser.parse(c.text, languages=[c.lang], settings={"RELATIVE_BASE": CORPUS_NOW})
        return len(cases)

    raw_dateparser()  # load dateparser's language data before timing anything
    return {"classify_cold_per_s": _rate(cold), "classify_warm_per_s": _rate(warm),
            "dateparser_parse_per_s": _rate(raw_dateparser)}


def run(corpus: Path) -> dict[str, Any]:
    sets = {name: load(corpus / f"{name}.jsonl") for name in SETS}
    result: dict[str, Any] = {"corpus": str(corpus), "now": CORPUS_NOW.isoformat(),
                              "tz": str(CORPUS_TZ)}
    result["sets"] = {name: evaluate(cases) for name, cases in sets.items()}
    result["speed"] = speed([c for cases in sets.values() for c in cases])
    result["ok"] = all(not s["optouts_missed"] and not s["optouts_invented"]
                       for s in result["sets"].values())
    return result


def render(result: dict[str, Any], console: Console) -> None:
    summary = Table(title=f"Reply understanding — {result['corpus']}, read at {result['now']}")
    for column in ("set", "n", "intent accuracy", "slots right", "opt-outs", "missed", "invented"):
        summary.add_column(column, justify="left" if column == "set" else "right")
    for name, s in result["sets"].items():
        summary.add_row(name, str(s["n"]), f"{s['intent_accuracy']:.1%}",
                        f"{s['slots_right']}/{s['slots_checked']}", str(s["optouts"]),
                        str(len(s["optouts_missed"])), str(len(s["optouts_invented"])))
    console.print(summary)
    for name, s in result["sets"].items():
        table = Table(title=f"{name}: per intent")
        for column in ("intent", "n", "predicted", "precision", "recall"):
            table.add_column(column, justify="left" if column == "intent" else "right")
        for intent, row in s["per_intent"].items():
            table.add_row(intent, str(row["n"]), str(row["predicted"]), _share(row["precision"]),
                          _share(row["recall"]))
        console.print(table)
        for wrong in s["wrong"]:
            console.print(f"  {name} wrong: {wrong['text']!r} ({wrong['context']}) "
                          f"want {wrong['want']}, got {wrong['got']}", highlight=False,
                          markup=False)
    rates = Table(title="Speed (replies/s, same texts, same run)")
    rates.add_column("what")
    rates.add_column("replies/s", justify="right")
    sp = result["speed"]
    rates.add_row("classify, cold (caches emptied each pass)", f"{sp['classify_cold_per_s']:,.0f}")
    rates.add_row("classify, warm (replies seen before)", f"{sp['classify_warm_per_s']:,.0f}")
    rates.add_row("dateparser.parse alone (raw)", f"{sp['dateparser_parse_per_s']:,.0f}")
    console.print(rates)


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"
