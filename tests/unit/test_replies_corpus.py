"""The reply corpus: intents right on the part tuned against and on the part kept aside.

held_out.jsonl was written in one go before the rules were tuned and has never been tuned on;
its hash is pinned below so that a change to it is a deliberate, reviewed act.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import pytest

from doorstep.bench.replies import default_corpus, evaluate, load
from doorstep.messaging.replies import CONTEXTS

CORPUS = Path(__file__).parents[1] / "data" / "replies"
HELD_OUT_SHA256 = "025c8904ebb14785fdbf145ba11ad517daa3a00c57ee3e99651470c5da87d36a"


@pytest.mark.parametrize("name", ["tuned", "held_out"])
def test_intents_are_right_and_no_opt_out_is_missed_or_invented(name: str) -> None:
    result = evaluate(load(CORPUS / f"{name}.jsonl"))
    assert result["optouts_missed"] == []
    assert result["optouts_invented"] == []
    assert result["intent_accuracy"] >= 0.95, result["wrong"]
    assert result["slots_right"] >= 0.95 * result["slots_checked"]


def test_the_corpus_is_large_and_varied_enough() -> None:
    tuned, held_out = load(CORPUS / "tuned.jsonl"), load(CORPUS / "held_out.jsonl")
    assert len(tuned) + len(held_out) >= 300 and len(held_out) >= 100
    for cases in (tuned, held_out):
        assert {c.context for c in cases} == set(CONTEXTS)
        assert Counter(c.lang for c in cases)["es"] >= 15
        assert Counter(c.intent for c in cases)["stop"] >= 15


def test_the_held_out_part_is_the_one_written_before_tuning() -> None:
    assert hashlib.sha256((CORPUS / "held_out.jsonl").read_bytes()).hexdigest() == HELD_OUT_SHA256


def test_the_bench_finds_the_corpus_from_the_checkout() -> None:
    assert default_corpus() == CORPUS.resolve()
