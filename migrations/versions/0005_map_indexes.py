"""covering indexes for the map's points: held assets by status, latest risk class and state

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25

The viewport endpoint reads these few columns for every asset at the scale of the city;
with the indexes SQLite reads them without touching the wide asset rows (geometry blobs).
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_assets_map", "assets", ["status", "category", "district_id", "code"])
    op.create_index("ix_risk_scores_map", "risk_scores", ["run_id", "asset_id", "risk_class", "state"])


def downgrade() -> None:
    op.drop_index("ix_risk_scores_map", table_name="risk_scores")
    op.drop_index("ix_assets_map", table_name="assets")
