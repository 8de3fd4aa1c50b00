"""Schema migrations, run programmatically so an installed doorstep needs no alembic.ini."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from doorstep.store.db import Database

MIGRATIONS = Path(__file__).with_name("migrations")


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(db: Database, revision: str = "head") -> None:
    cfg = _config()
    with db.engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        conn.commit()


def is_current(db: Database) -> bool:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    with db.read_engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision() == head


def autogenerate(db: Database, message: str) -> None:
    """For developers: write a new revision from the difference between tables.py and db."""
    cfg = _config()
    with db.engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.revision(cfg, message=message, autogenerate=True)
