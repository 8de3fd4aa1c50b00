"""route platforms: links between their objects and ours, the outbox of writes to them

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import doorstep.store.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "platform_links",
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("doorstep_id", sa.String(length=128), nullable=False),
        sa.Column("platform_id", sa.String(length=200), nullable=False),
        sa.Column("updated_at", doorstep.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("platform", "kind", "doorstep_id", name=op.f("pk_platform_links")),
    )
    op.create_index(op.f("ix_platform_links_platform_kind_platform_id"), "platform_links",
                    ["platform", "kind", "platform_id"], unique=False)
    op.create_table(
        "platform_writes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject_type", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.String(length=128), nullable=False),
        sa.Column("dedup_key", sa.String(length=300), nullable=False),
        sa.Column("payload", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("created_at", doorstep.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("next_try_at", doorstep.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("settled_at", doorstep.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=2000), nullable=True),
        sa.Column("read_back", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platform_writes")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_platform_writes_dedup_key")),
    )
    op.create_index(op.f("ix_platform_writes_status_next_try_at"), "platform_writes",
                    ["status", "next_try_at"], unique=False)
    op.create_index(op.f("ix_platform_writes_subject_type_subject_id"), "platform_writes",
                    ["subject_type", "subject_id"], unique=False)


def downgrade() -> None:
    op.drop_table("platform_writes")
    op.drop_table("platform_links")
