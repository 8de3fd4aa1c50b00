"""The people of a simulated day: who they are, and what they text back.

Identities (names, phones, addresses) are derived from a hash of stable keys, not drawn from the
day's random stream, so the same recipient comes back on later days with the same phone and
address: that is what lets doorstep notice a chronic address problem across days.
"""

from __future__ import annotations

import hashlib
import random
import struct
from dataclasses import dataclass
from typing import Literal

DriverIntent = Literal["confirm", "decline"]
OfferIntent = Literal["accept", "decline"]
RecipientIntent = Literal["reschedule", "neighbour", "safe_place", "pickup", "question", "stop",
                          "thanks"]
NoticeIntent = Literal["instructions", "reschedule", "question", "stop"]


_EIGHT_WORDS = struct.Struct(">8I")


def stable_units(key: str) -> list[float]:
    """Eight uniform numbers in [0, 1) that depend only on `key` (not on PYTHONHASHSEED)."""
    digest = hashlib.blake2b(key.encode(), digest_size=32).digest()
    return [w * 2.3283064365386963e-10 for w in _EIGHT_WORDS.unpack(digest)]  # w / 2**32


def pick(items: tuple[str, ...] | list[str] | str, u: float) -> str:
    return items[min(int(u * len(items)), len(items) - 1)]


FIRST_EN = ("James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda",
            "David", "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica",
            "Thomas", "Sarah", "Charles", "Karen", "Daniel", "Lisa", "Matthew", "Nancy", "Anthony",
            "Betty", "Mark", "Sandra", "Aisha", "Wei", "Priya", "Kwame", "Olga", "Hiro", "Fatima",
            "Tyrone", "Grace", "Noah", "Emma", "Liam")
LAST_EN = ("Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson",
           "Anderson", "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Lee", "Thompson",
           "White", "Harris", "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen", "King",
           "Wright", "Scott", "Green", "Baker", "Adams", "Nguyen", "Patel", "Kim", "Chen",
           "Okafor", "Kowalski", "Murphy", "Cohen", "Rossi", "Singh")
FIRST_ES = ("José", "María", "Luis", "Carmen", "Carlos", "Ana", "Juan", "Rosa", "Miguel",
            "Lucía", "Jorge", "Elena", "Pedro", "Sofía", "Alejandro", "Gabriela", "Diego",
            "Valeria", "Fernando", "Isabel")
LAST_ES = ("García", "Rodríguez", "Martínez", "Hernández", "López", "González", "Pérez",
           "Sánchez", "Ramírez", "Torres", "Flores", "Rivera", "Gómez", "Díaz", "Cruz",
           "Morales", "Reyes", "Gutiérrez", "Ortiz", "Castillo")
STREETS = ("Main St", "Oak Ave", "Maple St", "Cedar Ln", "Park Ave", "Elm St", "Washington St",
           "Lake Dr", "Hill Rd", "Pine St", "Church St", "Highland Ave", "Sunset Blvd",
           "Lincoln Ave", "Jefferson St", "Madison Ave", "River Rd", "Spring St", "Center St",
           "Franklin Ave", "Grand Ave", "Broadway", "Union St", "Prospect Pl", "Garden St")
INSTRUCTIONS = ("Leave at the back door", "Ring twice, buzzer is broken", "Gate code 4512",
                "Leave with the doorman", "Do not leave outside, call on arrival",
                "Side entrance by the garage", "Dog in yard, please use front porch")


def person_name(units: list[float], spanish: bool) -> str:
    first, last = (FIRST_ES, LAST_ES) if spanish else (FIRST_EN, LAST_EN)
    return f"{pick(first, units[0])} {pick(last, units[1])}"


