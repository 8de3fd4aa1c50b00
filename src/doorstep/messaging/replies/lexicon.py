"""Words and patterns the intent rules read: English, Spanish and the usual typos, all folded
(lower case, no accents, no apostrophes: "dont", "im", "manana")."""

from __future__ import annotations

import re

from doorstep.messaging.replies.text import word_set

YES_WORDS = word_set("""
yes y ye yea yeah yeh yep yup yus yas yess yesh yessir yesir yessum ya sure ok okay okey okk k
kk confirmed confirm confirming correct right absolutely definitely certainly affirmative roger
bet perfect great good fine cool awesome excellent alright aight np si sip claro vale dale sale
orale simon correcto confirmo confirmado perfecto listo bueno seguro va okas exacto obvio
""")
# Phrases that say yes at the start of a reply ("sounds good, see you then").
YES_LEAD = tuple(tuple(p.split()) for p in """
sounds good|that works|works for me|will do|i will be there|see you then|see you|see u|count me in
im in|i am in|i will take it|i got it|got it|no problem|no prob|no problemo|no worries|not a problem
of course|for sure|thats right|thats correct|that is correct|that is right|thats it|ten four
sure thing|de acuerdo|esta bien|por supuesto|asi es|ahi estare|alli estare|ahi estoy|alli estoy
lo tomo|la tomo|yo lo tomo|yo la tomo|la agarro|lo agarro|yo la agarro|yo lo agarro|me apunto
all good|on track|on schedule|todo bien|done for the day|all done|going well|its right
its correct|on my way|va bien|looks good|all set|im good|we good|no hay problema|sin problema
ill be there|i can make it|i can do it|i can do that|i will do it|works|that works|im down
im game|thats my address|that is my address|thats the one|es mi direccion|esa es|everything is fine
everythings fine|everything good|everything ok|everythings good|all fine|almost done|nearly done
almost finished|finished|done|all delivered|todo tranquilo|todo en orden|sin novedad|all quiet
going good|going great|so far so good|voy bien|todo va bien|smooth
""".strip().replace("\n", "|").split("|"))
NO_WORDS = word_set("""
no nope nah naw nop nel negative n noo nopes nay pass wrong incorrect
""")
# "no problem", "no one answers", "no sé": a "no" that does not refuse.
NOT_NO_AFTER = frozenset(["problem", "prob", "problemo", "worries", "doubt", "hay", "one", "se"])
NEGATIVE = re.compile(
    r"\b(?:cant|cannot|can not|wont|will not|not available|not a good time|bad time|im busy|"
    r"i am busy|will pass|not interested|no puedo|no voy a poder|no podre|no voy|not gonna|"
    r"not going to|unable|not this time|not today|not tomorrow|not me|no thanks|no thank you|"
    r"no gracias|ahora no|hoy no|no estoy|no estare|not home|wont be home|decline|not now|"
    r"i will pass|no can do|dont want it|i dont think so|rather not|prefer not|no way|not really|"
    r"nobody home|no one home|noone home|nadie en casa|no hay nadie)\b")
NO_NOISE = word_set("""
no nope nah naw nop nel negative n noo nay cant cannot can not wont will unable make it busy
pass puedo voy poder podre a thanks thank you sorry sry today tomorrow manana hoy this time i im
me we gracias lo siento perdon ok so man bro sir boss jefe please pls then tonight right now
just really do that one
""")

FILLERS = word_set("""
please pls plz thanks thank you thx ty sorry sry man bro boss sir maam buddy dude lol haha por
favor porfa gracias jefe amigo ok okay so just and oh ah hey hi hello well um uh hmm omg yo
""")
INTERJECTIONS = frozenset(["lol", "haha", "hahaha", "lmao", "oh", "ah", "hey", "hi", "hello",
                           "well", "um", "uh", "hmm", "omg", "hola"])
GREETINGS = frozenset({("good", "morning"), ("good", "afternoon"), ("good", "evening"),
                       ("buenos", "dias"), ("buenas", "tardes"), ("buenas", "noches")})
THANKS = word_set("""
thanks thank you thx ty tysm gracias muchas thnx thnks tks
""")

WH = word_set("""
what whats wat wut when whens where wheres who whos dis whose why how hows which que cuando
donde quien quienes como cual cuales cuanto cuanta cuantos cuantas porque
""")
ASKING = tuple(tuple(p.split()) for p in """
is it|is my|is the|is this|is that|will it|will my|does it|did it|did my|was it|has it|has my
are you|r u|are u|do you|do i|does the|any update|a que hora|hay|when will|is there|am i
should i|are we
""".strip().replace("\n", "|").split("|"))
PROPOSING = re.compile(r"^(?:what about|how about|que tal|y si)\b")

NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "uno": 1, "una": 1,
           "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "first": 1, "second": 2, "third": 3,
           "fourth": 4, "primera": 1, "primero": 1, "segunda": 2, "segundo": 2, "tercera": 3,
           "tercero": 3, "1st": 1, "2nd": 2, "3rd": 3}
