"""The types of path and query parameters: a bad value is a 422 naming the parameter, never a
query the database refuses (a NUL character, an id longer than any stored, a year past 9999)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, TypeVar

from fastapi import HTTPException, Path
from pydantic import AfterValidator, AwareDatetime, StringConstraints

Text = Annotated[str, StringConstraints(min_length=1, max_length=160, pattern=r"^[^\x00]*$")]
TextId = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[^\x00]*$")]


def _utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("out of range in UTC") from None


UtcQueryTime = Annotated[AwareDatetime, AfterValidator(_utc)]

IdPath = Annotated[TextId, Path(description="the id")]
EventIdPath = Annotated[int, Path(ge=1, le=2**31 - 1, description="the event's id")]


T = TypeVar("T")


def found(value: T | None, what: str) -> T:
    """The value, or a 404 that reads the same whether it does not exist or is not the asker's."""
    if value is None:
        raise HTTPException(404, f"no such {what}")
    return value
