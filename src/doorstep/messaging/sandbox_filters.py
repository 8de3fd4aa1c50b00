"""The filters a template may use: Jinja's own, minus those whose output size is hard to bound
(and of no use in a message), each checking the deadline before it runs and the size of what
it returns; those that could make something huge from small arguments are checked before.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import wraps
from typing import Any

from jinja2.filters import FILTERS

from doorstep.messaging import limits
from doorstep.messaging.limits import LimitExceeded

SAFE_FILTERS = {
    "abs", "attr", "batch", "capitalize", "center", "count", "d", "default", "dictsort", "e",
    "escape", "filesizeformat", "first", "float", "format", "groupby", "indent", "int", "items",
    "join", "last", "length", "list", "lower", "map", "max", "min", "reject", "rejectattr",
    "replace", "reverse", "round", "select", "selectattr", "slice", "sort", "string",
    "striptags", "sum", "title", "trim", "truncate", "unique", "upper", "urlencode", "wordcount",
    "wordwrap",
}  # left out: pprint, tojson, xmlattr, urlize (sizes hard to bound, no use in a message), random


def _over(size: float) -> None:
    if size > limits.MAX_VALUE:
        raise limits.too_large()


def _text_len(value: Any) -> int:
    return len(value) if isinstance(value, str) else limits.weight(value)


# Checks made before a filter runs, on its arguments by name (inspect.Signature.bind).
PRECHECKS: dict[str, Callable[[dict[str, Any]], None]] = {
    "center": lambda a: _over(a.get("width", 80)),
    "indent": lambda a: _over(_text_len(a["s"]) + (str(a["s"]).count("\n") + 1)
                              * _text_len(a.get("width", 4))),
    "join": lambda a: _over(limits.weight(a["value"]) + _text_len(a.get("d", ""))
                            * limits.weight(a["value"])),
    "replace": lambda a: _over(_text_len(a["s"]) + (str(a["s"]).count(str(a["old"])) + 1)
                               * _text_len(a["new"])),
    "format": lambda a: limits.check_percent_format(a["value"], a.get("args") or a.get("kwargs")),
    "wordwrap": lambda a: _over(_text_len(a["s"]) * (1 + _text_len(a.get("wrapstring") or "\n"))),
    "slice": lambda a: _over(a["slices"]),
    "batch": lambda a: _over(a["linecount"]),
    "sum": lambda a: _numbers_only(a.get("start", 0)),
}


def _numbers_only(start: Any) -> None:
    if not isinstance(start, (int, float)):
        raise LimitExceeded("sum adds numbers only")


def _guard_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    precheck = PRECHECKS.get(name)
    signature = inspect.signature(func) if precheck else None

    @wraps(func)  # keeps `jinja_pass_arg`, so Jinja still passes the context where asked
    def guarded(*args: Any, **kwargs: Any) -> Any:
        limits.tick()
        if precheck is not None and signature is not None:
            bound = signature.bind(*args, **kwargs)
            precheck(bound.arguments)
        return limits.bounded(func(*args, **kwargs))

    return guarded


def guarded_filters() -> dict[str, Callable[..., Any]]:
    return {name: _guard_filter(name, f) for name, f in FILTERS.items() if name in SAFE_FILTERS}
