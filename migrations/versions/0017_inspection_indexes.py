"""indexes the schedule and the statutory duties read inspections through

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05

``ix_inspections_latest`` (asset_id, inspected_on, next_due_on) replaces (asset_id, inspected_on), which it
extends: each asset's latest inspection and its next due date are read from the index alone (the schedule's
next inspections, issue 19). ``ix_inspections_judged`` (soundness, inspected_on, asset_id) finds the assets
judged Ⅲ or Ⅳ by a date (the statutory duties) without reading every inspection.
"""

from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_inspections_latest", "inspections", ["asset_id", "inspected_on", "next_due_on"])
    op.drop_index("ix_inspections_asset_id_inspected_on", table_name="inspections")
    op.create_index("ix_inspections_judged", "inspections", ["soundness", "inspected_on", "asset_id"])


def downgrade() -> None:
    op.drop_index("ix_inspections_judged", table_name="inspections")
    op.create_index("ix_inspections_asset_id_inspected_on", "inspections", ["asset_id", "inspected_on"])
    op.drop_index("ix_inspections_latest", table_name="inspections")
