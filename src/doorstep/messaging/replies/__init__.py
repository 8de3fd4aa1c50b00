"""Reply understanding: what a text message answers, in English and Spanish, by rules.

`classify(text, context=..., lang=..., now=..., tz=...)` -> `Reply(text, intent, slots,
confidence)`. Pure: no database, no I/O; `now` and the market's time zone `tz` resolve dates.

Contexts (the question being answered) and what each expects:

| context | question | usual intents |
| --- | --- | --- |
| driver_confirm | "You're on tomorrow 7:00 at Newark. Reply YES or NO" | yes, no, callout, exception, question, date_time (another time) |
| gap_offer | "Open shift tomorrow 7:00 (reply 1/2 when several)" | yes, no, choice, question, date_time |
| driver_status | "How is route 12 going?" | yes (all good), exception, callout, question |
| redelivery_offer | "We missed you: 1 tomorrow, 2 Saturday, 3 pick up, or a day" | choice, date_time, no, instructions, address, question |
| address_confirm | "Is 123 Main St Apt 4 right? YES or the right address" | yes, no, address, instructions |
| access_instructions | "Any gate code or instructions? Reply them or NO" | instructions, no, yes |
| pre_delivery | "Arriving today 2-4pm; reply instructions or a better time" | yes, instructions, date_time, no, question |

Intents: yes, no, choice, date_time, instructions, address, stop, start, help, callout,
exception, question, other. Slots: date_time {"date": ISO day, "after"/"before"/"at": "HH:MM"};
choice {"choice": n}; instructions {"text", "code" when a gate code is given}; address
{"address": the address as written, lead-in words removed}; callout/exception {"reason"} when
obvious (sick, family, injury, appointment, car_trouble, emergency, weather / accident,
flat_tire, fuel, breakdown, theft, injury, road_closed, weather, traffic, overrun); no
{"not_date"} when a refused day is named ("no puedo mañana").

Labelling rules (the corpus in tests/data/replies follows them):

- **STOP first.** `optout.detect` runs before anything else (see its docstring): keywords in
  any case and punctuation, their Spanish equivalents (ALTO, BAJA, PARAR, BASTA, CANCELAR, …),
  and an opt-out in any reasonable words. START/UNSTOP opt back in; HELP/INFO/AYUDA ask for help.
- **CANCEL, decided:** a message that is only CANCEL (any case, punctuation, "please") is an
  opt-out in every context, also in redelivery_offer. Carriers and Twilio block the number on
  that exact keyword whatever we decide, so our state must agree with theirs, and the FCC lists
  "cancel" as a revocation per se. With an object — "cancel my delivery", "cancel the
  redelivery", "cancel it" — it is about the parcel: `no`. The same holds for END, BAJA, PARA
  and FIN (ordinary words: "end of the road", "planta baja", "para mañana").
- **"Wrong number" is an opt-out:** whoever answers never consented; texting on is the exact
  harm the TCPA punishes. "Don't text me (again)" is an opt-out; "don't text me before 9" is not.
- **YES is not an opt-in here** (Twilio treats a bare YES from an opted-out number as one): the
  consent layer may, knowing the number was opted out; the classifier answers the question.
- **Driver declines:** in driver_confirm a bare "no"/"nope"/"can't" is `no`; a decline with a
  reason or callout words ("can't make it, sick", "calling out", "i have court tomorrow so
  no") is `callout`. A problem with the company vehicle or the road is `exception` ("truck
  broke down on 5th ave"); with the driver's own car before the shift, `callout` (car_trouble).
  In gap_offer a decline is always `no` (it is not yet their shift).
- **Precedence for recipients:** choice > address > gate code / instructions (access
  question) > a question about us ("is it going to be today?") > date_time > cancel (`no`) >
  instructions > yes/no > question > other. So "yes tomorrow after 5" and "no, saturday" are
  date_time; "yes but use the side entrance" is instructions; "ok thanks" is yes, "thanks"
  alone is other. For drivers: stop > exception/callout > choice > yes (a time said with a yes
  is kept in the slots) > question > date_time (a counter-proposal: "can I start at 10
  instead?") > no.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from functools import lru_cache
from typing import Literal, get_args
from zoneinfo import ZoneInfo

from doorstep.messaging.replies import dates, intents, optout
from doorstep.messaging.replies import lang as language
from doorstep.messaging.replies.intents import Intent
from doorstep.messaging.replies.text import normalize

Context = Literal["driver_confirm", "gap_offer", "redelivery_offer", "address_confirm",
                  "access_instructions", "pre_delivery", "driver_status"]
INTENTS: tuple[Intent, ...] = get_args(Intent)
CONTEXTS: tuple[Context, ...] = get_args(Context)
LANGS = ("en", "es", "auto")


@dataclass(frozen=True)
class Reply:
    text: str
    intent: Intent
    slots: Mapping[str, str | int]
    confidence: float

    def as_dict(self) -> dict[str, object]:
        return {"text": self.text, "intent": self.intent, "slots": dict(self.slots),
                "confidence": self.confidence}


def classify(text: str, *, context: str, lang: str = "auto", now: datetime | None = None,
             tz: str | tzinfo | None = None) -> Reply:
    """Understand one reply to the question named by `context`.

    `now` (default: the system clock) and `tz` (the market's zone; default: `now`'s own zone)
    give "today"; a naive `now` is read as a time in `tz`."""
    if context not in CONTEXTS:
        raise ValueError(f"unknown context {context!r}; one of {', '.join(CONTEXTS)}")
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; one of {', '.join(LANGS)}")
    intent, confidence, slots = _decide(text, context, lang, _today(now, tz))
    return Reply(text=text, intent=intent, slots=dict(slots), confidence=confidence)


def _today(now: datetime | None, tz: str | tzinfo | None) -> date:
    zone = _zone(tz) if isinstance(tz, str) else tz
    if now is None:
        from doorstep.clock import SystemClock

        now = SystemClock().now()
    if now.tzinfo is None:
        return now.date() if zone is None else now.replace(tzinfo=zone).date()
    return now.astimezone(zone).date() if zone is not None else now.date()


def clear_caches() -> None:
    """Forget every cached reading and date (benchmarks measure a cold start with it)."""
    _decide.cache_clear()
    normalize.cache_clear()
    dates.resolve.cache_clear()


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=16384)
def _decide(text: str, context: str, lang: str, today: date
            ) -> tuple[Intent, float, tuple[tuple[str, str | int], ...]]:
    norm = normalize(text)
    keyword = optout.detect(norm)
    if keyword is not None:
        return keyword.kind, keyword.confidence, ()
    chosen = language.guess(norm) if lang == "auto" else lang
    decision = intents.decide(norm, context, lang=chosen, today=today)
    return decision.intent, decision.confidence, tuple(decision.slots.items())


__all__ = ["CONTEXTS", "INTENTS", "LANGS", "Context", "Intent", "Reply", "classify", "clear_caches"]
