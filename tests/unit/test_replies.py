"""Reply understanding: opt-outs first and exact, then each intent, dates, Spanish."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from doorstep.messaging.replies import CONTEXTS, INTENTS, Reply, classify

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 19, 15, 0, tzinfo=NY)  # a Thursday afternoon in New York


def intent(text: str, context: str = "pre_delivery", lang: str = "auto") -> str:
    return classify(text, context=context, lang=lang, now=NOW).intent


def slots(text: str, context: str = "redelivery_offer", lang: str = "auto") -> dict[str, object]:
    return dict(classify(text, context=context, lang=lang, now=NOW).slots)


# --- STOP and its synonyms: every casing, spacing and punctuation, every context ---------------

KEYWORDS = ["stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout",
            "alto", "baja", "parar", "basta", "cancelar", "detener"]
CASINGS = [str.lower, str.upper, str.title, lambda w: "".join(
    c.upper() if i % 2 else c for i, c in enumerate(w))]
DRESSINGS = ["{}", " {} ", "\t{}\n", "{}.", "{}!", "{}!!!", "\"{}\"", "'{}'", "...{}...", "{} ",
             "({})", "*{}*", "{}?", "{} please", "please {}", "{} por favor", "{} 🛑", "¡{}!"]


@pytest.mark.parametrize("keyword", KEYWORDS)
@pytest.mark.parametrize("context", CONTEXTS)
def test_an_opt_out_keyword_opts_out_in_any_case_and_dress(keyword: str, context: str) -> None:
    for case in CASINGS:
        for dress in DRESSINGS:
            text = dress.format(case(keyword))
            assert intent(text, context) == "stop", text


@pytest.mark.parametrize("text", [
    "Stop texting me!!", "stop sending me these", "STOP SENDING MESSAGES", "pls stop messaging me",
    "take me off your list", "please take me off all your lists", "remove me from this list",
    "remove my number", "don't text me again", "do not contact me", "Do NOT message me",
    "I want to opt out", "opt me out", "Opt-Out", "OPT OUT", "STOP ALL", "stop it", "Stop now!",
    "stop stop stop", "I said stop", "make it stop", "stop, I already got it", "leave me alone",
    "no more texts", "No more messages please", "quit texting me", "unsubscribe me",
    "how do I unsubscribe", "I never signed up for this", "you have the wrong number", "Wrong number, stop",
    "I don't want these texts", "not interested in your alerts", "stop the texts",
    "end these messages", "🛑", "🛑🛑", "stopp", "STOPPPP", "I revoke my consent",
    "no más mensajes", "NO MAS MENSAJES", "no me manden más mensajes", "ya no me escriban",
    "dejen de mandarme mensajes", "deja de escribirme", "quiero darme de baja", "denme de baja",
    "quítenme de la lista", "bórrenme de su lista", "ya no quiero recibir mensajes",
    "no quiero mensajes", "número equivocado", "STOP por favor", "alto por favor", "ya basta",
    "paren de mandar mensajes", "desuscribirme",
])
@pytest.mark.parametrize("context", ["pre_delivery", "redelivery_offer", "driver_confirm"])
def test_an_opt_out_in_reasonable_words_opts_out(text: str, context: str) -> None:
    assert intent(text, context) == "stop"


@pytest.mark.parametrize("text, context, expected", [
    ("please stop by after 5", "pre_delivery", "date_time"),
    ("Please stop by after 5", "redelivery_offer", "date_time"),
    ("don't stop, I need this package", "pre_delivery", "other"),
    ("please don't stop sending updates, I need them", "pre_delivery", "other"),
    ("stop at the back door", "pre_delivery", "instructions"),
    ("stop at the corner house with the red car", "pre_delivery", "instructions"),
    ("leave it at the bus stop", "access_instructions", "instructions"),
    ("the bus stop is right in front of my house", "access_instructions", "instructions"),
    ("stop sign at the corner, second house", "access_instructions", "instructions"),
    ("what's my first stop?", "driver_confirm", "question"),
    ("how many stops is it?", "gap_offer", "question"),
    ("my house is the last stop on your route", "pre_delivery", "other"),
    ("can you stop here tomorrow", "redelivery_offer", "date_time"),
    ("cancel my delivery", "redelivery_offer", "no"),
    ("cancel the redelivery, I'll pick it up", "redelivery_offer", "no"),
    ("cancel it", "redelivery_offer", "no"),
    ("house at the end of the road", "access_instructions", "instructions"),
    ("text me when you're close", "pre_delivery", "instructions"),
    ("call me, don't text me before 9", "pre_delivery", "instructions"),
    ("para mañana por favor", "redelivery_offer", "date_time"),
    ("dejar en planta baja", "access_instructions", "instructions"),
    ("basta con dejarlo en la puerta", "access_instructions", "instructions"),
    ("no me manden el paquete hoy, mejor mañana", "pre_delivery", "date_time"),
    ("en la parada del bus", "access_instructions", "instructions"),
    ("the end", "pre_delivery", "other"),
    ("I quit smoking lol", "pre_delivery", "other"),
])
def test_look_alikes_are_not_opt_outs(text: str, context: str, expected: str) -> None:
    assert intent(text, context) == expected


@pytest.mark.parametrize("text", ["START", "start", "Start.", "UNSTOP", "unstop", "resubscribe",
                                  "start again please", "opt me back in", "comenzar"])
def test_start_opts_back_in(text: str) -> None:
    assert intent(text) == "start"


@pytest.mark.parametrize("text", ["HELP", "help", "Help!", "help me", "I need help", "INFO",
                                  "info?", "AYUDA", "ayuda por favor", "necesito ayuda"])
def test_help_asks_for_the_operator(text: str) -> None:
    assert intent(text) == "help"


def test_when_stop_and_anything_else_meet_stop_wins() -> None:
    assert intent("yes stop", "driver_confirm") == "stop"
    assert intent("help stop", "pre_delivery") == "stop"
    assert intent("stop, the gate code is 1234", "access_instructions") == "stop"


# --- each intent ------------------------------------------------------------------------------

@pytest.mark.parametrize("text, context, expected", [
    ("yes", "driver_confirm", "yes"), ("Y", "driver_confirm", "yes"), ("yes!!", "gap_offer", "yes"),
    ("👍", "driver_confirm", "yes"), ("👍🏾", "driver_status", "yes"), ("sure thing", "gap_offer", "yes"),
    ("yup see u then", "driver_confirm", "yes"), ("Sí", "driver_confirm", "yes"),
    ("claro", "address_confirm", "yes"), ("thats right", "address_confirm", "yes"),
    ("ok thanks", "pre_delivery", "yes"), ("no problem", "pre_delivery", "yes"),
    ("nope", "driver_confirm", "no"), ("no", "address_confirm", "no"), ("nah", "gap_offer", "no"),
    ("no gracias", "gap_offer", "no"), ("not this time", "gap_offer", "no"),
    ("I can't make it", "redelivery_offer", "no"), ("👎", "gap_offer", "no"),
    ("2", "redelivery_offer", "choice"), ("option 3", "redelivery_offer", "choice"),
    ("#1", "gap_offer", "choice"), ("la dos", "redelivery_offer", "choice"),
    ("tomorrow after 5", "redelivery_offer", "date_time"),
    ("gate code 1234", "access_instructions", "instructions"),
    ("leave with neighbor", "access_instructions", "instructions"),
    ("dejar con el portero", "access_instructions", "instructions"),
    ("no it's 125 Main St", "address_confirm", "address"), ("apt 4B", "address_confirm", "address"),
    ("cant make it, sick", "driver_confirm", "callout"), ("calling out", "driver_confirm", "callout"),
    ("truck broke down on 5th ave", "driver_confirm", "exception"),
    ("flat tire on route 9", "driver_status", "exception"),
    ("what time are you coming?", "pre_delivery", "question"),
    ("who is this", "pre_delivery", "question"),
    ("thanks", "pre_delivery", "other"), ("😂", "pre_delivery", "other"), ("", "pre_delivery", "other"),
])
def test_each_intent(text: str, context: str, expected: str) -> None:
    assert intent(text, context) == expected


def test_choice_address_instructions_and_reasons_carry_their_slots() -> None:
    assert slots("option 2 please") == {"choice": 2}
    assert slots("2️⃣") == {"choice": 2}
    assert slots("No, it's 418 Clinton Ave, not 481", "address_confirm") == \
        {"address": "418 Clinton Ave"}
    assert slots("Gate code is 4471#", "access_instructions") == \
        {"text": "Gate code is 4471#", "code": "4471"}
    assert slots("cant make it, sick", "driver_confirm") == {"reason": "sick"}
    assert slots("my car broke down, can't come in", "driver_confirm") == {"reason": "car_trouble"}
    assert slots("truck broke down on 5th ave", "driver_confirm") == {"reason": "breakdown"}
    assert slots("stuck in traffic on 95", "driver_status") == {"reason": "traffic"}
    assert slots("no puedo mañana") == {"not_date": "2026-11-20"}


# --- dates and times, relative to a fixed now in the market's time zone -----------------------

@pytest.mark.parametrize("text, expected", [
    ("tomorrow after 5", {"date": "2026-11-20", "after": "17:00"}),
    ("tmrw after 5pm", {"date": "2026-11-20", "after": "17:00"}),
    ("not tomorrow, saturday works", {"date": "2026-11-21"}),
    ("tomorrow is no good. Monday?", {"date": "2026-11-23"}),
    ("today before 8pm", {"date": "2026-11-19", "before": "20:00"}),
    ("saturday between 2 and 4", {"date": "2026-11-21", "after": "14:00", "before": "16:00"}),
    ("friday 10am-2pm", {"date": "2026-11-20", "after": "10:00", "before": "14:00"}),
    ("Sat morning", {"date": "2026-11-21", "before": "12:00"}),
    ("thursday", {"date": "2026-11-26"}),  # today is Thursday: the next one
    ("11/24", {"date": "2026-11-24"}),
    ("Nov 30th at 3:30", {"date": "2026-11-30", "at": "15:30"}),
    ("in 2 days", {"date": "2026-11-21"}),
    ("I won't be home until after 6", {"after": "18:00"}),
    ("sábado por la tarde", {"date": "2026-11-21", "after": "12:00", "before": "19:00"}),
    ("mañana por la mañana", {"date": "2026-11-20", "before": "12:00"}),
    ("el lunes después de las 3", {"date": "2026-11-23", "after": "15:00"}),
    ("no puedo mañana, mejor el sábado", {"date": "2026-11-21"}),
    ("24/11", {"date": "2026-11-24"}),
    ("el 24 de noviembre a las 10", {"date": "2026-11-24", "at": "10:00"}),
    ("pasado mañana", {"date": "2026-11-21"}),
    ("ok pero tomorrow mejor", {"date": "2026-11-20"}),
    ("no estoy en casa hasta las 6", {"after": "18:00"}),
])
def test_dates_resolve_against_now_in_the_market(text: str, expected: dict[str, object]) -> None:
    reply = classify(text, context="redelivery_offer", lang="auto", now=NOW, tz=NY)
    assert reply.intent == "date_time"
    assert dict(reply.slots) == expected


def test_today_is_the_markets_today_not_utcs() -> None:
    late_evening = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)  # still Thursday the 19th in New York
    in_ny = classify("tomorrow", context="redelivery_offer", now=late_evening, tz="America/New_York")
    in_utc = classify("tomorrow", context="redelivery_offer", now=late_evening, tz="UTC")
    madrid = classify("mañana", context="redelivery_offer", now=late_evening, tz="Europe/Madrid")
    assert in_ny.slots["date"] == "2026-11-20"
    assert in_utc.slots["date"] == "2026-11-21"
    assert madrid.slots["date"] == "2026-11-21"


def test_drivers_hours_are_read_as_shift_hours() -> None:
    assert slots("can I start at 6 instead?", "driver_confirm") == {"at": "06:00"}
    assert slots("can you come at 6?", "pre_delivery") == {"at": "18:00"}
    assert slots("at 8 in the evening", "pre_delivery") == {"at": "20:00"}


# --- Spanish and Spanglish ---------------------------------------------------------------------

@pytest.mark.parametrize("text, context, expected", [
    ("sí, después de las 5", "redelivery_offer", "date_time"),
    ("no puedo mañana", "redelivery_offer", "no"),
    ("si ahi estare", "driver_confirm", "yes"),
    ("no voy a poder ir, estoy enfermo", "driver_confirm", "callout"),
    ("se descompuso la camioneta", "driver_status", "exception"),
    ("el código es 2468", "access_instructions", "instructions"),
    ("déjalo con el vecino", "pre_delivery", "instructions"),
    ("no, es Calle Juárez 45 depto 2", "address_confirm", "address"),
    ("a qué hora llegan?", "pre_delivery", "question"),
    ("opción 2", "redelivery_offer", "choice"),
    ("ok pero tomorrow mejor", "redelivery_offer", "date_time"),
    ("yes pero after 5", "pre_delivery", "date_time"),
])
def test_spanish_and_spanglish(text: str, context: str, expected: str) -> None:
    assert intent(text, context, "auto") == expected
    assert intent(text, context, "es") == expected


# --- the contract -----------------------------------------------------------------------------

def test_a_reply_is_frozen_and_says_what_it_read() -> None:
    reply = classify("yes", context="driver_confirm", now=NOW)
    assert reply == Reply(text="yes", intent="yes", slots={}, confidence=reply.confidence)
    assert reply.as_dict() == {"text": "yes", "intent": "yes", "slots": {},
                               "confidence": reply.confidence}
    with pytest.raises(dataclasses.FrozenInstanceError):
        reply.intent = "no"  # type: ignore[misc]


def test_an_unknown_context_or_language_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown context 'shift'"):
        classify("yes", context="shift", now=NOW)
    with pytest.raises(ValueError, match="unknown language 'fr'"):
        classify("oui", context="driver_confirm", lang="fr", now=NOW)


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=200), context=st.sampled_from(CONTEXTS),
       lang=st.sampled_from(["en", "es", "auto"]))
def test_any_text_gets_an_intent_and_a_confidence(text: str, context: str, lang: str) -> None:
    reply = classify(text, context=context, lang=lang, now=NOW)
    assert reply.intent in INTENTS
    assert 0.0 <= reply.confidence <= 1.0
    assert reply.text == text


@settings(max_examples=200, deadline=None)
@given(keyword=st.sampled_from(KEYWORDS), context=st.sampled_from(CONTEXTS),
       before=st.text(alphabet=" .!?¡¿,;:\"'()*-_~\t\n", max_size=4),
       after=st.text(alphabet=" .!?¡¿,;:\"'()*-_~\t\n", max_size=4))
def test_a_keyword_in_any_punctuation_is_an_opt_out(keyword: str, context: str, before: str,
                                                    after: str) -> None:
    assert intent(before + keyword.upper() + after, context) == "stop"
