""""Where is my parcel" (WISMO): does a reply ask where the parcel is or when it comes?

The dashboard counts these per market and day (a recipient who has to ask was not told well
enough). English and Spanish, on the folded words of `text.normalize` (lower case, accents
and apostrophes gone: "where's" is "wheres", "dónde está" is "donde esta"). Pure.
"""

from __future__ import annotations

import re

from doorstep.messaging.replies.text import normalize

_THING = (r"(?:package|parcel|order|delivery|deliveries|shipment|box|stuff|item|groceries|"
          r"prescription|medication|meds|food)s?")
_WHO = rf"(?:it|they|my {_THING}|the {_THING}|our {_THING}|my \w+ {_THING}|the driver|driver)"
_COSA = r"(?:paquete|pedido|orden|envio|entrega|compra|caja|medicina|medicamento)s?"

_PATTERNS = [
    # where is my package / where's the order / where are my groceries / where is it
    rf"\bwhere (?:is|are|s) {_WHO}\b",
    rf"\bwheres {_WHO}\b",
    # when will it arrive / when is my order coming / when does the driver get here
    rf"\bwhen (?:will|would|is|are|does|do|should|can i expect|can we expect) {_WHO}"
    r"(?: be)? (?:arriv\w*|com\w*|get here|getting here|be here|show up|deliver\w*|here)\b",
    r"\bwhat time (?:will|is|does) (?:it|my \w+|the \w+|the driver|driver)\b",
    # has it been delivered / was my order delivered / did it arrive / is it on its way
    rf"\b(?:has|have|was|were|is|did) {_WHO}(?: been| already| yet)* "
    r"(?:delivered|arrived|arrive|shipped|left|come|on (?:its|the) way|out for delivery)\b",
    rf"\bis {_WHO} (?:still )?(?:coming|arriving|being delivered)\b",
    # status of my order / order status / any update on my delivery / tracking
    rf"\bstatus (?:of|on|for) (?:my|the|our) (?:\w+ )?{_THING}\b",
    rf"\b{_THING} status\b",
    rf"\bany (?:update|news|word)s? (?:on|about|for) (?:my|the|our) (?:\w+ )?{_THING}\b",
    r"\btracking\b",
    rf"\btrack (?:my|the|our) (?:\w+ )?{_THING}\b",
    r"\b(?:whats|what is) (?:the|my) eta\b",
    r"\beta\b",
    rf"\b(?:havent|have not|didnt|did not|never|still (?:havent|have not|didnt)) "
    rf"(?:received|get|got|gotten) (?:my|the|our) (?:\w+ )?{_THING}\b",
    rf"\bstill waiting (?:for|on) (?:my|the|our) (?:\w+ )?{_THING}\b",
    # dónde está mi paquete / dónde están mis pedidos / dónde queda mi orden
    rf"\bdonde (?:esta|estan|queda|anda|va) (?:mi|mis|el|la|los|las|nuestro|nuestra) "
    rf"(?:\w+ )?{_COSA}\b",
    # cuándo llega / cuándo me llega el pedido / a qué hora llegan / cuándo lo entregan
    r"\bcuando (?:me |nos )?(?:llega|llegara|llegaran|llegan|viene|vendra|vienen|"
    r"lo traen|la traen|lo entregan|la entregan|entregan|traen|van a llegar|va a llegar)\b",
    r"\ba que hora (?:me |nos )?(?:llega|llegara|llegan|viene|vienen|entregan|traen|"
    r"va a llegar|van a llegar)\b",
    # ya fue entregado / ha sido entregado / estado de mi pedido / rastreo / seguimiento
    r"\b(?:fue|ha sido|han sido) entregad[oa]s?\b",
    rf"\bestado de (?:mi|mis|el|la|nuestro) {_COSA}\b",
    r"\b(?:rastreo|rastrear|seguimiento)\b",
    r"\bno (?:me )?(?:ha|han) llegado\b",
    rf"\bno (?:he|hemos) recibido (?:mi|mis|el|la|nuestro) {_COSA}\b",
]
_ASKS = re.compile("|".join(f"(?:{p})" for p in _PATTERNS))
# Asked, not told: "ya llegó?" asks; "ya llegó, gracias" says it came.
_ASKED_ONLY = re.compile(r"\b(?:ya llego|llego ya|ya esta en camino|viene en camino|"
                         r"is it here|is it today|coming today|arriving today)\b")


def asks_where(text: str) -> bool:
    """Whether the reply asks where the parcel is, when it comes or whether it came."""
    norm = normalize(text[:1600])
    flat = norm.flat
    if _ASKS.search(flat):
        return True
    return norm.question and _ASKED_ONLY.search(flat) is not None