CHOICE_FILLERS = word_set("""
option options opt opcion opciones number num no nr the la el lo please pls plz por favor porfa
i will take choose pick want quiero elijo go with thanks gracias ok is es number numero id like
would prefer prefiero one
""")

CANCEL = re.compile(r"\bcancel\w*\b")

_SUFFIX = (r"st|street|str|ave|av|avenue|rd|road|blvd|boulevard|dr|drive|ln|lane|ct|court|way|pl|"
           r"place|pkwy|parkway|hwy|highway|ter|terrace|cir|circle|sq|square|loop|trail|trl|row|"
           r"path|pike|aly|alley|plaza|crescent|cres")
STREET = re.compile(rf"\b\d{{1,6}}[a-z]?\s+(?:[a-z0-9]+\s+){{0,3}}(?:{_SUFFIX})\b")
STREET_ES = re.compile(r"\b(?:calle|av|avenida|avda|carrera|cra|calzada|callejon|camino|paseo|"
                       r"privada|blvd|boulevard|diagonal|transversal)\s+(?:[a-z]+\s+){1,3}"
                       r"#?\d{1,5}\b")
UNIT_ALONE = re.compile(r"(?i)(?<![\w#])#?(\d{1,4}[a-z])\b")  # "no, es el 4B"
UNIT = re.compile(r"\b(?:apt|apartment|apartamento|unit|suite|ste|depto|departamento|dept|int|"
                  r"interior|piso|floor|fl)\b(?:\s+\w+){0,2}?\s+#?[a-z]?\d{1,5}[a-z]?\b")
RAW_STREET = re.compile(rf"(?i)\b\d{{1,6}}[a-z]?\s+(?:[\w.'-]+\s+){{0,3}}(?:{_SUFFIX})\b|"
                        r"\b(?:calle|av\.?|avenida|avda\.?|carrera|cra\.?|calzada|camino|"
                        r"paseo|privada|blvd\.?|boulevard)\s")
RAW_UNIT = re.compile(r"(?i)\b(apt|apartment|unit|suite|ste|depto|departamento|dept|int|interior|"
                      r"piso|floor)\b[\s,.#:]*(?:it'?s\s+|is\s+|es\s+)?#?([a-z]?\d{1,5}[a-z]?)\b")
ADDRESS_TAIL = re.compile(r"(?i)[,;]?\s+(?:not|no es|instead|pls|please|thanks|thank you|"
                          r"por favor|gracias)\b.*$")

INSTRUCTIONS = re.compile(
    r"\b(?:leave|leaving|left it|drop|put|place|hand it|give it|deliver it to|neighbou?rs?|porch|"
    r"doors?|doorstep|garage|mailbox|mail box|mailroom|mail room|package room|parcel room|locker|"
    r"front desk|desk|reception|concierge|doorman|door man|super|lobby|gate|code|buzz|buzzer|"
    r"intercom|ring|bell|doorbell|knock|call me|text me|dogs?|behind|under|entrance|stairs|"
    r"upstairs|downstairs|basement|shed|patio|deck|stoop|safe place|fence|yard|backyard|planter|"
    r"security|guard|leasing office|inside|outside|steps|hide|in back|out back|park|"
    r"stop (?:at|in front|by the|outside|behind|next to)|"
    r"go (?:to )?(?:the )?(?:back|side|front|rear)|"
    r"hall|hallway|"
    r"dej\w*|entreg\w* a|vecin[oa]s?|portero|porteria|conserje|puerta|porton|reja|timbre|toc\w*|"
    r"codigo|caseta|recepcion|cochera|garaje|buzon|entrada|llam\w*|perros?|atras|patio|"
    r"escaleras?|planta baja|guardia|vigilante|seguridad|casillero|afuera|adentro)\b")
CODE = re.compile(r"\b(?:code|codigo|clave|gate|porton|puerta|pin|buzz|entry)\b(?:\s+\w+){0,3}?\s+"
                  r"#?(\d{3,8})\b|#(\d{3,8})\b|^#?(\d{3,8})$")
NOTHING = word_set("""
none nothing nada ninguna ninguno ningun codigo instrucciones especial na n a nope no code codes
instructions instruction gate
special needed necessary thanks thank you its fine all good just ok hay tengo not really
""")

CALLOUT = re.compile(
    r"\b(?:cant|cannot|can not|wont|will not|not gonna|not going to|unable to|not able to|couldnt|"
    r"wouldnt be able to)\s+(?:be able to\s+)?(?:make it|come|come in|be in|be there|work|go in|"
    r"show|make my shift|do my shift|go)\b"
    r"|\bcall(?:ing)? (?:out|off|in sick)\b|\bnot (?:coming|going to come|gonna come)\b"
    r"|\b(?:have|need|got|gotta) to (?:go|head|leave) (?:home|early)\b|\bgoing home\b"
    r"|\bno (?:voy|puedo|podre|podria)\s+(?:a\s+)?(?:ir|poder|trabajar|llegar|presentarme)\b"
    r"|\bno voy a poder\b|\bme tengo que ir\b")
