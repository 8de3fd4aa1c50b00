"""The migration builds the schema tables.py declares; SQLite runs in WAL with an up-front
write lock."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from doorstep.store.db import Database
from doorstep.store.migrate import is_current, upgrade
from doorstep.store.tables import metadata


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


def test_the_migrated_database_is_current(db):
    assert is_current(db)


def test_upgrading_again_changes_nothing(db):
    upgrade(db)
    assert is_current(db)
    with db.engine.connect() as conn:
        versions = conn.execute(sa.text("SELECT version_num FROM alembic_version")).all()
    assert len(versions) == 1


def test_every_declared_table_column_and_index_exists(db):
    inspector = sa.inspect(db.engine)
    tables = set(inspector.get_table_names())
    assert {t.name for t in metadata.sorted_tables} <= tables
    assert "alembic_version" in tables
    for table in metadata.sorted_tables:
        columns = {c["name"] for c in inspector.get_columns(table.name)}
        assert columns == {c.name for c in table.columns}, table.name
        declared = {ix.name for ix in table.indexes}
        present = {ix["name"] for ix in inspector.get_indexes(table.name)}
        assert declared <= present, (table.name, declared - present)


def test_the_unique_keys_that_make_repeats_harmless_exist(db):
    inspector = sa.inspect(db.engine)

    def unique_sets(table: str) -> set[tuple[str, ...]]:
        found = {tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)}
        found |= {tuple(ix["column_names"]) for ix in inspector.get_indexes(table)
                  if ix["unique"]}
        found.add(tuple(inspector.get_pk_constraint(table)["constrained_columns"]))
        return found

    assert ("source", "external_id") in unique_sets("events")
    assert ("dedup_key",) in unique_sets("messages")
    assert ("delivery_id", "number") in unique_sets("attempts")
    assert ("route_id", "delivery_id") in unique_sets("stops")
    assert ("shift_id",) in unique_sets("gaps")


def _ours(name: str | None, type_: str, parent_names: dict) -> bool:
    # Other tools (the benchmarks, alembic itself) may keep tables in the same database.
    return type_ != "table" or name in metadata.tables


def test_the_migration_matches_the_declared_tables(db):
    """No drift: autogenerate finds nothing to add, drop or change."""
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={
            "compare_type": True, "include_name": _ours}), metadata)
    assert diff == []


def test_an_empty_database_is_not_current(tmp_path: Path):
    db = Database(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        assert not is_current(db)
        upgrade(db)
        assert is_current(db)
    finally:
        db.dispose()


# --- SQLite specifics ---------------------------------------------------------------------------

@pytest.fixture
def sqlite_db(tmp_path: Path, sqlite_template: Path) -> Iterator[Database]:
    path = tmp_path / "doorstep.db"
    path.write_bytes(sqlite_template.read_bytes())
    database = Database(f"sqlite:///{path}")
    yield database
    database.dispose()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(sqlite_db):
    for engine in (sqlite_db.engine, sqlite_db.read_engine):
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 60000
    path = sa.engine.make_url(sqlite_db.url).database
    raw = sqlite3.connect(path)
    try:  # WAL is a property of the file: any other connection sees it too
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        raw.close()


def test_a_sqlite_writer_takes_the_write_lock_up_front_and_readers_still_read(sqlite_db):
    path = sa.engine.make_url(sqlite_db.url).database
    with sqlite_db.transaction() as session:
        session.execute(sa.text("SELECT 1"))  # begins the transaction: no write made yet
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            # WAL: a reader is not blocked by the writer.
            assert other.execute("SELECT count(*) FROM events").fetchone() == (0,)
        finally:
            other.close()
        with sqlite_db.reading() as reader:
            assert reader.execute(sa.text("SELECT count(*) FROM markets")).scalar() == 0
