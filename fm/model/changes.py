"""The change counters that triggers move on at every write (fm/db/changes.py)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from fm.model.base import Base


class DataChange(Base):
    """How many writes a table has had: figures computed at one count stay valid until it moves."""

    __tablename__ = "data_changes"

    table_name: Mapped[str] = mapped_column(sa.String(63), primary_key=True)
    changes: Mapped[int] = mapped_column(sa.BigInteger, server_default="0")


class AssetChange(Base):
    """An asset whose rows of a table were written (``asset_id`` None: every asset's, e.g. a TRUNCATE), one row per
    row written, added by triggers (fm/db/changes.py :func:`~fm.db.changes.log_assets`); the oldest are pruned."""

    __tablename__ = "asset_changes"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    table_name: Mapped[str] = mapped_column(sa.String(63))
    asset_id: Mapped[int | None] = mapped_column(sa.Integer)
