"""width of roads and bridges (road area for the renewal-cost projection)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fm.db.sqlite import create_rtree_sql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table("assets", schema=None, recreate="always" if sqlite else "auto") as batch_op:
        batch_op.add_column(
            sa.Column("width_m", sa.Float(), nullable=True, comment="roads and bridges: carriageway width")
        )
        batch_op.create_check_constraint(op.f("ck_assets_width_m_positive"), "width_m > 0")
    if sqlite:  # the copied table lost its R*Tree triggers
        for statement in create_rtree_sql("assets", "geom"):
            op.execute(statement)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table("assets", schema=None, recreate="always" if sqlite else "auto") as batch_op:
        batch_op.drop_constraint(op.f("ck_assets_width_m_positive"), type_="check")
        batch_op.drop_column("width_m")
    if sqlite:
        for statement in create_rtree_sql("assets", "geom"):
            op.execute(statement)
