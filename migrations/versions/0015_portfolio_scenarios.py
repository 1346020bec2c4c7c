"""portfolio scenarios and their actions

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05

A scenario (施設再編の案) is named, drafted, compared with doing nothing and adopted; its actions close, merge,
convert or sell buildings (docs/portfolio.md#scenarios). Both tables are watched: the kept figures see them change.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fm.db.changes import unwatch, watch

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portfolio_scenarios",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="draft", nullable=False),
        sa.Column(
            "created_by", sa.String(length=100), nullable=False, comment="the account (or CLI user) that made it"
        ),
        sa.Column("adopted_by", sa.String(length=100), nullable=True),
        sa.Column("adopted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        sa.CheckConstraint("status IN ('draft', 'adopted')", name=op.f("ck_portfolio_scenarios_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portfolio_scenarios")),
        sa.UniqueConstraint("name", name=op.f("uq_portfolio_scenarios_name")),
    )
    op.create_table(
        "scenario_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scenario_id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column(
            "fiscal_year", sa.Integer(), nullable=False, comment="closure, conversion or sale year (from 1 April)"
        ),
        sa.Column("target_asset_id", sa.Integer(), nullable=True, comment="merge: the building the services move into"),
        sa.Column("new_use", sa.String(length=32), nullable=True, comment="convert: the kind of service it will house"),
        sa.Column("parcel_id", sa.Integer(), nullable=True, comment="the site; default the parcel under it"),
        sa.Column("works_cost", sa.BigInteger(), nullable=True, comment="demolition or conversion works, yen"),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "action <> 'convert' OR new_use IS NOT NULL", name=op.f("ck_scenario_actions_convert_has_use")
        ),
        sa.CheckConstraint(
            "action <> 'merge' OR target_asset_id IS NOT NULL", name=op.f("ck_scenario_actions_merge_has_target")
        ),
        sa.CheckConstraint("action IN ('close', 'merge', 'convert', 'sell')", name=op.f("ck_scenario_actions_action")),
        sa.CheckConstraint("works_cost >= 0", name=op.f("ck_scenario_actions_works_cost_not_negative")),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["assets.id"], name=op.f("fk_scenario_actions_asset_id_assets"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["parcel_id"],
            ["land_parcels.id"],
            name=op.f("fk_scenario_actions_parcel_id_land_parcels"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["scenario_id"],
            ["portfolio_scenarios.id"],
            name=op.f("fk_scenario_actions_scenario_id_portfolio_scenarios"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_asset_id"],
            ["assets.id"],
            name=op.f("fk_scenario_actions_target_asset_id_assets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scenario_actions")),
        sa.UniqueConstraint(
            "scenario_id", "asset_id", "action", name=op.f("uq_scenario_actions_scenario_id_asset_id_action")
        ),
    )
    with op.batch_alter_table("scenario_actions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scenario_actions_scenario_id"), ["scenario_id"], unique=False)
    connection = op.get_bind()
    watch(connection, "portfolio_scenarios")
    watch(connection, "scenario_actions")


def downgrade() -> None:
    connection = op.get_bind()
    unwatch(connection, "scenario_actions")
    unwatch(connection, "portfolio_scenarios")
    with op.batch_alter_table("scenario_actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scenario_actions_scenario_id"))

    op.drop_table("scenario_actions")
    op.drop_table("portfolio_scenarios")
