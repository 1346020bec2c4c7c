"""risk scores partitioned by run on PostgreSQL

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05

On PostgreSQL ``risk_scores`` becomes a table LIST-partitioned by ``run_id``, one partition per run
(``risk_scores_run_<id>``): ``fm score`` copies a run into a table of its own, builds its indexes once
the rows are in and attaches it, instead of maintaining three indexes and two foreign keys row by row
during the COPY; a replaced run is dropped, not deleted row by row (docs/risk.md, bench/README.md).
The stored scores move into their runs' partitions. SQLite keeps the plain table (nothing to do).
``risk_scores`` stays unwatched by the change counters: it is written only with its ``risk_runs`` row.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_risk_scores_asset_id": "asset_id",
    "ix_risk_scores_map": "run_id, asset_id, risk_class, state",
    "ix_risk_scores_ranking": "run_id, score",
}


def _rename_away(suffix: str) -> None:
    op.execute(f"ALTER TABLE risk_scores RENAME TO risk_scores_{suffix}")
    for name in ("pk_risk_scores", *INDEXES):
        op.execute(f"ALTER INDEX {name} RENAME TO {name}_{suffix}")


def _create(suffix: str, partitioned: bool) -> None:
    """``risk_scores`` again, like the renamed table, with the model's keys and indexes."""
    op.execute(
        f"CREATE TABLE risk_scores (LIKE risk_scores_{suffix} INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
        "INCLUDING COMMENTS)" + (" PARTITION BY LIST (run_id)" if partitioned else "")
    )
    op.execute("ALTER TABLE risk_scores ADD CONSTRAINT pk_risk_scores PRIMARY KEY (run_id, asset_id)")
    op.execute(
        "ALTER TABLE risk_scores ADD CONSTRAINT fk_risk_scores_asset_id_assets FOREIGN KEY (asset_id) "
        "REFERENCES assets (id) ON DELETE CASCADE"
    )
    op.execute(
        "ALTER TABLE risk_scores ADD CONSTRAINT fk_risk_scores_run_id_risk_runs FOREIGN KEY (run_id) "
        "REFERENCES risk_runs (id) ON DELETE CASCADE"
    )
    for name, columns in INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON risk_scores ({columns})")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _rename_away("plain")
    _create("plain", partitioned=True)
    runs = op.get_bind().execute(sa.text("SELECT id FROM risk_runs ORDER BY id")).scalars().all()
    for run_id in runs:
        op.execute(f"CREATE TABLE risk_scores_run_{int(run_id)} PARTITION OF risk_scores FOR VALUES IN ({int(run_id)})")
    op.execute("INSERT INTO risk_scores SELECT * FROM risk_scores_plain")
    op.execute("DROP TABLE risk_scores_plain")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _rename_away("partitioned")
    _create("partitioned", partitioned=False)
    op.execute("INSERT INTO risk_scores SELECT * FROM risk_scores_partitioned")
    op.execute("DROP TABLE risk_scores_partitioned")  # and its partitions
