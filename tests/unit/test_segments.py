"""SMS segments and encoding, per contracts/twilio.md §10."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doorstep.messaging.segments import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    Segments,
    is_gsm7,
    segments,
)

GRIN = "\N{GRINNING FACE}"


@pytest.mark.parametrize(("body", "encoding", "units", "count"), [
    ("A" * 160, "GSM-7", 160, 1),
    ("A" * 161, "GSM-7", 161, 2),
    ("A" * 306, "GSM-7", 306, 2),
    ("A" * 307, "GSM-7", 307, 3),
    ("€" * 80, "GSM-7", 160, 1),
    ("€" * 81, "GSM-7", 162, 2),
    (GRIN * 35, "UCS-2", 70, 1),
    (GRIN * 36, "UCS-2", 72, 2),
    ("Tu pedido llegará hoy.", "UCS-2", 22, 1),
], ids=["160A", "161A", "306A", "307A", "80euro", "81euro", "35emoji", "36emoji", "llegara"])
def test_the_contract_table(body: str, encoding: str, units: int, count: int) -> None:
    s = segments(body)
    assert (s.encoding, s.units, s.count) == (encoding, units, count)
    assert sum(s.parts) == s.units and len(s.parts) == s.count


def test_the_tables_are_gsm_03_38() -> None:
    assert len(GSM7_BASIC) == 127  # 128 positions, less the escape
    assert "\x1b" not in GSM7_BASIC
    assert set("\f^{}\\[~]|€") == GSM7_EXTENSION
    assert not GSM7_BASIC & GSM7_EXTENSION
    for c in "@£$¥èéùìòÇØøÅåÄÖÑÜäöñüàÉßÆæ¿¡§ΔΦΓΛΩΠΨΣΘΞ\n\r":
        assert c in GSM7_BASIC, c


@pytest.mark.parametrize("char", list("áíóúÁÍÓÚç’“”–…") + [GRIN])
def test_one_non_gsm_character_switches_the_whole_body_to_ucs2(char: str) -> None:
    body = "Hola, su paquete llega hoy " + char
    assert not is_gsm7(body)
    assert segments(body).encoding == "UCS-2"


def test_spanish_that_stays_in_gsm7() -> None:
    # ñ, é, ¿, ¡ are in the basic table; no á/í/ó/ú
    s = segments("¿Mañana? ¡Sí! Pedido entregado en el café.")
    assert s.encoding == "UCS-2"  # the í of "Sí"
    assert segments("¿Mañana? ¡Bien! Pedido entregado en el café.").encoding == "GSM-7"


def test_spanish_accents_cost_the_ucs2_sizes() -> None:
    body = "Hola Lucía, tu pedido llegará hoy entre las 14:00 y las 16:00. Sigue el envío aquí."
    s = segments(body)
    assert s.encoding == "UCS-2"
    assert s.units == len(body) == 83
    assert s.count == 2 and s.per_segment == 67 and s.parts == (67, 16)


@pytest.mark.parametrize(("body", "count", "per_segment"), [
    ("A" * 70 + "á", 2, 67),  # 71 UCS-2 units
    ("á" * 70, 1, 70),
    ("á" * 134, 2, 67),
    ("á" * 135, 3, 67),
    ("A" * 153 * 2, 2, 153),
    ("", 1, 160),
])
def test_boundaries(body: str, count: int, per_segment: int) -> None:
    s = segments(body)
    assert (s.count, s.per_segment) == (count, per_segment)


def test_an_escape_pair_is_never_split_across_parts() -> None:
    # 152 septets, then € (2): it does not fit in the first part's 153, so it moves whole.
    s = segments("A" * 152 + "€" + "A" * 10)
    assert s.encoding == "GSM-7" and s.units == 164
    assert s.parts == (152, 12)


def test_a_surrogate_pair_is_never_split_across_parts() -> None:
    s = segments("a" * 66 + GRIN + "b")  # 66 + 2 + 1 = 69 units: one part
    assert s == Segments("UCS-2", 69, 1, 70, (69,))
    s = segments("á" * 66 + GRIN + "á" * 10)  # 78 units: 66 | 2 + 10
    assert s.parts == (66, 12)


def test_extension_characters_count_two() -> None:
    s = segments("{[~]}|^\\\f€")
    assert s.encoding == "GSM-7" and s.units == 20 and s.count == 1


def test_a_gsm_body_of_1600_characters() -> None:
    s = segments("x" * 1600)
    assert s.count == 11  # ceil(1600 / 153)
    assert all(p == 153 for p in s.parts[:-1])


GSM_CHARS = sorted(GSM7_BASIC | GSM7_EXTENSION)


@given(st.sampled_from(GSM_CHARS + ["á", "ç", GRIN, "’"]), st.integers(0, 400))
def test_count_is_monotone_in_length_for_one_repeated_char(char: str, n: int) -> None:
    assert segments(char * n).count <= segments(char * (n + 1)).count


@given(st.text(alphabet=st.sampled_from(GSM_CHARS), max_size=600))
def test_gsm_text_never_reports_ucs2(body: str) -> None:
    s = segments(body)
    assert s.encoding == "GSM-7"
    assert s.units == len(body) + sum(c in GSM7_EXTENSION for c in body)


@given(st.text(max_size=400))
def test_parts_hold_everything_and_never_overflow(body: str) -> None:
    s = segments(body)
    assert sum(s.parts) == s.units and len(s.parts) == s.count >= 1
    assert all(p <= s.per_segment for p in s.parts)
    if s.count > 1:
        assert s.per_segment in (153, 67)
