"""A reply made comparable: lower case, accents folded, emojis named, words and clauses.

Everything else in this package reads a `Norm`, never the raw text, so "Sí", "si" and "SI",
"mañana" and "manana", "don't" and "dont", "👍" and "yes" are the same to the rules.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Emojis that carry a meaning in a reply; every other symbol is dropped.
EMOJI_WORDS = {
    "👍": "yes", "👌": "ok", "✅": "yes", "✔": "yes", "☑": "yes", "🙌": "yes", "💯": "yes",
    "🤙": "ok", "🆗": "ok", "👎": "no", "❌": "no", "✖": "no", "🚫": "no", "🙅": "no",
    "🛑": "stop", "🙏": "thanks",
}
# Variation selectors, zero-width joiner, keycap ("2️⃣" is "2"), skin tones.
_DROP = dict.fromkeys([0xFE0F, 0xFE0E, 0x200D, 0x20E3, *range(0x1F3FB, 0x1F400)])
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'"})
_PUNCT = frozenset("?.!;,:")
_CLAUSE_WORDS = frozenset({"but", "pero", "though", "although", "sino", "aunque"})
_TOKEN = re.compile(
    r"\d{1,2}(?::\d{2})?[ap]m"          # 5pm, 5:30pm
    r"|\d{1,2}:\d{2}"                    # 17:30
    r"|\d{1,2}/\d{1,2}(?:/\d{2,4})?"     # 11/24, 24/11/2026
    r"|#?\d+(?:st|nd|rd|th|[a-z])?"      # 1234, #4321, 5th, 4b
    r"|[a-z]+"
    r"|[?.!;,:]")


@dataclass(frozen=True)
class Norm:
    raw: str
    words: tuple[str, ...]
    clauses: tuple[tuple[str, ...], ...]
    question: bool

    @property
    def flat(self) -> str:
        return " ".join(self.words)


def fold(text: str) -> str:
    """Lower case, accents and ñ folded to ASCII letters, emojis named or dropped."""
    out: list[str] = []
    for ch in text.translate(_DROP).translate(_APOSTROPHES):
        named = EMOJI_WORDS.get(ch)
        if named is not None:
            out.append(f" {named} ")
        elif ch == "¿":
            out.append(" ? ")
        elif ch == "¡" or unicodedata.category(ch) in ("So", "Sk", "Cs", "Co", "Cn"):
            out.append(" ")
        else:
            out.append(ch)
    decomposed = unicodedata.normalize("NFKD", "".join(out))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _contractions(s: str) -> str:
    s = re.sub(r"\b10-4\b", " ten four ", s)
    s = re.sub(r"'ll\b", " will", s)
    s = re.sub(r"n't\b", "nt", s)
    s = s.replace("'", "")
    s = re.sub(r"\b(\d{1,2}(?::\d{2})?)\s*([ap])\.?\s?m\b\.?", r"\1\2m", s)  # 5 p.m. -> 5pm
    s = re.sub(r"\b(\d{1,2}(?::\d{2})?)([ap])\b", r"\1\2m", s)               # 5p -> 5pm
    s = re.sub(r"(?<=\d)\.(?=\d\d\b)", ":", s)                                # 3.30 -> 3:30
    s = re.sub(r"(\d(?:[ap]m)?)\s*-\s*(?=\d)", r"\1 to ", s)                  # 2-4 -> 2 to 4
    return re.sub(r"([a-z])\1{2,}", r"\1\1", s)                               # yesss -> yess


@lru_cache(maxsize=8192)
def normalize(raw: str) -> Norm:
    s = _contractions(fold(raw))
    words: list[str] = []
    clauses: list[tuple[str, ...]] = []
    current: list[str] = []
    question = False
    for tok in _TOKEN.findall(s):
        if tok in _PUNCT:
            question = question or tok == "?"
            if current:
                clauses.append(tuple(current))
                current = []
            continue
        if tok in _CLAUSE_WORDS and current:
            clauses.append(tuple(current))
            current = []
        words.append(tok)
        current.append(tok)
    if current:
        clauses.append(tuple(current))
    return Norm(raw=raw, words=tuple(words), clauses=tuple(clauses), question=question)


def word_set(text: str) -> frozenset[str]:
    """A word list written as text, one space or line between words."""
    return frozenset(text.split())


def has_phrase(words: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return any(words[i:i + n] == phrase for i in range(len(words) - n + 1))
