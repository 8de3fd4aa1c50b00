"""The time and size limits of one template render, and the checks that enforce them.

A render runs under a `Budget` (a deadline) held in a context variable, so that the checks
made from inside Jinja's generated code (loops, calls, operators, filters) find the deadline of
the render they belong to, in whichever thread renders. Outside a render (Jinja folding
constants while it compiles) there is no deadline, and only the size checks apply.

Sizes are counted as a value's *weight*: characters for text, one per item plus the items'
own weight for containers. Every value a template builds is kept under MAX_VALUE, so turning
any of them into text, comparing or sorting them is bounded work.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import ItemsView, Iterable, Iterator, KeysView, Mapping, Sized, ValuesView
from collections.abc import Set as AbstractSet
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from doorstep.messaging.errors import RenderError

TIME_LIMIT_MS = 50  # per render; the defaults take a few microseconds
MAX_OUTPUT = 50_000  # characters a template may produce (an SMS of 5 segments is ~800)
MAX_VALUE = MAX_OUTPUT  # weight of any value a template builds
MAX_RANGE = 10_000  # items of one range()
MAX_INT_DIGITS = 4_000  # below Python's own 4,300-digit limit on int → str


class LimitExceeded(RenderError):
    """A render that ran out of time or built something too large."""


@dataclass(slots=True)
class Budget:
    deadline: float


_budget: ContextVar[Budget | None] = ContextVar("doorstep_render_budget", default=None)


def start(limit_ms: float = TIME_LIMIT_MS) -> Any:
    """Open a render's budget; hand the returned token to `finish`."""
    return _budget.set(Budget(time.monotonic() + limit_ms / 1000))


def finish(token: Any) -> None:
    _budget.reset(token)


def deadline() -> float | None:
    budget = _budget.get()
    return None if budget is None else budget.deadline


def out_of_time() -> LimitExceeded:
    return LimitExceeded(f"the template took longer than {TIME_LIMIT_MS} ms")


def tick() -> None:
    """Raise when the current render is past its deadline."""
    budget = _budget.get()
    if budget is not None and time.monotonic() > budget.deadline:
        raise out_of_time()


def too_large(what: str = "a value") -> LimitExceeded:
    return LimitExceeded(f"{what} would be longer than {MAX_VALUE:,} characters")


def weight(value: Any, limit: int = MAX_VALUE) -> int:
    """The value's weight, or some number above `limit` once it is known to be heavier (the
    walk stops there, so a value shared many times over costs no more than `limit` to weigh)."""
    total = 0
    pending = [value]
    while pending:
        v = pending.pop()
        if isinstance(v, (str, bytes)):
            total += len(v)
        elif isinstance(v, bool) or v is None or isinstance(v, float):
            total += 1
        elif isinstance(v, int):
            total += 1 + v.bit_length() // 3
        elif isinstance(v, Mapping):
            total += 1
            pending.extend(v.keys())
            pending.extend(v.values())
        elif isinstance(v, (list, tuple, AbstractSet, KeysView, ValuesView, ItemsView)):
            total += 1
            pending.extend(v)
        elif isinstance(v, Sized):  # range(), and the template's own GuardedRange
            total += len(v)
        else:
            total += 1
        if total > limit:
            return total
    return total


def bounded(value: Any) -> Any:
    """`value` if it weighs at most MAX_VALUE; a lazy iterator made into a list first (its
    length is unknown until it is consumed, and it would escape every later check)."""
    if type(value) is str:
        if len(value) > MAX_VALUE:
            raise too_large()
        return value
    if isinstance(value, Iterator):
        return materialize(value)
    if weight(value) > MAX_VALUE:
        raise too_large()
    return value


def materialize(items: Iterable[Any]) -> list[Any]:
    """A list of `items`, checked as it grows (time and weight)."""
    out: list[Any] = []
    total = 0
    for item in items:
        tick()
        total += weight(item)
        if total > MAX_VALUE:
            raise too_large("a list")
        out.append(item)
    return out


def guarded_loop(items: Iterable[Any]) -> Iterator[Any]:
    """What every `{% for %}` iterates over: the items, with the deadline checked before each.
    An empty loop body nested three deep over a long text has no other check in it."""
    budget = _budget.get()
    if budget is None:
        yield from items
        return
    end = budget.deadline
    for item in items:
        if time.monotonic() > end:
            raise out_of_time()
        yield item


def joined(parts: Iterable[Any]) -> str:
    """Text pieces joined (the `~` operator, a block's buffer), refused before allocating when
    the result would be too long."""
    pieces = [p if type(p) is str else str(bounded(p)) for p in parts]
    if sum(map(len, pieces)) > MAX_VALUE:
        raise too_large("a text")
    return "".join(pieces)


# --- operators ----------------------------------------------------------------------------------

def _digits(n: int) -> int:
    return 1 + int(n.bit_length() * 0.30103)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def check_product(left: Any, right: Any) -> None:
    if _is_number(left) and _is_number(right):
        if isinstance(left, int) and isinstance(right, int) \
                and _digits(left) + _digits(right) > MAX_INT_DIGITS:
            raise LimitExceeded(f"a number would have more than {MAX_INT_DIGITS:,} digits")
        return
    seq, times = (left, right) if isinstance(right, int) else (right, left)
    if isinstance(times, int) and times > 0 and weight(seq) * times > MAX_VALUE:
        raise too_large()


def check_power(base: Any, exponent: Any) -> None:
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and abs(base) > 1 \
            and exponent * math.log10(abs(base)) > MAX_INT_DIGITS:
        raise LimitExceeded(f"a number would have more than {MAX_INT_DIGITS:,} digits")


def check_sum(left: Any, right: Any) -> None:
    if not (_is_number(left) and _is_number(right)) \
            and weight(left) + weight(right) > MAX_VALUE:
        raise too_large()


# `%s`-style conversions with a width or precision: "%*d" takes its width from the arguments.
_CONVERSION = re.compile(r"%(?:\([^)]*\))?[#0 +-]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?[a-zA-Z%]")


def check_percent_format(text: Any, args: Any) -> None:
    """`text % args` (and the `format` filter): the widths asked for count towards the size."""
    if not isinstance(text, str):
        return
    size = len(text) + weight(args)
    for width, precision in _CONVERSION.findall(text):
        if "*" in (width, precision):
            raise LimitExceeded("a width or precision taken from the arguments (*) is not allowed")
        size += int(width or 0) + int(precision or 0)
    if size > MAX_VALUE:
        raise too_large()


def check_modulo(left: Any, right: Any) -> None:
    check_percent_format(left, right)
