"""STOP, START and HELP: read before any other reply logic, in English and Spanish.

Three layers, in this order, for STOP:

1. **The message is a keyword.** After folding case, accents, punctuation, emojis and
   whitespace, every word is an opt-out keyword or politeness ("STOP", " stop. ", "Stop please",
   "STOP 🛑", "alto", "BAJA por favor"). Carriers and Twilio act on the exact single-word
   keywords; we act on these and on the keyword said politely.
2. **The message asks in words** ("stop texting me", "take me off your list", "don't text me
   again", "no más mensajes", "dejen de escribirme", "darme de baja", "wrong number"). The FCC
   rule (in force 11 Apr 2025) lets a consumer revoke consent by any reasonable means.
3. **"stop" used as a verb on its own** ("I said stop", "stop, I already got it", "make it
   stop"), but not the noun or the verb of movement: "please stop by after 5", "stop at the
   back door", "the bus stop", "last stop", "stop sign", nor a negated "don't stop".

Typos of UNSUBSCRIBE (two edits or fewer) count; calls are not texts: "stop calling me" opts
out, "stop calling me, just text" does not.

Words that are ordinary in a delivery conversation — CANCEL, END, BAJA ("planta baja"), PARA
("para mañana"), FIN — opt out only as the whole message (layer 1, with politeness only);
"cancel my delivery" is not an opt-out (see the package docstring).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from doorstep.messaging.replies.text import Norm

Kind = Literal["stop", "start", "help"]

POLITE = frozenset({
    "please", "pls", "plz", "plzz", "plss", "pleasee", "plse", "thanks", "thank", "you", "thx",
    "ty", "por", "favor", "porfa", "porfavor", "xfa", "gracias", "ok", "okay", "now", "ya",
    "ahora", "ahorita",
})
# Keywords that mean nothing but "stop" in a text message.
STRONG_STOP = frozenset({
    "stop", "stopp", "stpo", "sotp", "stp", "stahp", "stopall", "unsubscribe", "unsub", "quit",
    "revoke", "optout", "alto", "parar", "paren", "basta", "detener", "detengan", "desuscribir",
    "desuscribirme", "unsubscribed",
})
# Keywords that are ordinary words too: an opt-out only as the whole (polite) message.
WEAK_STOP = frozenset({"cancel", "end", "cancelar", "baja", "para", "fin", "stop all", "opt out",
                       "no mas", "ya basta", "basta ya", "para ya",
                       "end it", "end all", "no more"})
_STRONG_FILLERS = POLITE | {"it", "all", "already", "asap", "immediately", "right", "away", "just",
                            "forever"}

START_WORDS = frozenset({"start", "unstop", "resubscribe", "subscribe", "optin", "opt in",
                         "comenzar", "iniciar", "reanudar", "reactivar", "suscribir", "restart"})
_START_FILLERS = POLITE | {"again", "me", "back", "de", "nuevo", "otra", "vez"}

HELP_WORDS = frozenset({"help", "helpp", "info", "ayuda", "ayudame", "informacion", "more info",
                        "information"})
_HELP_FILLERS = POLITE | {"me", "i", "need", "necesito", "more", "mas", "some", "sos"}

_COMM_VERB = (r"(?:text\w*|txt\w*|msg\w*|messag\w*|send\w*|contact\w*|bother\w*|spam\w*|"
              r"e ?mail\w*|writ\w*|harass\w*|notif\w*|ping\w*|bug\w*|hitting me up|getting|"
              r"receiving|sms\w*)")
_COMM_NOUN = (r"(?:texts?|txts?|text messages?|messages?|msgs?|msjs?|sms|notifications?|notifs?|"
              r"alerts?|updates?|reminders?|spam|emails?)")
_DET = r"(?:(?:the|these|those|your|all|any|this|such|more)\s+)*"

_EN_PHRASES = [re.compile(p) for p in (
    rf"\b(?:stop|quit|cease|end|halt)\s+(?:all\s+)?{_COMM_VERB}",
    rf"\b(?:stop|quit|cease|end|halt|no more|turn off|unsubscribe from|opt out of)\s+{_DET}"
    rf"{_COMM_NOUN}\b",
    rf"\b(?:dont|do not|never|no longer|dont ever)\s+(?:want|need)\s+{_DET}{_COMM_NOUN}\b",
    rf"\bnot interested in\s+{_DET}{_COMM_NOUN}\b",
    r"\bremove\s+(?:me|my\s+(?:phone\s+)?(?:number|num|info|contact))\b",
    r"\b(?:take|get|delete|drop|erase|scratch)\s+(?:me|my\s+(?:phone\s+)?(?:number|num|info))\s+"
    r"(?:off|from|out of)\b",
    r"\b(?:delete|lose|forget)\s+(?:my|this)\s+(?:phone\s+)?(?:number|num)\b",
    r"\b(?:unsubscribe|unsub|optout|opt out|opt me out|revoke|revoking|unenroll)\b",
    r"\bleave me alone\b",
    rf"\b(?:enough|done with|sick of|tired of)\s+(?:with\s+)?{_DET}{_COMM_NOUN}\b",
    r"\bwhy (?:do|are|do u|are u|r u) (?:you |u )?(?:keep |keeping |still )?(?:texting|messaging|"
    r"txting|sending me)\b|\bkeep (?:texting|messaging|txting) me\b",
    r"^(?:this is |thats |its |this is all |)(?:spam|spammer|junk)$",
    r"\bwrong (?:number|num|person)\b",
    r"\b(?:never|didnt|did not)\s+(?:sign(?:ed)?\s+up|subscribe[d]?|opt(?:ed)?\s+in|"
    r"ask(?:ed)?\s+for\s+(?:this|these|texts|messages))\b",
)]
# Calls are not texts: "stop calling me" opts out, "stop calling me, just text" does not.
_CALLS = re.compile(r"\b(?:stop|quit|dont|do not) call(?:ing)?(?: me)?\b"
                    r"(?!.*\b(?:text|txt|message)\w*\b)")
# "don't text me" is itself negative; "don't text me before 9" is about quiet hours instead.
_EN_DONT = re.compile(
    r"\b(?:dont|do not|never|pls dont|please dont)\s+(?:ever\s+)?(?:text|txt|message|msg|contact|"
    r"sms|email|write|bother)\s+(?:me|this number|my number|us)\b"
    r"(?!\s+(?:before|after|until|till|at|when|if|early|late|so|this|between|on))")
_ES_PHRASES = [re.compile(p) for p in (
    r"\bno\s+(?:me\s+|nos\s+)?(?:manden|mande|mandes|envien|envie|envies|escriban|escriba|escribas|"
    r"contacten|contacte|texteen|textee|molesten|moleste|molestes)"
    r"(?=\s+(?:mas|nada|mensajes?|msjs?|textos?|sms|notificaciones|por|porfa|gracias)\b|\s*$)",
    r"\b(?:dejen|deje|deja|dejes|dejar|paren|pare|para|parar)\s+de\s+(?:mandar|enviar|escribir|"
    r"textear|contactar|molestar|mensajear)\w*",
    r"\b(?:no|ya no|nada)\s+(?:quiero\s+|deseo\s+|necesito\s+)?(?:recibir\s+)?(?:mas\s+)?"
    r"(?:mensajes?|msjs?|textos?|sms|notificaciones|alertas)\b",
    r"\b(?:dar|darme|darse|dame|denme|den|deme|doy|pido|quiero|solicito)\s+(?:de\s+|la\s+)baja\b",
    r"\b(?:quitenme|quiteme|quitame|sacame|saquenme|saqueme|borrenme|borreme|borrame|eliminenme|"
    r"elimineme|eliminame)\b",
    r"\b(?:quiten|borren|eliminen|saquen|quita|borra|elimina)\s+mi\s+numero\b",
    r"\b(?:desuscribir\w*|desinscribir\w*|cancelar\s+(?:la\s+|mi\s+)?suscripcion)\b",
    r"\b(?:numero equivocado|equivocado de numero|se equivocaron de numero|numero incorrecto)\b",
    r"\bdejenme en paz\b",
    r"\b(?:basta|alto|stop|fin|suficiente)\s+(?:de|a|con)\s+"
    r"(?:los\s+|las\s+|tus\s+|sus\s+|estos\s+|estas\s+)?(?:mensajes|msjs|textos|sms|notificaciones)\b",
    r"\bno quiero que me (?:escriban|manden|envien|contacten|molesten|textee\w*)\b",
)]
_START = re.compile(
    r"\b(?:unstop|resubscribe|re subscribe)\b"
    r"|\bopt (?:me )?back in\b"
    r"|\b(?:sign|put|add) me back\b"
    r"|\b(?:you can|u can|please|pls)\s+(?:start\s+)?(?:text|message|txt)\w*\s+me\s+again\b"
    r"|\bstart (?:texting|sending|messaging)(?: me)? again\b")
_EN_NEGATION = frozenset({"dont", "not", "never", "didnt", "doesnt", "wont", "cant"})
_ES_NEGATION = frozenset({"no", "nunca"})

# "stop" as a noun or a verb of movement: the word before / after tells.
_NOUN_BEFORE = frozenset({
    "the", "a", "an", "bus", "last", "next", "first", "second", "third", "final", "my", "your",
    "his", "her", "our", "their", "each", "every", "one", "pit", "truck", "tram", "subway",
    "train", "metro", "rest", "full", "route", "delivery", "which", "what", "another", "same",
    "1st", "2nd", "3rd", "4th", "5th", "whole",
})
_MOVE_AFTER = frozenset({
    "by", "at", "in", "on", "over", "here", "there", "to", "for", "before", "after", "around",
    "near", "outside", "behind", "sign", "signs", "light", "lights", "number", "num", "no",
    "the", "your", "a", "an", "from", "when", "if", "once", "past", "up", "down", "next",
    "between", "along", "is", "was", "are", "were", "will", "would", "has", "had", "should",
    "then", "first", "last", "and", "off", "into", "somewhere", "anywhere", "home", "nearby",
    "across", "so", "until", "till", "while", "where", "of",
})


@dataclass(frozen=True)
class Keyword:
    kind: Kind
    confidence: float


def detect(norm: Norm) -> Keyword | None:
    """STOP (never missed, never invented), then START, then HELP; None for anything else."""
    if _is_stop(norm):
        return Keyword("stop", _stop_confidence(norm))
    if _whole(norm.words, START_WORDS, _START_FILLERS) or _start_phrase(norm.flat):
        return Keyword("start", 0.97)
    if _whole(norm.words, HELP_WORDS, _HELP_FILLERS):
        return Keyword("help", 0.97)
    return None


def _is_stop(norm: Norm) -> bool:
    if not norm.words:
        return False
    if _whole(norm.words, STRONG_STOP, _STRONG_FILLERS) or _whole(norm.words, WEAK_STOP, POLITE):
        return True
    if any(_unsubscribe_typo(w) for w in norm.words) or _CALLS.search(norm.flat):
        return True
    return any(_phrase_in(clause) or _stop_verb_in(clause) for clause in norm.clauses)


def _stop_confidence(norm: Norm) -> float:
    if _whole(norm.words, STRONG_STOP | WEAK_STOP, POLITE):
        return 0.99
    if any(_phrase_in(clause) for clause in norm.clauses):
        return 0.95
    return 0.85


def _whole(words: tuple[str, ...], keywords: frozenset[str], fillers: frozenset[str]) -> bool:
    """Every word is a keyword (one or two words long) or a filler, and one is a keyword."""
    found = False
    i = 0
    while i < len(words):
        pair = " ".join(words[i:i + 2])
        if len(words) > i + 1 and pair in keywords:
            found, i = True, i + 2
        elif words[i] in keywords:
            found, i = True, i + 1
        elif words[i] in fillers:
            i += 1
        else:
            return False
    return found


def _negated(words: list[str], start: int, negations: frozenset[str]) -> bool:
    before = words[max(0, start - 2):start]
    return any(w in negations for w in before)


def _phrase_in(clause: tuple[str, ...]) -> bool:
    text = " ".join(clause)
    words = text.split()
    for patterns, negations in ((_EN_PHRASES, _EN_NEGATION), (_ES_PHRASES, _ES_NEGATION)):
        for pattern in patterns:
            for m in pattern.finditer(text):
                start = len(text[:m.start()].split())
                if not _negated(words, start, negations):
                    return True
    return _EN_DONT.search(text) is not None


def _stop_verb_in(clause: tuple[str, ...]) -> bool:
    for i, word in enumerate(clause):
        if word not in ("stop", "stopp", "stahp"):
            continue
        prev = clause[i - 1] if i > 0 else ""
        nxt = clause[i + 1] if i + 1 < len(clause) else ""
        if prev in _EN_NEGATION or prev in _NOUN_BEFORE:  # "don't stop", "the bus stop"
            continue
        if nxt in _MOVE_AFTER or nxt[:1].isdigit() or nxt.startswith("#"):
            continue
        if nxt.endswith("ing"):  # "stop ringing the bell"; texting, sending... are phrases above
            continue
        return True
    return False


def _unsubscribe_typo(word: str) -> bool:
    """"unsuscribe", "unsubcribe", "unsubscibe": two edits or fewer from "unsubscribe"."""
    return word.startswith("un") and 8 <= len(word) <= 13 and _distance(word, "unsubscribe") <= 2


def _distance(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def _start_phrase(flat: str) -> bool:
    return _START.search(flat) is not None


