"""risk scores carry a digest of their stored values

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06

``risk_scores.digest``: a 64-bit digest of each row's stored scores (``fm.io.risk.row_digests``), so that a same-day
run on SQLite finds its unchanged rows by reading one number per row instead of binding and comparing each row's 23
values (issue 19, bench/README.md). Rows written before it have none (NULL) and are rewritten by the next same-day
run. On SQLite ``ALTER TABLE … ADD COLUMN`` / ``DROP COLUMN`` (no copy of the table), and the map's covering index
``ix_risk_scores_map`` also holds the digest, so that the same-day run reads a run's ids and digests from it alone
(2.8 ms instead of 6.3 at 10,000 rows, each row looked up). On PostgreSQL the partitioned
table's column goes to every run's partition and stays NULL: a same-day run there replaces the partition whole.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

COMMENT = "digest of the stored scores on SQLite (fm.io.risk.row_digests); NULL on PostgreSQL"


MAP = ["run_id", "asset_id", "risk_class", "state"]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE risk_scores ADD COLUMN digest BIGINT")
        op.drop_index("ix_risk_scores_map", table_name="risk_scores")
        op.create_index("ix_risk_scores_map", "risk_scores", [*MAP, "digest"])
        return
    op.add_column("risk_scores", sa.Column("digest", sa.BigInteger(), nullable=True, comment=COMMENT))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index("ix_risk_scores_map", table_name="risk_scores")
        op.execute("ALTER TABLE risk_scores DROP COLUMN digest")
        op.create_index("ix_risk_scores_map", "risk_scores", MAP)
        return
    op.drop_column("risk_scores", "digest")
