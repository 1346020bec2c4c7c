"""work orders record the condition after the work (state_after)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05

A completed repair may record the asset's condition after it (a soundness class 1–4 or a condition score 1–5, by
its category's scale; the database checks 1–5 and that only completed work has one, fm checks the category's
scale). The risk engine then splits an inspection pair at the repair instead of dropping it (docs/risk.md).

On SQLite the column and its CHECKs are added with ``ALTER TABLE … ADD COLUMN`` rather than by copying the
table, so the table keeps its change-counter triggers; ``DROP COLUMN`` undoes it (SQLite ≥ 3.35).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

COMMENT = "condition after the work (completed only): soundness 1–4 or score 1–5, the asset category's scale"
RANGE = ("ck_work_orders_state_after_range", "state_after BETWEEN 1 AND 5")
COMPLETED = ("ck_work_orders_state_after_completed", "state_after IS NULL OR status = 'completed'")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE work_orders ADD COLUMN state_after SMALLINT "
            f"CONSTRAINT {RANGE[0]} CHECK ({RANGE[1]}) CONSTRAINT {COMPLETED[0]} CHECK ({COMPLETED[1]})"
        )
        return
    op.add_column("work_orders", sa.Column("state_after", sa.SmallInteger(), nullable=True, comment=COMMENT))
    for name, condition in (RANGE, COMPLETED):
        op.create_check_constraint(op.f(name), "work_orders", condition)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE work_orders DROP COLUMN state_after")
        return
    for name, _ in (RANGE, COMPLETED):
        op.drop_constraint(op.f(name), "work_orders", type_="check")
    op.drop_column("work_orders", "state_after")
