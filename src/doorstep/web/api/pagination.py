"""Cursor pages: `?limit=&cursor=` in, `{"items": [...], "next_cursor": ...}` out.

A cursor is opaque to the client: it names the list it belongs to and the last id of the page
before (base64url of a small JSON array). It carries no filters and grants nothing: whoever
presents it gets the rows after that id that they may see, filtered as they ask.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

import sqlalchemy as sa
from fastapi import Query
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field

from doorstep.read.lists import Page as ReadPage

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
MAX_CURSOR = 400
MAX_TEXT_KEY = 128  # the length of a text id in the schema
MAX_INT_KEY = 2**31 - 1  # an INTEGER column on PostgreSQL

T = TypeVar("T")
K = TypeVar("K", str, int)


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        description="pass as `cursor` for the next page; null on the last page")


def encode(resource: str, after: str | int) -> str:
    raw = json.dumps([resource, after], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _bad_cursor(cursor: str, why: str) -> RequestValidationError:
    return RequestValidationError([{"type": "value_error", "loc": ("query", "cursor"),
                                    "msg": f"Value error, {why}", "input": cursor}])


def decode(resource: str, cursor: str, key: type[K]) -> K:
    """The id the page starts after; a 422 naming `cursor` for anything not made by `encode`
    for this list."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        found = json.loads(raw.decode())
    except (binascii.Error, ValueError):  # UnicodeDecodeError and JSONDecodeError among them
        raise _bad_cursor(cursor, "not a cursor this API gave") from None
    if not (isinstance(found, list) and len(found) == 2 and found[0] == resource):
        raise _bad_cursor(cursor, f"not a cursor of the {resource} list")
    after = found[1]
    if key is int:
        fits = type(after) is int and 0 <= after <= MAX_INT_KEY
    else:
        fits = (isinstance(after, str) and 0 < len(after) <= MAX_TEXT_KEY
                and "\x00" not in after)
    if not fits:
        raise _bad_cursor(cursor, "not a cursor this API gave")
    return key(after)


@dataclass(frozen=True)
class PageRequest(Generic[K]):
    """The page asked for: where it starts (None: at the beginning) and how long it is."""

    resource: str
    limit: int
    after: K | None

    def answer(self, page: ReadPage, item: Callable[[sa.Row[Any]], T]) -> Page[T]:
        last = page.rows[-1].id if page.more else None
        return Page(items=[item(r) for r in page.rows],
                       next_cursor=None if last is None else encode(self.resource, last))


def paging(resource: str, key: type[K]) -> Callable[..., PageRequest[K]]:
    """The `limit` and `cursor` query parameters of one list, as a dependency."""

    def page_request(
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT,
                                    description="items on one page")] = DEFAULT_LIMIT,
        cursor: Annotated[str | None, Query(
            max_length=MAX_CURSOR,
            description="`next_cursor` of the page before; none for the first page")] = None,
    ) -> PageRequest[K]:
        return PageRequest(resource, limit, None if cursor is None else decode(resource, cursor, key))

    return page_request
