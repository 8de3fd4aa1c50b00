"""Who may see and edit which message templates, and what one editor page is about.

Admins and dispatchers edit every scope; supervisors and leadership read them. A shipper's
people read and edit their own shipper's words to its customers, and nothing else: another
shipper's scope, the operator's defaults and the operator's own alerts are 404 to them, the
same answer as for something that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import HTTPException
from sqlalchemy.orm import Session

from doorstep.domain.access import Principal, Role
from doorstep.messaging.catalogue import BODY, CATALOGUE, MessageType
from doorstep.messaging.saved import OPERATOR, Key
from doorstep.read.template_previews import shipper_languages

EDITORS = frozenset({Role.ADMIN, Role.DISPATCHER})


@dataclass(frozen=True)
class TemplateScope:
    id: str  # a shipper id, or OPERATOR
    name: str
    languages: tuple[str, ...]

    @property
    def shipper_id(self) -> str | None:
        return None if self.id == OPERATOR else self.id


@dataclass(frozen=True)
class Editing:
    """One editor page: which template, in which scope, and whether the asker may change it."""

    kind: MessageType
    scope: TemplateScope
    key: Key
    may_edit: bool
    languages: tuple[str, ...]  # the languages this message type is written in, in this scope


def visible_scopes(s: Session, who: Principal, operator_name: str) -> list[TemplateScope]:
    shippers = [TemplateScope(x.id, x.name, x.languages) for x in shipper_languages(s, who)]
    if who.is_shipper:
        return shippers
    every = tuple(dict.fromkeys(["en", *(lang for x in shippers for lang in x.languages)]))
    return [TemplateScope(OPERATOR, f"{operator_name} (defaults)", every), *shippers]


def kinds_in(scope: TemplateScope) -> list[MessageType]:
    """The message types a scope has words for: the operator's alerts are the operator's."""
    return [k for k in CATALOGUE.values() if scope.id == OPERATOR or k.shippers_may_edit]


def languages_of(kind: MessageType, scope: TemplateScope) -> tuple[str, ...]:
    # The operator's alerts are queued in English; the customers' messages in their language.
    return scope.languages if kind.audience == "recipient" else ("en",)


def may_edit(who: Principal, scope: TemplateScope) -> bool:
    if who.is_shipper:
        return scope.id == who.shipper_id
    return who.role in EDITORS


def editing(s: Session, who: Principal, operator_name: str, name: str, scope: str | None,
            language: str | None, part: str | None) -> Editing:
    """What the request is about, or 404 when it does not exist or is not the asker's."""
    kind = CATALOGUE.get(name)
    scopes = {x.id: x for x in visible_scopes(s, who, operator_name)}
    wanted = scope or (who.shipper_id if who.is_shipper else OPERATOR)
    found = scopes.get(wanted or "")
    if kind is None or found is None or kind not in kinds_in(found):
        raise HTTPException(404, "no such template")
    languages = languages_of(kind, found)
    language = language or languages[0]
    part = part or BODY
    if language not in languages or part not in kind.parts:
        raise HTTPException(404, "no such template")
    return Editing(kind, found, Key(found.id, kind.name, language, part), may_edit(who, found),
                   languages)
