"""The time-limited sandbox: every hostile template ends quickly with a RenderError, and the
ordinary things a message template does still work."""

from __future__ import annotations

import time

import pytest

from doorstep.messaging.errors import RenderError
from doorstep.messaging.limits import MAX_OUTPUT, TIME_LIMIT_MS
from doorstep.messaging.sandbox import render_text

# Well above the limit (a slow CI machine), far below "hangs" or "swaps".
ENDS_WITHIN_S = TIME_LIMIT_MS / 1000 + 1.0

HOSTILE = {
    "nested ranges": "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}"
                     "{% endfor %}",
    "nested ranges under the range limit": "{% for i in range(10000) %}"
                                           "{% for j in range(10000) %}{% endfor %}{% endfor %}",
    "a huge text": '{{ "x" * 10**9 }}',
    "a huge number": "{{ 10 ** 1000000 }}",
    "empty loops over a built text": '{% set s = "x" * 10000 %}{% for a in s %}{% for b in s %}'
                                     "{% for c in s %}{% endfor %}{% endfor %}{% endfor %}",
    "a doubling join": '{% set a = "x" * 1000 %}' + "{% set a = a ~ a %}" * 40 + "{{ a }}",
    "a doubling list": '{% set a = ["x" * 1000] %}' + "{% set a = [a, a] %}" * 60 + "{{ a }}",
    "a block collecting a long text": '{% set a = "x" * 40000 %}{% set b %}'
                                      "{% for i in range(10000) %}{{ a }}{% endfor %}{% endset %}"
                                      "{{ b }}",
    "a block collecting constant text": "{% set b %}{% for i in range(10000) %}"
                                        "{% for j in range(10000) %}" + "y" * 1000 +
                                        "{% endfor %}{% endfor %}{% endset %}{{ b }}",
    "center filter": '{{ "x" | center(1000000000) }}',
    "center method": '{{ "x".center(1000000000) }}',
    "percent width": '{{ "%1000000000d" % 1 }}',
    "format filter width": '{{ "%1000000000d" | format(1) }}',
    "str.format width": '{{ "{:>1000000000}".format(1) }}',
    "join with a long separator": '{{ range(10000) | join("x" * 40000) }}',
    "replace amplifying": '{{ ("x" * 40000) | replace("x", "y" * 40000) }}',
    "map amplifying": '{{ range(10000) | map("center", 40000) | join }}',
    "endless recursion": "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
    "exponential recursion": "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}"
                             "{% endmacro %}{{ f(40) }}",
    "recursive loop": "{% for x in [1, 2] recursive %}{{ loop([1, 2]) }}{% endfor %}",
    "growing the list it walks": "{% set l = [1] %}{% for x in l %}{{ l.append(x) }}"
                                 "{% endfor %}",
    "lipsum": "{{ lipsum(100000) }}",
    "sum of lists": "{{ [[1] * 100] * 100 | sum(start=[]) }}",
    "too much output": '{% for i in range(10000) %}{{ "x" * 1000 }}{% endfor %}',
}


@pytest.mark.parametrize("source", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_template_ends_quickly_with_a_render_error(source: str) -> None:
    started = time.perf_counter()
    with pytest.raises(RenderError):
        render_text(source, {})
    assert time.perf_counter() - started < ENDS_WITHIN_S


def test_the_time_limit_is_reported_as_such_with_its_line() -> None:
    with pytest.raises(RenderError) as caught:
        render_text("Hello\n{% for i in range(10000) %}{% for j in range(10000) %}"
                    "{% endfor %}{% endfor %}", {})
    assert caught.value.reason == f"the template took longer than {TIME_LIMIT_MS} ms"
    assert caught.value.line == 2


def test_output_past_the_cap_is_refused() -> None:
    with pytest.raises(RenderError) as caught:
        render_text('{% for i in range(100) %}{{ "x" * 1000 }}{% endfor %}', {})
    assert f"{MAX_OUTPUT:,}" in caught.value.reason


def test_ordinary_template_features_still_work() -> None:
    source = (
        "{% macro greet(n) %}Hi {{ n | title }}{% endmacro %}{{ greet(name) }}. "
        "{% for k, v in pairs | dictsort %}{{ k }}={{ v }}{{ ', ' if not loop.last }}"
        "{% endfor %}; {{ items | map('upper') | join('/') }}; "
        "{{ '%s-%03d' % (code, n) }}; {{ kind | replace('_', ' ') }}; "
        "{% for x in items if x != 'b' %}{{ loop.index }}{{ x }}{% endfor %}; "
        "{% set t %}{{ name ~ '!' }}{% endset %}{{ t }} {{ [1, 2, 3] | sum }} "
        "{{ range(3) | list | length }} {{ {'a': 1}['a'] }} {{ (n * 2) ** 2 }}"
        "{% filter upper %} done{% endfilter %}")
    text = render_text(source, {"name": "ana", "pairs": {"b": 2, "a": 1},
                                "items": ["a", "b", "c"], "code": "X", "n": 7,
                                "kind": "road_closure"})
    assert text == ("Hi Ana. a=1, b=2; A/B/C; X-007; road closure; 1a2c; ana! 6 3 1 196 DONE")


def test_an_unknown_name_is_reported_with_its_line() -> None:
    with pytest.raises(RenderError) as caught:
        render_text("one\ntwo {{ shipper }}\nthree {{ nobody }}", {"shipper": "S"})
    assert (caught.value.line, caught.value.reason) == (3, "'nobody' is undefined")
    assert caught.value.kind == "UndefinedError"


def test_a_runtime_error_is_reported_with_its_line_and_kind() -> None:
    with pytest.raises(RenderError) as caught:
        render_text("a\nb\n{{ 1 // zero }}", {"zero": 0})
    assert caught.value.line == 3 and caught.value.kind == "ZeroDivisionError"
    assert "ZeroDivisionError" in caught.value.loggable() and "division" not in \
        caught.value.loggable()


def test_a_syntax_error_is_reported_every_time_with_its_line() -> None:
    for _ in range(3):  # compiled once, remembered, raised afresh
        with pytest.raises(RenderError) as caught:
            render_text("fine\n{% if %}", {})
        assert caught.value.line == 2 and caught.value.kind == "TemplateSyntaxError"


def test_no_global_but_range() -> None:
    for name in ("lipsum", "cycler", "joiner", "namespace", "dict"):
        with pytest.raises(RenderError) as caught:
            render_text(f"{{{{ {name}() }}}}", {})
        assert caught.value.kind == "UndefinedError"