CALLOUT_REASONS = tuple((name, re.compile(rx)) for name, rx in (
    ("family", r"\b(?:kids?|son|daughter|child|children|baby|babys|wife|husband|mom|mother|dad|"
               r"father|grandma|grandmother|grandpa|family|familia|familiar|hijo|hija|hijos|"
               r"esposa|esposo|mama|papa|abuela|abuelo|childcare|babysitter|daycare|funeral|bebe|"
               r"nino|nina)\b"),
    ("sick", r"\b(?:sick|flu|fever|covid|throwing up|threw up|vomit\w*|puking|migraine|"
             r"food poisoning|stomach|enferm[oa]|enfermedad|me siento mal|gripa|gripe|fiebre|"
             r"calentura|not feeling well|feel(?:ing)? (?:sick|bad|terrible|awful)|"
             r"(?:im|am|feeling|feel|got|been|very|really|so|too) ill)\b"),
    ("injury", r"\b(?:hurt|injur\w*|sprain\w*|broke my|lastim\w*)\b"),
    ("appointment", r"\b(?:doctors?|dentist|appointment|appt|court|cita)\b"),
    ("car_trouble", r"\b(?:my (?:car|truck|ride)|mi (?:carro|coche|auto|troca)|no ride|"
                    r"ride fell through|no transportation)\b"),
    ("emergency", r"\b(?:emergency|emergencia)\b"),
    ("weather", r"\b(?:snow|storm|flood\w*|icy|nieve|tormenta)\b"),
))
VEHICLE_REASONS = frozenset({"breakdown", "flat_tire", "fuel"})
EXCEPTION_REASONS = tuple((name, re.compile(rx)) for name, rx in (
    ("accident", r"\b(?:accident\w*|crash\w*|collision|rear ?ended|fender bender|"
                 r"(?:someone|somebody|car|truck|guy|they) (?:hit|backed into|rear ?ended)|"
                 r"got hit|hit by|hit (?:a|the|my) (?:car|pole|mirror|curb|truck|van)|choque|"
                 r"choco|chocaron|accidente)\b"),
    ("flat_tire", r"\b(?:flat(?: tire| tyre)?|tire (?:blew|blown|popped|is flat)|blowout|"
                  r"blew a tire|ponch\w*|llanta|puncture\w*|nail in (?:my|the) tire|low tire|"
                  r"tire (?:pressure|light))\b"),
    ("fuel", r"\b(?:out of (?:gas|fuel)|ran out of (?:gas|fuel)|no gas|empty tank|sin gasolina|"
             r"acabo la gasolina|no (?:tengo|hay) gasolina)\b"),
    ("breakdown", r"\b(?:broke ?down|broken down|breakdown|wont start|will not start|didnt start|"
                  r"doesnt start|dead battery|battery (?:is )?dead|battery died|engine|overheat\w*|"
                  r"smok\w*|tow\w*|transmission|brakes?|descompu\w*|no arranca|bateria|motor|"
                  r"(?:van|truck) died|noise|leak\w*|warning light)\b"),
    ("theft", r"\b(?:stolen|stole|robbed|theft|break ?in|broke into|me robaron|robo|robaron)\b"),
    ("injury", r"\b(?:hurt|injur\w*|bit|bitten|bite|sprain\w*|fell(?! behind)|slipped|lastim\w*|"
               r"mordio|urgent care|hospital)\b"),
    ("road_closed", r"\b(?:closed|closure|blocked|shut down|detour\w*|road ?work|construction|"
                    r"cerrad[ao]|desvio|bloquead[ao])\b"),
    ("weather", r"\b(?:snow\w*|icy|ice|flood\w*|storm|hail|nieve|tormenta|inundad\w*)\b"),
    ("address", r"\b(?:(?:address|house|building) (?:doesnt|does not|dont|cant be) (?:exist|found)|"
                r"cant find (?:the |this |that )?(?:address|house|building|place)|no such address|"
                r"wrong address|bad address|im lost|got lost|no encuentro la direccion)\b"),
    ("device", r"\b(?:phone (?:is )?(?:dying|died|dead|broke\w*)|scanner|"
               r"app (?:is )?(?:down|crash\w*|not working|froze)|no signal|sin senal|se me murio el (?:cel|telefono))\b"),
    ("traffic", r"\b(?:traffic|trafico|trafic|jam|congestion|gridlock)\b"),
    ("overrun", r"\b(?:running (?:\w+ ){0,3}(?:late|behind)|behind schedule|"
                r"(?:hours?|hr|mins?|minutes) behind|fell behind|im behind|"
                r"(?:be|gonna be|going to be|will be|running|am|im) late|wont finish|"
                r"will not finish|not going to finish|not gonna finish|cant finish|"
                r"too many (?:stops|packages)|atrasad[oa]|retrasad[oa]|voy tarde|llego tarde|"
                r"no voy a terminar|no termino)\b"),
))


def first_reason(patterns: tuple[tuple[str, re.Pattern[str]], ...], text: str) -> str | None:
    return next((name for name, rx in patterns if rx.search(text)), None)
