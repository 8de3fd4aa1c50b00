"""Checking a template before it is saved, and saving it.

A template is checked in the same sandbox that sends it: it must parse, use only the
variables its message type has (each unknown name is reported with the line it is first used
on, even in a branch the sample would not take), and render against the message type's
sample — and against a real delivery's values when the editor has one — within the limits.
An SMS body longer than SMS_SEGMENTS_WARNING segments is a warning, not an error. A template
with an error is never stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from jinja2 import TemplateSyntaxError, meta, nodes
from sqlalchemy.orm import Session

from doorstep.messaging import saved
from doorstep.messaging.catalogue import BODY, CATALOGUE, MessageType
from doorstep.messaging.errors import RenderError
from doorstep.messaging.render import values_for
from doorstep.messaging.sandbox import ENV, compiled, render_text
from doorstep.messaging.segments import Segments, is_gsm7, segments

MAX_SOURCE = 10_000  # characters of one template
SMS_SEGMENTS_WARNING = 5
LANGUAGE = re.compile(r"^[a-z]{2}$")


@dataclass(frozen=True)
class Problem:
    message: str
    line: int | None = None


@dataclass
class Check:
    """What a check found, and the text the template rendered (against the real values when
    given, else the sample)."""

    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    text: str | None = None
    against: str = "the sample values"

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def sms(self) -> Segments | None:
        return segments(self.text) if self.text is not None else None

    @property
    def ucs2_characters(self) -> list[str]:
        """The characters that make the text UCS-2 (one is enough), each once, in order."""
        return [c for c in dict.fromkeys(self.text or "") if not is_gsm7(c)]


class InvalidKey(ValueError):
    """A message type, part or language that does not exist."""


def normalized(source: str) -> str:
    """Browsers send a textarea's lines ending in CR LF."""
    return source.replace("\r\n", "\n").replace("\r", "\n")


def message_type_of(key: saved.Key) -> MessageType:
    kind = CATALOGUE.get(key.name)
    if kind is None or key.part not in kind.parts or not LANGUAGE.match(key.language):
        raise InvalidKey(f"no template {key.name} {key.part} in {key.language!r}")
    return kind


def _first_use(tree: nodes.Template, name: str) -> int | None:
    lines = [n.lineno for n in tree.find_all(nodes.Name) if n.name == name and n.ctx == "load"]
    return min(lines) if lines else None


def _unknown_names(tree: nodes.Template, kind: MessageType) -> list[Problem]:
    known = set(kind.variables) | set(ENV.globals)
    listed = ", ".join(kind.variables)
    found = [Problem(f"unknown variable '{name}': {kind.name} has {listed}",
                     _first_use(tree, name))
             for name in meta.find_undeclared_variables(tree) - known]
    return sorted(found, key=lambda p: (p.line or 0, p.message))


def check(key: saved.Key, source: str, *, context: dict[str, Any] | None = None,
          shipper_name: str | None = None, against: str = "this delivery") -> Check:
    """Check `source` as the template `key`; `context` is a real message's values."""
    kind = message_type_of(key)
    result = Check()
    if not source.strip():
        result.errors.append(Problem("the template is empty"))
        return result
    if len(source) > MAX_SOURCE:
        result.errors.append(Problem(f"the template is longer than {MAX_SOURCE:,} characters"))
        return result
    try:
        tree = ENV.parse(source)
    except TemplateSyntaxError as err:
        result.errors.append(Problem(err.message or "not a valid template", err.lineno))
        return result
    broken = compiled(source)  # what parses can still fail to compile (an unknown filter)
    if isinstance(broken, RenderError):
        result.errors.append(Problem(broken.reason, broken.line))
        return result
    result.errors.extend(_unknown_names(tree, kind))
    if result.errors:
        return result
    runs = [("the sample values", kind.sample, kind.sample.get("shipper"))]
    if context is not None:
        runs.append((against, context, shipper_name))
    failures: dict[tuple[str, int | None], list[str]] = {}
    for label, values, name in runs:
        try:
            result.text = render_text(source, values_for(key.language, values, name)).strip()
            result.against = label
        except RenderError as err:
            failures.setdefault((err.reason, err.line), []).append(label)
            result.text = None
    result.errors.extend(Problem(f"{reason} (with {' and with '.join(labels)})", line)
                         for (reason, line), labels in failures.items())
    sms = result.sms
    if kind.is_sms and key.part == BODY and sms is not None and sms.count > SMS_SEGMENTS_WARNING:
        result.warnings.append(Problem(
            f"{sms.count} SMS segments ({sms.encoding}, {sms.units} units): each one is billed, "
            f"and phones may show a long text in pieces"))
    return result


def save(s: Session, key: saved.Key, source: str, *, by: str | None, now: datetime,
         context: dict[str, Any] | None = None, shipper_name: str | None = None) -> Check:
    """Check, and store only when there is no error. The check says what was found."""
    source = normalized(source)
    result = check(key, source, context=context, shipper_name=shipper_name)
    if result.ok:
        saved.upsert(s, key, source, by, now)
    return result


def revert(s: Session, key: saved.Key) -> bool:
    """Forget the saved template: the next one in the fallback order applies again."""
    message_type_of(key)
    return saved.delete(s, key)
