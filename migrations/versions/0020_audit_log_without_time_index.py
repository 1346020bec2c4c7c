"""the audit trail without its index on time

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06

No query reads ``audit_log`` by its time: the trail is listed newest first by its id and filtered by table, record,
actor, source and action (``fm.accounts.audit.history``, ``fm.accounts.edits``). Its index on ``at`` was kept up on
every write and never read; an import of 100,000 records paid about 0.2 s for it on PostgreSQL (issue 19,
bench/README.md).
"""

from __future__ import annotations

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_audit_log_at", table_name="audit_log")


def downgrade() -> None:
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
