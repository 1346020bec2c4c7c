"""change counters: triggers count the writes to every table the figures are computed from

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05

A computed figure (the dashboard's indicators of every year, the home page) is kept with
the counters it was computed at and served again while they have not moved, whichever
process wrote in between (fm/db/changes.py, fm/app/snapshots.py). Also an index for the
risk list, worst first within a run.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fm.db.changes import COUNT_FUNCTION, unwatch, watch

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# facility_usage is a view since 0011 (no trigger can sit on it); the service tables it reads are watched.
WATCHED = (
    "asset_categories",
    "assets",
    "district_population",
    "districts",
    "indicator_targets",
    "individual_plans",
    "inspections",
    "land_parcels",
    "ledger_entries",
    "network_lines",
    "parcel_uses",
    "plan_assets",
    "plan_budget_items",
    "plan_works",
    "risk_runs",
    "service_buildings",
    "service_usage",
    "services",
    "traffic_restrictions",
    "work_orders",
)


def upgrade() -> None:
    op.create_table(
        "data_changes",
        sa.Column("table_name", sa.String(length=63), nullable=False),
        sa.Column("changes", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("table_name", name=op.f("pk_data_changes")),
    )
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text(COUNT_FUNCTION))
    for table in WATCHED:
        watch(connection, table)
    op.create_index("ix_risk_scores_ranking", "risk_scores", ["run_id", "score"])


def downgrade() -> None:
    op.drop_index("ix_risk_scores_ranking", table_name="risk_scores")
    connection = op.get_bind()
    for table in WATCHED:
        unwatch(connection, table)
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("DROP FUNCTION fm_count_changes()"))
    op.drop_table("data_changes")
