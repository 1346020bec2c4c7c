"""asset_changes: which assets each write to the inspections touched, logged by triggers

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06

After an inspection is recorded the schedule's next inspections are read again for the assets whose inspections
were written since the kept reading, not for all 100,000 (issue 19; fm/db/changes.py, docs/schedule.md). The
log keeps its latest rows only (``fm.db.changes.LOG_KEPT``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fm.db.changes import LOG_FUNCTION, PRUNE_SQLITE, log_assets, unlog_assets

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

LOGGED = ("inspections",)


def upgrade() -> None:
    op.create_table(
        "asset_changes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("table_name", sa.String(length=63), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_changes")),
    )
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text(LOG_FUNCTION))
    else:
        connection.execute(sa.text(PRUNE_SQLITE))
    for table in LOGGED:
        log_assets(connection, table)


def downgrade() -> None:
    connection = op.get_bind()
    for table in LOGGED:
        unlog_assets(connection, table)
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("DROP FUNCTION fm_log_assets()"))
    op.drop_table("asset_changes")
