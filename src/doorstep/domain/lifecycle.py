"""State machines: which state may follow which, declared once per entity."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Generic, TypeVar

from doorstep.domain.errors import IllegalTransition

S = TypeVar("S", bound=StrEnum)


class Lifecycle(Generic[S]):
    """The allowed transitions of one entity's status.

    A transition to the state the entity is already in is not allowed either: callers that
    receive the same fact twice decide for themselves whether a repeat is harmless.
    """

    def __init__(self, entity: str, transitions: Mapping[S, Iterable[S]]) -> None:
        self.entity = entity
        self._next: dict[S, frozenset[S]] = {k: frozenset(v) for k, v in transitions.items()}

    def allowed(self, current: S, target: S) -> bool:
        return target in self._next.get(current, frozenset())

    def check(self, current: S, target: S) -> None:
        if not self.allowed(current, target):
            raise IllegalTransition(self.entity, current.value, target.value)

    def is_final(self, state: S) -> bool:
        return not self._next.get(state)

    def successors(self, state: S) -> frozenset[S]:
        return self._next.get(state, frozenset())
