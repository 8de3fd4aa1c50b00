"""tracking links (hashed tokens) and the recipients' ratings

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import doorstep.store.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tracking_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("delivery_id", sa.String(length=128), nullable=False),
        sa.Column("created_at", doorstep.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", doorstep.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["delivery_id"], ["deliveries.id"],
                                name=op.f("fk_tracking_tokens_delivery_id_deliveries")),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_tracking_tokens")),
    )
    op.create_index(op.f("ix_tracking_tokens_delivery_id"), "tracking_tokens", ["delivery_id"],
                    unique=False)
    op.create_table(
        "ratings",
        sa.Column("delivery_id", sa.String(length=128), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("rated_at", doorstep.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["delivery_id"], ["deliveries.id"],
                                name=op.f("fk_ratings_delivery_id_deliveries")),
        sa.PrimaryKeyConstraint("delivery_id", name=op.f("pk_ratings")),
    )


def downgrade() -> None:
    op.drop_table("ratings")
    op.drop_table("tracking_tokens")
