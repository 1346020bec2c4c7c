"""kept_figures: the landing page's and the dashboard's figures kept in the database, signed

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06

A server's first requests after it starts, and each of its other workers, read the figures of the pages people
open first from here instead of computing them again from all the records (3.5–7 s at 100,000 assets; issue 19,
fm/app/stored_figures.py). Not watched by fm.db.changes: keeping figures changes none.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kept_figures",
        sa.Column("key", sa.String(length=64), nullable=False, comment="SHA-256 of the use case and arguments"),
        sa.Column("use_case", sa.String(length=200), nullable=False),
        sa.Column("day", sa.Date(), nullable=False, comment="the day it was computed on (figures as of today)"),
        sa.Column("counters", sa.Text(), nullable=False, comment="data_changes when it was computed, as JSON"),
        sa.Column(
            "code",
            sa.String(length=64),
            nullable=False,
            comment="SHA-256 of the computing fm's code and settings",
        ),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("figures", sa.LargeBinary(), nullable=False, comment="the result, pickled"),
        sa.Column("signature", sa.LargeBinary(), nullable=False, comment="HMAC-SHA-256 of the above by the app's key"),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_kept_figures")),
    )


def downgrade() -> None:
    op.drop_table("kept_figures")
