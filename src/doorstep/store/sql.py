"""Small SQL helpers shared by the stores, the web pages and the simulator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
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


class epoch_seconds(sa.sql.expression.FunctionElement[int]):  # noqa: N801 - reads as a function
    """Whole seconds since 1970 of a UTC datetime column, on either engine (for time buckets)."""

    type = sa.Integer()
    inherit_cache = True


@compiles(epoch_seconds, "sqlite")
def _epoch_sqlite(element: epoch_seconds, compiler: Any, **kw: Any) -> str:
    return f"CAST(strftime('%s', {compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(epoch_seconds, "postgresql")
def _epoch_pg(element: epoch_seconds, compiler: Any, **kw: Any) -> str:
    return f"CAST(floor(extract(epoch from {compiler.process(element.clauses, **kw)})) AS BIGINT)"


def inserted(session: Session, stmt: postgresql.Insert | sqlite.Insert,
             key: sa.ColumnElement[Any]) -> bool:
    """Whether an INSERT … ON CONFLICT DO NOTHING wrote its row. Asked with RETURNING, because
    psycopg reports such an insert's rowcount as -1 on PostgreSQL whatever it did."""
    return session.execute(stmt.returning(key)).first() is not None
