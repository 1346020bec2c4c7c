"""Who may use fm (accounts and their roles) and what they changed (the audit trail)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from fm.model.base import Base, one_of

ROLES = ("viewer", "engineer", "facility_manager", "finance", "admin")
LANGUAGES = ("ja", "en")
SOURCES = ("web", "cli", "import")
ACTIONS = ("create", "update", "delete", "sign_in", "run")


class User(Base):
    """An account: a role, a password hash (never the password) and the language of its pages."""

    __tablename__ = "users"
    __table_args__ = (one_of("role", ROLES), one_of("language", LANGUAGES))

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(60), unique=True)
    display_name: Mapped[str | None] = mapped_column(sa.String(100))
    role: Mapped[str] = mapped_column(sa.String(20))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    language: Mapped[str] = mapped_column(sa.String(2), server_default="ja")
    active: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.true())
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.current_timestamp())
    password_changed_at: Mapped[datetime | None] = mapped_column(
        sa.DateTime(timezone=True), comment="sessions signed in before this are no longer valid"
    )
    last_sign_in_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    session_version: Mapped[int] = mapped_column(
        sa.Integer, server_default="1", comment="raised by sign-out, a stop or a password change: older sessions end"
    )


class AuditEntry(Base):
    """One change: who, from where, when, to which record, and each changed field's old and new value."""

    __tablename__ = "audit_log"
    __table_args__ = (
        one_of("source", SOURCES),
        one_of("action", ACTIONS),
        sa.Index("ix_audit_log_record", "table_name", "record_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(sa.String(100), comment="username, or cli:<system user>")
    source: Mapped[str] = mapped_column(sa.String(10))
    action: Mapped[str] = mapped_column(sa.String(10))
    table_name: Mapped[str] = mapped_column(sa.String(40))
    record_id: Mapped[int | None] = mapped_column(sa.Integer)
    record_code: Mapped[str | None] = mapped_column(sa.String(100), comment="the record's code as users know it")
    changes: Mapped[dict[str, Any]] = mapped_column(sa.JSON, comment="{field: [old, new]}")


class ApiToken(Base):
    """A machine client's key to one account (QGIS, ogr2ogr, scripts): only its SHA-256 is stored, never the
    token; it acts with the account's role, until it expires or is revoked."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100), comment="what the token is for, e.g. QGIS on PC-12")
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, comment="SHA-256 of the token, hex")
    prefix: Mapped[str] = mapped_column(sa.String(12), comment="the token's first characters, to recognise it")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
