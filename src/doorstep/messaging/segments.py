"""How many SMS segments a body costs, and in which encoding (contracts/twilio.md §10).

GSM-7 when every character is in the GSM 03.38 basic table or its extension table (extension
characters are sent as an escape pair and count 2 septets); otherwise UCS-2, where every UTF-16
code unit counts (an emoji outside the BMP is a surrogate pair: 2). One part holds 1120 bits
(160 septets / 70 units); a message of several parts loses 48 bits per part to the user data
header (153 / 67). Characters are packed greedily and never split across parts: an escape pair
or a surrogate pair moves whole to the next part, as Twilio's segment calculator does.

Pure: no I/O, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Encoding = Literal["GSM-7", "UCS-2"]

# GSM 03.38 default alphabet, in table order (0x00-0x7F), without 0x1B (the escape to the
# extension table, never a character of its own).
GSM7_BASIC: frozenset[str] = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
# The extension table: each is sent as ESC + a septet, so it counts 2.
GSM7_EXTENSION: frozenset[str] = frozenset("\f^{}\\[~]|€")

SINGLE_PART_BITS = 1120
HEADER_BITS = 48  # the user data header of each part of a concatenated message
GSM7_SINGLE, GSM7_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67


@dataclass(frozen=True, slots=True)
class Segments:
    """`units`: septets (GSM-7, extension characters 2 each) or UTF-16 code units (UCS-2).
    `count`: parts Twilio bills. `per_segment`: what one part holds at this count (160 or 153,
    70 or 67). `parts`: the units packed into each part, in order."""

    encoding: Encoding
    units: int
    count: int
    per_segment: int
    parts: tuple[int, ...]


def is_gsm7(text: str) -> bool:
    """True when every character of `text` can be sent in GSM-7 (basic or extension table)."""
    return all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)


def char_units(char: str, encoding: Encoding) -> int:
    """Units one code point takes: 1 or 2 septets in GSM-7, 1 or 2 UTF-16 units in UCS-2."""
    if encoding == "GSM-7":
        return 2 if char in GSM7_EXTENSION else 1
    return 2 if ord(char) > 0xFFFF else 1


def segments(body: str) -> Segments:
    """The encoding, size and part count of an SMS body. An empty body is one (empty) part,
    as in Twilio's calculator."""
    encoding: Encoding = "GSM-7" if is_gsm7(body) else "UCS-2"
    single, multi = (GSM7_SINGLE, GSM7_MULTI) if encoding == "GSM-7" else (UCS2_SINGLE, UCS2_MULTI)
    sizes = [char_units(c, encoding) for c in body]
    units = sum(sizes)
    if units <= single:
        return Segments(encoding, units, 1, single, (units,))
    parts: list[int] = [0]
    for size in sizes:
        if parts[-1] + size > multi:
            parts.append(0)
        parts[-1] += size
    return Segments(encoding, units, len(parts), multi, tuple(parts))
