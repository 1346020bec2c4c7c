"""Declarative base, constraint naming and the small column helpers every table uses."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Yen = sa.BigInteger
"""Money: integer yen, never floats."""


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)


class Timestamped:
    """When a row was created and last changed, set by the database."""

    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.current_timestamp())
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), onupdate=sa.func.current_timestamp()
    )


class Versioned:
    """A number raised by every change, so a save based on an older read is refused (optimistic locking)."""

    version: Mapped[int] = mapped_column(sa.Integer, server_default="1")


def one_of(column: str, values: tuple[str, ...], name: str | None = None) -> sa.CheckConstraint:
    """CHECK that ``column`` is NULL or one of ``values``; the constraint is named after the column."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({quoted})", name=name or column)


def not_negative(*columns: str) -> list[sa.CheckConstraint]:
    """CHECKs that each of ``columns`` is NULL or ≥ 0 (costs, counts, sizes)."""
    return [sa.CheckConstraint(f"{c} >= 0", name=f"{c}_not_negative") for c in columns]


def positive(*columns: str) -> list[sa.CheckConstraint]:
    """CHECKs that each of ``columns`` is NULL or > 0 (sizes, lives)."""
    return [sa.CheckConstraint(f"{c} > 0", name=f"{c}_positive") for c in columns]
