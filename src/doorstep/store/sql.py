"""Small SQL helpers shared by the stores, the web pages and the simulator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def count_by(session: Session, column: sa.ColumnElement[Any],
             where: sa.ColumnElement[bool] | None = None) -> dict[str, int]:
    """Rows counted per value of `column` (its table's, filtered by `where`), keyed by str."""
    stmt = sa.select(column, sa.func.count()).group_by(column)
    if where is not None:
        stmt = stmt.where(where)
    return {str(value): int(n) for value, n in session.execute(stmt)}


def insert_for(session: Session) -> Callable[[sa.Table], postgresql.Insert | sqlite.Insert]:
    """The dialect's own `insert` (for ON CONFLICT): PostgreSQL's, else SQLite's."""
    dialect = session.get_bind().dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert
