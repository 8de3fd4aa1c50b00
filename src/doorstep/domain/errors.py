"""Errors raised by domain rules."""

from __future__ import annotations


class DomainError(Exception):
    """A domain rule was broken."""


class IllegalTransition(DomainError):
    """An entity was asked to move to a state its lifecycle does not allow from where it is."""

    def __init__(self, entity: str, current: str, target: str) -> None:
        super().__init__(f"{entity} cannot go from {current!r} to {target!r}")
        self.entity = entity
        self.current = current
        self.target = target


class NaiveDatetime(DomainError):
    """A timestamp without a time zone reached the domain."""
