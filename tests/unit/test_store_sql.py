"""store/sql.py: one count-by helper and one choice of the dialect's insert, for every caller."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

import doorstep
from doorstep.store.sql import count_by, insert_for

PKG = Path(doorstep.__file__).parent
meta = sa.MetaData()
parcels = sa.Table("parcels", meta, sa.Column("id", sa.Integer, primary_key=True),
                   sa.Column("status", sa.String), sa.Column("depot", sa.String))


@pytest.fixture
def session() -> Iterator[Session]:
    engine = sa.create_engine("sqlite://")
    meta.create_all(engine)
    with Session(engine) as s:
        s.execute(parcels.insert(), [{"status": st, "depot": dp} for st, dp in [
            ("delivered", "a"), ("delivered", "a"), ("failed", "a"), ("delivered", "b"),
            ("pending", "b")]])
        yield s
    engine.dispose()


def test_count_by_groups_and_filters(session: Session) -> None:
    assert count_by(session, parcels.c.status) == {"delivered": 3, "failed": 1, "pending": 1}
    assert count_by(session, parcels.c.status, parcels.c.depot == "a") == {
        "delivered": 2, "failed": 1}
    assert count_by(session, parcels.c.depot, parcels.c.depot == "none") == {}


def test_insert_for_picks_the_dialects_insert(session: Session) -> None:
    assert insert_for(session) is sqlite.insert
    stmt = insert_for(session)(parcels).on_conflict_do_nothing(index_elements=["id"])
    session.execute(stmt, [{"id": 1, "status": "x", "depot": "z"}])  # a repeat: nothing
    assert count_by(session, parcels.c.status)["delivered"] == 3

    pg = sa.create_engine("postgresql+psycopg://u:p@127.0.0.1:1/none")  # never connected
    try:
        assert insert_for(Session(pg)) is postgresql.insert
    finally:
        pg.dispose()


@pytest.mark.parametrize("path", sorted(p for p in PKG.rglob("*.py") if p.name != "sql.py"),
                         ids=lambda p: str(p.relative_to(PKG)))
def test_no_module_chooses_the_dialect_insert_itself(path: Path) -> None:
    """postgresql.insert / sqlite.insert are chosen in store/sql.py only."""
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Attribute) and node.attr == "insert" and \
                isinstance(node.value, ast.Name):
            assert node.value.id not in {"postgresql", "sqlite"}, \
                f"{path.name}:{node.lineno}: use doorstep.store.sql.insert_for"
