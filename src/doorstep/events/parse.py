"""Parsing events of the v1 format: every problem named by its field, nothing half-accepted."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter, ValidationError

from doorstep.domain.event import INTERNAL_TYPES
from doorstep.events.format import DATA_MODELS, Envelope, Strict


class InvalidEvent(ValueError):
    """An event that does not follow the format; `problems` name each field and what was wrong."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _problems(err: ValidationError, prefix: str) -> list[str]:
    out = []
    for e in err.errors(include_url=False):
        where = ".".join(str(p) for p in (prefix, *e["loc"]) if p != "")
        out.append(f"{where}: {e['msg']}")
    return out


_ENVELOPE = TypeAdapter(Envelope)


def nul_problems(batch: list[Any]) -> list[str]:
    """Where text holds a NUL character, which PostgreSQL cannot store: refused as bad input on
    every database alike, rather than a 500 on one of them."""
    problems: list[str] = []
    for i, event in enumerate(batch):
        prefix = f"[{i}]." if len(batch) > 1 else ""
        stack: list[tuple[str, Any]] = [("", event)]
        while stack:  # iterative: the JSON may be as deep as the parser allowed
            where, value = stack.pop()
            if isinstance(value, dict):
                if any("\x00" in key for key in value):
                    problems.append(f"{prefix}{where or '(event)'}: a field name holds NUL")
                items = [(f"{where}.{k}" if where else k, v) for k, v in value.items()]
            elif isinstance(value, list):
                items = [(f"{where}.{j}" if where else str(j), v) for j, v in enumerate(value)]
            else:
                if isinstance(value, str) and "\x00" in value:
                    problems.append(f"{prefix}{where or '(event)'}: text must not contain NUL "
                                    "(\\u0000)")
                continue
            stack.extend(reversed(items))
    return problems


def parse_event(raw: Any) -> tuple[Envelope, Strict]:
    """Validate an envelope and its data; raise InvalidEvent naming every problem."""
    if not isinstance(raw, dict):
        raise InvalidEvent([f"(event): expected a JSON object, got {type(raw).__name__}"])
    try:
        env = _ENVELOPE.validate_python(raw)
    except ValidationError as err:
        raise InvalidEvent(_problems(err, "")) from None
    if env.type in INTERNAL_TYPES:
        raise InvalidEvent([f"type: {env.type.value} is made by doorstep itself and cannot be "
                            "sent to it"])
    try:
        data = DATA_MODELS[env.type].model_validate(env.data)
    except ValidationError as err:
        raise InvalidEvent(_problems(err, "data")) from None
    return env, data
