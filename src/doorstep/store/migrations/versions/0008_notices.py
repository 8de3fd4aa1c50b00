"""held arrival windows and once-only notice marks

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import doorstep.store.types

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, doorstep.store.types.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "held_windows",
        sa.Column("delivery_id", sa.String(length=128), nullable=False),
        sa.Column("route_id", sa.String(length=128), nullable=False),
        sa.Column("market_id", sa.String(length=128), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        _when("first_start"), _when("first_end"), _when("window_start"), _when("window_end"),
        _when("sent_at"), _when("changed_at"),
        sa.Column("updates", sa.Integer(), server_default="0", nullable=False),
        sa.Column("away_sent", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("near_sent", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("deadline_warned", sa.Boolean(), server_default=sa.false(), nullable=False),
        _when("arrived_at", nullable=True),
        sa.Column("hit", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(["delivery_id"], ["deliveries.id"],
                                name=op.f("fk_held_windows_delivery_id_deliveries")),
        sa.ForeignKeyConstraint(["market_id"], ["markets.id"],
                                name=op.f("fk_held_windows_market_id_markets")),
        sa.PrimaryKeyConstraint("delivery_id", "route_id", name=op.f("pk_held_windows")),
    )
    op.create_index(op.f("ix_held_windows_market_id_service_date"), "held_windows",
                    ["market_id", "service_date"], unique=False)
    op.create_table(
        "notice_marks",
        sa.Column("delivery_id", sa.String(length=128), nullable=False),
        sa.Column("mark", sa.String(length=64), nullable=False),
        _when("at"),
        sa.ForeignKeyConstraint(["delivery_id"], ["deliveries.id"],
                                name=op.f("fk_notice_marks_delivery_id_deliveries")),
        sa.PrimaryKeyConstraint("delivery_id", "mark", name=op.f("pk_notice_marks")),
    )


def downgrade() -> None:
    op.drop_table("notice_marks")
    op.drop_index(op.f("ix_held_windows_market_id_service_date"), table_name="held_windows")
    op.drop_table("held_windows")
