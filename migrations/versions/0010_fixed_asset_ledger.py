"""fixed-asset ledger: the 固定資産台帳 of the unified standard, and each asset's ledger number

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05

One row per ledger entry with the ledger's own figures (cost, accumulated depreciation, book value) as of a
fiscal year's end, tied to a register asset by ``fm ledger match`` or by a person (docs/ledger.md).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("ledger_no", sa.String(length=40), nullable=True, comment="its number in the 固定資産台帳")
        )
        batch_op.create_index("ix_assets_ledger_no", ["ledger_no"], unique=False)
    op.create_table(
        "ledger_entries",
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ledger_no", sa.String(length=40), nullable=False, comment="資産番号 of the ledger"),
        sa.Column("name", sa.String(length=200), nullable=False, comment="資産名称"),
        sa.Column("account", sa.String(length=20), nullable=False, comment="勘定科目: 土地, 建物, 工作物, 物品, …"),
        sa.Column("asset_type", sa.String(length=20), nullable=True, comment="事業用資産, インフラ資産 or 物品"),
        sa.Column("acquired_on", sa.Date(), nullable=True, comment="取得年月日"),
        sa.Column("in_service_on", sa.Date(), nullable=True, comment="供用開始年月日"),
        sa.Column("acquisition_cost", sa.BigInteger(), nullable=False, comment="取得価額等, yen"),
        sa.Column("useful_life_years", sa.Integer(), nullable=True, comment="耐用年数"),
        sa.Column(
            "accumulated_depreciation",
            sa.BigInteger(),
            server_default="0",
            nullable=False,
            comment="減価償却累計額, yen",
        ),
        sa.Column("book_value", sa.BigInteger(), nullable=False, comment="期末簿価, yen"),
        sa.Column("area_m2", sa.Float(), nullable=True, comment="数量（面積）"),
        sa.Column("location", sa.String(length=200), nullable=True, comment="所在地"),
        sa.Column("department", sa.String(length=100), nullable=True, comment="所管部署"),
        sa.Column("purpose", sa.String(length=100), nullable=True, comment="用途"),
        sa.Column("fiscal_year", sa.Integer(), nullable=False, comment="the figures are as of this fiscal year's end"),
        sa.Column("asset_id", sa.Integer(), nullable=True, comment="the register asset, when matched"),
        sa.Column("match_status", sa.String(length=12), nullable=True, comment="number, name, confirmed, rejected"),
        sa.CheckConstraint("acquisition_cost >= 0", name=op.f("ck_ledger_entries_acquisition_cost_not_negative")),
        sa.CheckConstraint(
            "accumulated_depreciation >= 0", name=op.f("ck_ledger_entries_accumulated_depreciation_not_negative")
        ),
        sa.CheckConstraint("book_value >= 0", name=op.f("ck_ledger_entries_book_value_not_negative")),
        sa.CheckConstraint(
            "accumulated_depreciation <= acquisition_cost", name=op.f("ck_ledger_entries_depreciation_within_cost")
        ),
        sa.CheckConstraint("useful_life_years > 0", name=op.f("ck_ledger_entries_useful_life_years_positive")),
        sa.CheckConstraint(
            "match_status IN ('number', 'name', 'confirmed', 'rejected')", name=op.f("ck_ledger_entries_match_status")
        ),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["assets.id"], name=op.f("fk_ledger_entries_asset_id_assets"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
        sa.UniqueConstraint("ledger_no", name=op.f("uq_ledger_entries_ledger_no")),
    )
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.create_index("ix_ledger_entries_asset_id", ["asset_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_entries_asset_id")
    op.drop_table("ledger_entries")
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.drop_index("ix_assets_ledger_no")
        batch_op.drop_column("ledger_no")
