"""provider ids as long as an email Message-ID

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


TABLES = ("messages", "message_attempts")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("provider_id", existing_type=sa.String(length=64),
                                  type_=sa.String(length=320), existing_nullable=True)


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("provider_id", existing_type=sa.String(length=320),
                                  type_=sa.String(length=64), existing_nullable=True)
