"""Days and times in a reply, resolved against "today" in the market's time zone.

Rules find the phrases (English, Spanish, the usual typos: "tmrw", "sabado", "weds") and
canonicalize them ("tmrw" -> "tomorrow", "sábado" -> "saturday", "24 de noviembre" ->
"november 24"); `dateparser` resolves each canonical phrase relative to today, once per
(phrase, day) thanks to a cache. A reply with no digit and no day word never reaches it.

What is decided here:

- A day is negated when its clause says so ("not tomorrow, saturday works", "tomorrow is no
  good. Monday?", "no puedo mañana, mejor el sábado"); the first day that is not negated is the
  answer, the negated ones are reported too. "until"/"hasta" turns a negation around: "not home
  until after 6" means after 18:00, "no estoy hasta el sábado" means Saturday.
- A weekday is the next one strictly after today ("saturday" said on a Saturday is next week);
  "today" is said "today". "next saturday" is the same as "saturday".
- An hour without am/pm is read as a recipient or a driver would mean it: for recipients 1–7
  are afternoon/evening and 8–11 morning; for drivers (shifts start early) 4–11 are morning and
  1–3 afternoon. "in the evening"/"por la tarde" next to the hour decides instead.
- Parts of the day: morning -> before 12:00; afternoon -> 12:00–17:00; "por la tarde" ->
  12:00–19:00; evening/tonight -> after 17:00; "por la noche" -> after 18:00; noon -> at 12:00.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from doorstep.messaging.replies.text import Norm

WEEKDAYS = {
    "monday": ("mon", "mondays", "lunes"),
    "tuesday": ("tue", "tues", "tuesdays", "martes"),
    "wednesday": ("wed", "weds", "wednesdays", "wensday", "wendsday", "wednsday", "miercoles"),
    "thursday": ("thu", "thur", "thurs", "thursdays", "jueves"),
    "friday": ("fri", "fridays", "viernes"),
    "saturday": ("sat", "sats", "saturdays", "saturdy", "sabado", "sabados", "weekend", "finde"),
    "sunday": ("sun", "sundays", "domingo", "domingos"),
}
_WEEKDAY = {alias: day for day, aliases in WEEKDAYS.items() for alias in (day, *aliases)}
MONTHS = ("january jan enero", "february feb febrero", "march mar marzo", "april apr abril",
          "may mayo", "june jun junio", "july jul julio", "august aug agosto",
          "september sep sept septiembre setiembre", "october oct octubre",
          "november nov noviembre", "december dec diciembre")
_MONTH = {alias: i + 1 for i, names in enumerate(MONTHS) for alias in names.split()}
_MONTH_NAME = {i + 1: names.split()[0] for i, names in enumerate(MONTHS)}
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "un": 1, "una": 1, "dos": 2, "tres": 3}

_TOMORROW = (r"tomorrow|tomorow|tommorow|tommorrow|tomorrw|tomoro|tomorro|tmrw|tmrrw|tmr|tmw|tmro|"
             r"tmrow|2morrow|2moro|2mrw|2mro|tomm|manana")
_MONTH_RX = "|".join(sorted(_MONTH, key=len, reverse=True))
_NOT_PLACE = r"(?!\s+(?:floor|fl|ave|avenue|st|street|house|door|stop|apt|piso|building|unit))"
_DATE = re.compile(
    r"\b(?:"
    r"(?P<after2>day after tomorrow|pasado manana)"
    r"|(?P<thisday>this (?:morning|afternoon|evening)|esta (?:manana|tarde|noche))"
    r"|(?P<today>today|tdy|2day|hoy|tonight|tonite|2nite|2night)"
    r"|(?P<tomorrow>" + _TOMORROW + r")"
    r"|(?P<next>next\s+)?(?P<weekday>" + "|".join(sorted(_WEEKDAY, key=len, reverse=True)) + r")"
    r"|fin de semana"
    r"|(?P<nextweek>next week|(?:la )?(?:proxima|siguiente) semana|la semana que viene)"
    r"|(?P<mname>" + _MONTH_RX + r")\s+(?P<mday>\d{1,2})(?:st|nd|rd|th)?"
    r"|(?P<dday>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+|de\s+)?(?P<dname>" + _MONTH_RX + r")"
    r"|(?P<num>\d{1,2}/\d{1,2})(?:/\d{2,4})?"
    r"|(?:the|on the|el)\s+(?P<ord>\d{1,2})(?:st|nd|rd|th)" + _NOT_PLACE +
    r"|(?:el dia|on the)\s+(?P<ord2>\d{1,2})(?:st|nd|rd|th)?" + _NOT_PLACE +
    r"|(?:in|en)\s+(?P<ndays>\d|one|two|three|un|una|dos|tres)\s+(?:days?|dias?)"
    r")\b")

_T = (r"(?:(?P<{p}h>\d{{1,2}})(?::(?P<{p}m>\d{{2}}))?(?P<{p}ap>am|pm)?"
      r"|(?P<{p}noon>noon|midday|mediodia))\b")
_NOT_HOUR = (r"(?!\s*(?:stops?|min\w*|hours?|hrs?|packages?|boxes|days?|dias?|veces|times|more|"
             r"left|of|percent|paradas|st|street|ave|avenue|rd|road|blvd|dr|ln|lane|way|calle|"
             r"people|dollars|bucks|miles|blocks|mins)\b)")
_TIMES = re.compile(
    r"\b(?:"
    r"(?:between|btwn|btw|from|entre|de)\s+(?:las\s+|la\s+)?" + _T.format(p="r1") + r"\s+"
    r"(?:and|to|till|until|y|a|hasta)\s+(?:las\s+|la\s+)?" + _T.format(p="r2") +
    r"|" + _T.format(p="s1") + r"\s+to\s+" + _T.format(p="s2") +
    r"|(?P<after>after|past|from|later than|desde|a partir de|despues de|despues|not before|"
    r"no antes de)\s+(?:las\s+|la\s+|the\s+)?" + _T.format(p="a") +
    r"|(?P<before>before|by|no later than|until|till|til|antes de|antes|hasta)\s+(?:las\s+|la\s+)?"
    + _T.format(p="b") +
    r"|(?:at|around|about|round|like|aprox|approx|a las|a la|como a las|tipo|sobre las|"
    r"at around|at about)\s+" + _T.format(p="t") +
    r"|(?P<xh>\d{1,2})(?::(?P<xm>\d{2})(?P<xap>am|pm)?|(?P<xap2>am|pm))\b"
    r")" + _NOT_HOUR)
_PERIODS = (
    (re.compile(r"\b(?:mornings?|mornin|morn|in the am|early|temprano|(?:por|en|de) la manana)\b"
                r"|(?<!\bi )\bam\b(?! i\b)"), None, "12:00", "am"),
    (re.compile(r"\b(?:afternoons?|aftn|aft|arvo)\b"), "12:00", "17:00", "pm"),
    (re.compile(r"\bpm\b"), "12:00", None, "pm"),
    (re.compile(r"\b(?:(?:por|en|de|esta) la tarde|esta tarde)\b"), "12:00", "19:00", "pm"),
    (re.compile(r"\b(?:evenings?|eve|tonight|tonite|2nite|after work)\b"), "17:00", None, "pm"),
    (re.compile(r"\b(?:(?:por|en|de) la noche|esta noche|de noche)\b"), "18:00", None, "pm"),
)
_NEGATIONS = frozenset({"not", "no", "cant", "cannot", "wont", "dont", "isnt", "aint", "unable",
                        "busy", "ocupado", "ocupada", "ni", "never", "doesnt", "bad", "nunca",
                        "nobody", "noone", "nadie"})
_UNTIL = frozenset({"until", "till", "til", "hasta"})
_NOT_BEFORE = re.compile(r"\b(?:not before|no antes)\b")
_CUES = re.compile(r"\d|\b(?:" + _TOMORROW + r"|today|tonight|noon|morning|afternoon|evening|hoy|"
                   r"tarde|noche|weekend|week|semana|days?|dias?|early|temprano|mediodia|" +
                   "|".join(_WEEKDAY) + "|" + _MONTH_RX + r")\b")


@dataclass(frozen=True)
class When:
    day: date | None = None
    after: str | None = None
    before: str | None = None
    at: str | None = None
    not_dates: tuple[date, ...] = field(default=())

    @property
    def found(self) -> bool:
        return self.day is not None or self.after is not None or self.before is not None \
            or self.at is not None

    def slots(self) -> dict[str, str | int]:
        out: dict[str, str | int] = {}
        if self.day is not None:
            out["date"] = self.day.isoformat()
        for key in ("after", "before", "at"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


def extract(norm: Norm, *, today: date, lang: str, driver: bool) -> When:
    """The first day and the times a reply proposes; the days it refuses in `not_dates`."""
    if not _CUES.search(norm.flat):
        return When()
    day: date | None = None
    refused: list[date] = []
    times: dict[str, str] = {}
    for clause in norm.clauses:
        text = " ".join(clause)
        negated = _negated(clause)
        for m in _DATE.finditer(text):
            found = _resolve_match(m, today, lang, text)
            if found is None:
                continue
            if negated and not _after_until(text, m.start()):
                refused.append(found)
            elif day is None:
                day = found
        if not negated or any(w in _UNTIL for w in clause) or _NOT_BEFORE.search(text):
            _times(text, driver, times, flip_until=negated)
    return When(day=day, after=times.get("after"), before=times.get("before"),
                at=times.get("at"), not_dates=tuple(refused))


def _negated(clause: tuple[str, ...]) -> bool:
    text = " ".join(clause)
    if re.search(r"\b(?:no|not a) (?:problem|prob|worries|hay problema)\b", text):
        return False
    return any(w in _NEGATIONS for w in clause)


def _after_until(text: str, start: int) -> bool:
    before = text[:start].split()[-3:]
    return any(w in _UNTIL for w in before)


def _resolve_match(m: re.Match[str], today: date, lang: str, text: str) -> date | None:
    g = m.groupdict()
    if g["tomorrow"] == "manana" and re.search(r"\b(?:la|esta)\s+$", text[:m.start()]):
        return None  # "por la mañana" is the morning, not tomorrow
    phrase: str | None = None
    if g["after2"]:
        phrase = "in 2 days"
    elif g["thisday"] or g["today"]:
        phrase = "today"
    elif g["tomorrow"]:
        phrase = "tomorrow"
    elif g["nextweek"]:
        return today + timedelta(days=7 - today.weekday())  # its Monday
    elif g["weekday"] or m.group(0) == "fin de semana":
        phrase = _WEEKDAY.get(g["weekday"] or "weekend")
        if g["next"] and phrase:  # "next friday": the one in next week, even if this week has one
            found = resolve(phrase, today)
            monday = today + timedelta(days=7 - today.weekday())
            return found + timedelta(days=7) if found and found < monday else found
    elif g["mname"] or g["dname"]:
        month = _MONTH[g["mname"] or g["dname"]]
        phrase = _month_day(month, int(g["mday"] or g["dday"]))
    elif g["num"]:
        a, b = (int(x) for x in g["num"].split("/"))
        month, dom = (b, a) if lang == "es" else (a, b)
        if month > 12:
            month, dom = dom, month
        phrase = _month_day(month, dom)
    elif g["ord"] or g["ord2"]:
        dom = int(g["ord"] or g["ord2"])
        month = today.month if dom >= today.day else today.month % 12 + 1
        phrase = _month_day(month, dom)
    elif g["ndays"]:
        n = _NUMBER_WORDS.get(g["ndays"]) or int(g["ndays"])
        phrase = f"in {n} days"
    return resolve(phrase, today) if phrase else None


def _month_day(month: int, dom: int) -> str | None:
    if not 1 <= month <= 12 or not 1 <= dom <= 31:
        return None
    return f"{_MONTH_NAME[month]} {dom}"


@lru_cache(maxsize=4096)
def resolve(phrase: str, today: date) -> date | None:
    """dateparser on one canonical English phrase, relative to today, preferring the future."""
    import dateparser  # slow to import and to run: only here, only on a found phrase

    base = datetime(today.year, today.month, today.day, 12, tzinfo=UTC)  # a calendar day: noon
    found = dateparser.parse(phrase, languages=["en"], settings={
        "RELATIVE_BASE": base, "PREFER_DATES_FROM": "future"})
    return None if found is None else found.date()


def _hour(g: dict[str, str | None], p: str, driver: bool, meridiem: str | None) -> str | None:
    if g[f"{p}noon"]:
        return "12:00"
    hour_text = g[f"{p}h"]
    if hour_text is None:
        return None
    hour, minute = int(hour_text), int(g[f"{p}m"] or 0)
    ap = g[f"{p}ap"] or meridiem
    if hour > 23 or minute > 59 or (g[f"{p}ap"] and not 1 <= hour <= 12):
        return None
    if ap == "pm" and hour < 12:
        hour += 12
    elif ap == "am" and hour == 12:
        hour = 0
    elif ap is None and 1 <= hour <= 11:
        pm_below = 4 if driver else 8
        hour = hour + 12 if hour < pm_below else hour
    return f"{hour:02d}:{minute:02d}"


def _times(text: str, driver: bool, out: dict[str, str], *, flip_until: bool) -> None:
    meridiem: str | None = None
    period: dict[str, str] = {}
    for pattern, after, before, ap in _PERIODS:
        if pattern.search(text):
            meridiem = ap
            if after:
                period.setdefault("after", after)
            if before:
                period.setdefault("before", before)
    for m in _TIMES.finditer(text):
        g = m.groupdict()
        if g["r1h"] or g["r1noon"] or g["s1h"]:
            p1, p2 = ("r1", "r2") if (g["r1h"] or g["r1noon"]) else ("s1", "s2")
            end = _hour(g, p2, driver, meridiem)
            start = _hour(g, p1, driver, g[f"{p2}ap"] or meridiem)
            if start and end and start > end:
                start = _hour(g, p1, driver, meridiem)
            if start and end:
                _put(out, "after", start)
                _put(out, "before", end)
        elif g["after"]:
            _put(out, "after", _hour(g, "a", driver, meridiem))
        elif g["before"]:
            flip = flip_until and g["before"] in ("until", "till", "til", "hasta")
            _put(out, "after" if flip else "before", _hour(g, "b", driver, meridiem))
        elif g["th"] or g["tnoon"]:
            _put(out, "at", _hour(g, "t", driver, meridiem))
        elif g["xh"]:
            bare = {"xnoon": None, "xh": g["xh"], "xm": g["xm"], "xap": g["xap"] or g["xap2"]}
            _put(out, "at", _hour(bare, "x", driver, meridiem))
    if "at" not in out:
        for key, value in period.items():
            _put(out, key, value)


def _put(out: dict[str, str], key: str, value: str | None) -> None:
    if value is not None:
        out.setdefault(key, value)
