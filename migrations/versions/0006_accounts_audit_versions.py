"""accounts, audit trail, record versions and work start dates

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25

Sign-in accounts with roles, the audit trail of every write, a version number on each
record edited by hand (optimistic locking) and the day a work order was started.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False, comment="username, or cli:<system user>"),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("table_name", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=True),
        sa.Column("record_code", sa.String(length=100), nullable=True, comment="the record's code as users know it"),
        sa.Column("changes", sa.JSON(), nullable=False, comment="{field: [old, new]}"),
        sa.CheckConstraint(
            "action IN ('create', 'update', 'delete', 'sign_in', 'run')", name=op.f("ck_audit_log_action")
        ),
        sa.CheckConstraint("source IN ('web', 'cli', 'import')", name=op.f("ck_audit_log_source")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_at", ["at"], unique=False)
        batch_op.create_index("ix_audit_log_record", ["table_name", "record_id"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=60), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=True),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("language", sa.String(length=2), server_default="ja", nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        sa.Column(
            "password_changed_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="sessions signed in before this are no longer valid",
        ),
        sa.Column("last_sign_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("language IN ('ja', 'en')", name=op.f("ck_users_language")),
        sa.CheckConstraint(
            "role IN ('viewer', 'engineer', 'facility_manager', 'finance', 'admin')", name=op.f("ck_users_role")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))

    with op.batch_alter_table("individual_plans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))

    with op.batch_alter_table("inspections", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))

    with op.batch_alter_table("land_parcels", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))

    with op.batch_alter_table("work_orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("started_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("work_orders", schema=None) as batch_op:
        batch_op.drop_column("version")
        batch_op.drop_column("started_on")

    with op.batch_alter_table("land_parcels", schema=None) as batch_op:
        batch_op.drop_column("version")

    with op.batch_alter_table("inspections", schema=None) as batch_op:
        batch_op.drop_column("version")

    with op.batch_alter_table("individual_plans", schema=None) as batch_op:
        batch_op.drop_column("version")

    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.drop_column("version")

    op.drop_table("users")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_record")
        batch_op.drop_index("ix_audit_log_at")

    op.drop_table("audit_log")
