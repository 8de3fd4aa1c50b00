"""shipper templates, the Needs a person inbox, shared send budgets, unreachable addresses

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import doorstep.store.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "templates",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scope", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("part", sa.String(length=16), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("updated_at", doorstep.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=320), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_templates")),
        sa.UniqueConstraint("scope", "name", "language", "part",
                            name=op.f("uq_templates_scope_name_language_part")),
    )
    op.create_table(
        "send_rates",
        sa.Column("sender", sa.String(length=400), nullable=False),
        sa.Column("tat", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("sender", name=op.f("pk_send_rates")),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("needs_person_at", doorstep.store.types.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column("settled_at", doorstep.store.types.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column("settled_by", sa.String(length=320), nullable=True))
        batch_op.create_index(batch_op.f("ix_messages_needs_person_at"), ["needs_person_at"],
                              unique=False)
    with op.batch_alter_table("recipients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone_invalid_at", doorstep.store.types.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column("email_invalid_at", doorstep.store.types.UTCDateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("recipients", schema=None) as batch_op:
        batch_op.drop_column("email_invalid_at")
        batch_op.drop_column("phone_invalid_at")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_messages_needs_person_at"))
        batch_op.drop_column("settled_by")
        batch_op.drop_column("settled_at")
        batch_op.drop_column("needs_person_at")
    op.drop_table("send_rates")
    op.drop_table("templates")