def fictional_phone(npas: list[str], index: int) -> str:
    """+1 NPA 555 XXXX: the 555 exchange marks the number as made up. XXXX skips 0100-0199, the
    block set aside for fiction that operators' own numbers (support, senders) come from, so
    a simulated person never shares a number with the operator. `index` keeps numbers unique
    within a market for the first 9,900 × len(npas) people."""
    npa = npas[(index // 9900) % len(npas)]
    n = index % 9900
    return f"+1{npa}555{n if n < 100 else n + 100:04d}"


# Area codes for markets beyond their own: every NXX-shaped code but the N11 service codes.
SPARE_NPAS = tuple(f"{a}{b}{c}" for a in range(2, 10) for b in range(9) for c in range(10)
                   if not (b == 1 and c == 1))


@dataclass(frozen=True, slots=True)
class RecipientProfile:
    name: str
    phone: str | None
    email: str | None
    language: str
    line1: str
    line2: str | None
    instructions: str | None
    postal_code: str
    lat: float
    lon: float
    chronic: bool
    chronic_reason_u: float  # picks the chronic recipient's one recurring failure reason


# ---- what people text back -------------------------------------------------------------------

DRIVER_REPLIES: dict[str, dict[str, tuple[str, ...]]] = {
    "confirm": {
        "en": ("yes", "Yes!", "YES", "Yes, I'll be there", "confirmed", "yep", "Y", "ok 👍",
               "Yes see you at 7"),
        "es": ("sí", "Sí, ahí estaré", "SI", "confirmado", "ok sí"),
    },
    "decline": {
        "en": ("can't tomorrow sorry", "No", "I'm sick, can't make it tomorrow",
               "NO - family emergency", "Sorry can't do tomorrow, car trouble"),
        "es": ("no puedo mañana, lo siento", "No", "Estoy enfermo, no puedo mañana"),
    },
}

OFFER_REPLIES: dict[str, dict[str, tuple[str, ...]]] = {
    "accept": {"en": ("yes I can take it", "I'll take it", "YES", "sure, on my way"),
               "es": ("Sí, la tomo", "sí puedo", "SI")},
    "decline": {"en": ("no sorry", "can't today", "NO"), "es": ("No puedo, lo siento", "no")},
}

CALLOUT_REASONS = ("sick", "family emergency", "car trouble", "no childcare", "injured",
                   "personal")

RECIPIENT_REPLIES: dict[str, dict[str, tuple[str, ...]]] = {
    "reschedule": {
        "en": ("tomorrow after 5", "Can you come back tomorrow morning?", "saturday please",
               "Redeliver Monday", "Tomorrow between 9 and 12", "any time after 6pm tomorrow"),
        "es": ("mañana después de las 5", "¿Pueden venir mañana por la mañana?",
               "el sábado por favor", "mañana entre 9 y 12"),
    },
    "neighbour": {
        "en": ("leave it with the neighbour", "Give it to my neighbor in 2B",
               "neighbour at number 14 will take it"),
        "es": ("déjelo con el vecino", "con la vecina del 2B por favor"),
    },
    "safe_place": {
        "en": ("leave it at the back door", "Please leave it behind the planter",
               "safe place: garage side door"),
        "es": ("déjelo en la puerta de atrás", "puede dejarlo en el garaje"),
    },
    "pickup": {
        "en": ("I'll pick it up at the depot", "can I collect it myself?"),
        "es": ("lo recojo yo en el almacén", "¿puedo pasar a recogerlo?"),
    },
    "question": {
        "en": ("where is my package??", "I was home all day, nobody knocked",
               "What happened? I need this today", "who is this"),
        "es": ("¿dónde está mi paquete?", "estuve en casa todo el día", "¿quién es?"),
    },
    "stop": {"en": ("STOP", "stop", "Stop texting me", "UNSUBSCRIBE"),
             "es": ("STOP", "BAJA", "no me manden más mensajes")},
    "thanks": {"en": ("ok", "ok thanks", "👍", "k"), "es": ("ok", "gracias", "vale")},
}

NOTICE_REPLIES: dict[str, dict[str, tuple[str, ...]]] = {
    "instructions": {"en": ("Please leave it at the side door", "Call me when you're outside",
                            "gate code is 2291"),
                     "es": ("Déjelo en la puerta lateral", "llámeme cuando llegue")},
    "reschedule": RECIPIENT_REPLIES["reschedule"],
    "question": {"en": ("what time exactly?", "is it still coming today?"),
                 "es": ("¿a qué hora exactamente?", "¿sigue llegando hoy?")},
    "stop": RECIPIENT_REPLIES["stop"],
}


def reply_text(table: dict[str, dict[str, tuple[str, ...]]], intent: str, language: str,
               rng: random.Random) -> str:
    by_lang = table[intent]
    return rng.choice(by_lang.get(language) or by_lang["en"])
