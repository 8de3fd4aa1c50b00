"""A light guess between English and Spanish, for `lang="auto"`.

Only a hint: every rule of this package reads both languages (people write Spanglish), the
guess decides the order of a numeric date (11/24 in English, 24/11 in Spanish) and nothing
else of consequence. Counts marker words; accents, ñ, ¿ and ¡ count for Spanish; a tie is
English.
"""

from __future__ import annotations

import re

from doorstep.messaging.replies.text import Norm, word_set

SPANISH = word_set("""
si no que de la el los las por favor gracias manana hoy puedo puede pueden estoy esta estare
mejor pero con en para mi es lo ya sabado domingo lunes martes miercoles jueves viernes despues
antes tarde noche dejar dejen dejalo dejarlo vecino vecina puerta codigo mas mensajes quiero
claro vale correcto perfecto ahi alli calle ayuda baja alto hasta una uno dos tres bien todo voy
tengo donde cuando quien hora llegan nada porfa me manden escriban se del al le su numero
equivocado enfermo enferma opcion llanta casa trabajo dia semana portero conserje timbre
""")
ENGLISH = word_set("""
the you i is it yes please thanks thank my me to at can will what after before tomorrow today
and not dont cant leave door with on your this of be im will would could yeah yep ok sure sorry
its at from pls get there here when where who how come make work sick truck van stop text
""")
_SPANISH_LETTERS = re.compile(r"[ñáéíóúü¿¡]", re.IGNORECASE)


def guess(norm: Norm) -> str:
    """"es" or "en"."""
    es = sum(w in SPANISH for w in norm.words) + 2 * len(_SPANISH_LETTERS.findall(norm.raw))
    en = sum(w in ENGLISH for w in norm.words)
    return "es" if es > en else "en"
