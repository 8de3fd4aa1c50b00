"""The intent of a reply that is not STOP/START/HELP, given the question it answers.

Rules in a fixed order per kind of question; the first that holds decides. Drivers are asked
about shifts and routes (driver_confirm, gap_offer, driver_status); recipients about their
delivery (redelivery_offer, address_confirm, access_instructions, pre_delivery). Only drivers
call out or report exceptions; only recipients give addresses and delivery instructions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from doorstep.messaging.replies import lexicon as lx
from doorstep.messaging.replies.dates import When, extract
from doorstep.messaging.replies.text import Norm, has_phrase

Intent = Literal["yes", "no", "choice", "date_time", "instructions", "address", "stop", "start",
                 "help", "callout", "exception", "question", "other"]
DRIVER_CONTEXTS = frozenset({"driver_confirm", "gap_offer", "driver_status"})
CHOICE_CONTEXTS = frozenset({"redelivery_offer", "gap_offer", "pre_delivery", "driver_confirm"})

Slots = dict[str, str | int]


@dataclass(frozen=True)
class Decision:
    intent: Intent
    confidence: float
    slots: Slots = field(default_factory=dict)


@dataclass(frozen=True)
class Reading:
    """What the rules need to know about one reply, computed once."""

    norm: Norm
    when: When
    yes: bool
    no: bool
    asks: bool

    @property
    def flat(self) -> str:
        return self.norm.flat


def decide(norm: Norm, context: str, *, lang: str, today: date) -> Decision:
    if not norm.words:
        return Decision("other", 0.3)
    driver = context in DRIVER_CONTEXTS
    when = extract(norm, today=today, lang=lang, driver=driver)
    r = Reading(norm=norm, when=when, yes=_yes(norm), no=_no(norm), asks=_asks(norm))
    return _driver(r, context) if driver else _recipient(r, context)


def _driver(r: Reading, context: str) -> Decision:
    worse = _callout_or_exception(r, context)
    if worse is not None:
        return worse
    choice = _choice(r.norm) if context in CHOICE_CONTEXTS else None
    if choice is not None:
        return Decision("choice", 0.95, {"choice": choice})
    if r.yes:
        return Decision("yes", _sure(r.norm, 0.95, 0.85), r.when.slots())
    if r.asks:
        return Decision("question", 0.8)
    if r.when.found:
        return Decision("date_time", 0.8, r.when.slots())
    if r.no and (context != "driver_status" or r.norm.words[0] in lx.NO_WORDS):
        return Decision("no", _sure(r.norm, 0.95, 0.8), _refused(r.when))
    return _fallback(r, context)


def _callout_or_exception(r: Reading, context: str) -> Decision | None:
    exception = lx.first_reason(lx.EXCEPTION_REASONS, r.flat)
    called_out = lx.CALLOUT.search(r.flat) is not None
    reason = lx.first_reason(lx.CALLOUT_REASONS, r.flat)
    if context == "driver_confirm":
        declined = called_out or (r.no and _has_more_than_no(r.norm))
        if exception and not declined and reason != "car_trouble":
            return Decision("exception", 0.9, {"reason": exception})
        if declined or (reason is not None and reason != "appointment"):
            if reason is None and exception in lx.VEHICLE_REASONS:
                reason = "car_trouble"
            return _callout(reason, 0.9 if reason else 0.75)
        return None
    if exception:
        return Decision("exception", 0.9, {"reason": exception})
    if context == "driver_status" and (called_out or reason in ("sick", "family", "emergency")):
        return _callout(reason, 0.85)
    return None


def _callout(reason: str | None, confidence: float) -> Decision:
    return Decision("callout", confidence, {"reason": reason} if reason else {})


def _recipient(r: Reading, context: str) -> Decision:
    if context in CHOICE_CONTEXTS:
        choice = _choice(r.norm)
        if choice is not None:
            return Decision("choice", 0.95, {"choice": choice})
    address = _address(r.norm, broad=context == "address_confirm")
    if address is not None:
        return Decision("address", 0.85, {"address": address})
    if context == "access_instructions":
        decided = _access(r)
        if decided is not None:
            return decided
    if r.asks:
        return Decision("question", 0.8)
    if r.when.found:
        return Decision("date_time", 0.9 if r.when.day and len(r.when.slots()) > 1 else 0.85,
                        r.when.slots())
    if context in ("redelivery_offer", "pre_delivery") and lx.CANCEL.search(r.flat) \
            and not r.norm.question:
        return Decision("no", 0.8, _refused(r.when))
    if lx.INSTRUCTIONS.search(r.flat):
        return Decision("instructions", 0.85, _instructions(r.norm))
    if r.yes:
        return Decision("yes", _sure(r.norm, 0.95, 0.8))
    if r.no:
        return Decision("no", _sure(r.norm, 0.95, 0.8), _refused(r.when))
    return _fallback(r, context)


def _access(r: Reading) -> Decision | None:
    """Gate codes and instructions come first; "no code, thanks" is a no."""
    if (r.no or r.norm.words[0] in lx.NOTHING) and \
            all(w in lx.NOTHING or w in lx.FILLERS for w in r.norm.words):
        return Decision("no", 0.9)
    if lx.CODE.search(r.flat) or lx.INSTRUCTIONS.search(r.flat):
        return Decision("instructions", 0.9, _instructions(r.norm))
    return None


def _fallback(r: Reading, context: str) -> Decision:
    if r.norm.question:
        return Decision("question", 0.7)
    if context == "access_instructions" and len(_content(r.norm)) >= 2:
        return Decision("instructions", 0.6, _instructions(r.norm))
    return Decision("other", 0.5 if set(r.norm.words) <= (lx.THANKS | lx.FILLERS) else 0.4)


def _sure(norm: Norm, short: float, long: float) -> float:
    return short if len(norm.words) <= 3 else long


def _first(norm: Norm) -> tuple[str, ...]:
    """The first clause without its greetings and interjections ("lol ok" -> "ok")."""
    for clause in norm.clauses:
        words = list(clause)
        while words and (words[0] in lx.INTERJECTIONS or tuple(words[:2]) in lx.GREETINGS):
            words.pop(0)
        if words:
            return tuple(words)
    return ()


def _yes(norm: Norm) -> bool:
    first = _first(norm)
    if not first:
        return False
    core = tuple(w for w in first if w not in lx.FILLERS or w in lx.YES_WORDS)
    if core in lx.YES_LEAD:
        return True
    if any(first[:len(p)] == p for p in lx.YES_LEAD if len(p) > 1 and p[0] != "i"):
        return True
    return first[0] in lx.YES_WORDS and first[1:2] != ("not",)


def _no(norm: Norm) -> bool:
    first = _first(norm)
    if not first:
        return False
    if first[0] in lx.NO_WORDS and first[1:2] and first[1] in lx.NOT_NO_AFTER:
        return False
    if first[0] in lx.NO_WORDS or (first[0] == "not" and first[1:2] not in (("sure",), ("bad",))):
        return True
    return lx.NEGATIVE.search(norm.flat) is not None


def _content(norm: Norm) -> list[str]:
    return [w for w in norm.words if w not in lx.FILLERS and w not in lx.THANKS]


def _has_more_than_no(norm: Norm) -> bool:
    return any(w not in lx.NO_NOISE and w not in lx.FILLERS for w in norm.words)


def _asks(norm: Norm) -> bool:
    """A question about us ("what time are you coming?"), not a request ("can you come at 5?")."""
    first = _first(norm)
    if not first or lx.PROPOSING.match(" ".join(first)):
        return False
    return first[0] in lx.WH or any(has_phrase(first[:len(p)], p) for p in lx.ASKING)


def _choice(norm: Norm) -> int | None:
    """A numbered option and nothing else but politeness: "2", "#2", "option 2 please", "la dos"."""
    found: list[tuple[str, int]] = []
    for w in norm.words:
        n = lx.NUMBERS.get(w)
        if n is None and re.fullmatch(r"#?[1-9]", w):
            n = int(w.lstrip("#"))
        if n is not None:
            found.append((w, n))
        elif w not in lx.CHOICE_FILLERS:
            return None
    if len(found) > 1:  # "the first one"
        found = [(w, n) for w, n in found if w != "one"]
    return found[0][1] if len(found) == 1 else None


def _address(norm: Norm, *, broad: bool) -> str | None:
    flat = norm.flat
    if lx.STREET.search(flat) or lx.STREET_ES.search(flat):
        m = lx.RAW_STREET.search(norm.raw)
        if m is not None:
            return _clean(lx.ADDRESS_TAIL.sub("", norm.raw[m.start():]))
    if broad and lx.UNIT.search(flat):
        m = lx.RAW_UNIT.search(norm.raw)
        if m is not None:
            return f"{m.group(1)} {m.group(2)}"
    if broad:
        alone = lx.UNIT_ALONE.search(norm.raw)
        if alone is not None:
            return alone.group(1)
    return None


def _instructions(norm: Norm) -> Slots:
    slots: Slots = {"text": _clean(norm.raw)}
    m = lx.CODE.search(norm.flat)
    if m is not None:
        slots["code"] = next(g for g in m.groups() if g)
    return slots


def _refused(when: When) -> Slots:
    return {"not_date": when.not_dates[0].isoformat()} if when.not_dates else {}


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip(" \t\n.,;:!")
