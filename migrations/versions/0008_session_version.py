"""session version: a number on each account that ends every session signed in before it changed

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05

A browser session keeps the account's session version from its sign-in; signing out, stopping the
account and changing its password raise it, so a copied session cookie stops working on the server
side at once (the cookie itself is only signed, not stored).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "session_version",
                sa.Integer(),
                server_default="1",
                nullable=False,
                comment="raised by sign-out, a stop or a password change: older sessions end",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("session_version")
