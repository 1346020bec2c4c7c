"""risk scores keyed by asset then run, with the map's classes in the key on PostgreSQL

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06

Each run's partition of ``risk_scores`` had its key (run, asset) and three indexes built after its COPY: the
asset's scores, the map's classes (run, asset, class, state) and the ranking (run, score). Within a partition the
run is one value, so the key, the asset index and the map index ordered the same rows the same way. The key is now
(asset, run), which serves an asset's scores in every run (and what deleting an asset cascades to), and on
PostgreSQL it carries the map's classes (``INCLUDE (risk_class, state)``), so it covers the map's reads too: a run
builds two indexes instead of four (issue 19, bench/README.md). SQLite keeps its covering map index (one plain
table, where the run leads); its asset index goes, the key serving it.
"""

from __future__ import annotations

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

MAP = ["run_id", "asset_id", "risk_class", "state"]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # On the partitioned table: each partition's own index goes with the table's, and the new key is built
        # on every partition.
        op.execute("ALTER TABLE risk_scores DROP CONSTRAINT pk_risk_scores")
        op.execute("DROP INDEX ix_risk_scores_asset_id")
        op.execute("DROP INDEX ix_risk_scores_map")
        op.execute(
            "ALTER TABLE risk_scores ADD CONSTRAINT pk_risk_scores PRIMARY KEY (asset_id, run_id) "
            "INCLUDE (risk_class, state)"
        )
        return
    op.drop_index("ix_risk_scores_asset_id", table_name="risk_scores")
    with op.batch_alter_table("risk_scores", recreate="always") as batch_op:  # SQLite: a new key, a copied table
        batch_op.drop_constraint("pk_risk_scores", type_="primary")
        batch_op.create_primary_key("pk_risk_scores", ["asset_id", "run_id"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE risk_scores DROP CONSTRAINT pk_risk_scores")
        op.execute("ALTER TABLE risk_scores ADD CONSTRAINT pk_risk_scores PRIMARY KEY (run_id, asset_id)")
        op.create_index("ix_risk_scores_asset_id", "risk_scores", ["asset_id"])
        op.create_index("ix_risk_scores_map", "risk_scores", MAP)
        return
    with op.batch_alter_table("risk_scores", recreate="always") as batch_op:
        batch_op.drop_constraint("pk_risk_scores", type_="primary")
        batch_op.create_primary_key("pk_risk_scores", ["run_id", "asset_id"])
    op.create_index("ix_risk_scores_asset_id", "risk_scores", ["asset_id"])
