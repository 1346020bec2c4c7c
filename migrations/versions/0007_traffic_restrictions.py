"""traffic restrictions: the urgent measure recorded on a structure judged Ⅳ (or Ⅲ)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

通行規制: from, to and kind, on an asset, with the inspection whose judgement required it.
Together with the work orders they give each statutory duty its state (docs/duties.md).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "traffic_restrictions",
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False, comment="the city's restriction number"),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=True, comment="the inspection that required it"),
        sa.Column("kind", sa.String(length=20), nullable=False, comment="closed, load_limit, width_limit, one_lane, …"),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True, comment="NULL while in force"),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "ends_on IS NULL OR ends_on >= starts_on", name=op.f("ck_traffic_restrictions_ends_after_start")
        ),
        sa.CheckConstraint(
            "kind IN ('closed', 'load_limit', 'width_limit', 'one_lane', 'pedestrians_only', 'other')",
            name=op.f("ck_traffic_restrictions_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["assets.id"], name=op.f("fk_traffic_restrictions_asset_id_assets"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["inspections.id"],
            name=op.f("fk_traffic_restrictions_inspection_id_inspections"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_traffic_restrictions")),
        sa.UniqueConstraint("code", name=op.f("uq_traffic_restrictions_code")),
    )
    with op.batch_alter_table("traffic_restrictions", schema=None) as batch_op:
        batch_op.create_index("ix_traffic_restrictions_asset_id", ["asset_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("traffic_restrictions", schema=None) as batch_op:
        batch_op.drop_index("ix_traffic_restrictions_asset_id")
    op.drop_table("traffic_restrictions")
