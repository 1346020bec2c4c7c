"""The change counters that triggers move on at every write (fm/db/changes.py), and the figures kept at them."""

from __future__ import annotations

from datetime import date, datetime

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


class KeptFigures(Base):
    """A use case's result for one set of arguments as last computed, with the day, the change counters and the fm
    code it was computed at, signed: a server's other workers and its next start read it instead of computing it
    again (fm/app/stored_figures.py). Not watched: keeping figures changes none."""

    __tablename__ = "kept_figures"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True, comment="SHA-256 of the use case and arguments")
    use_case: Mapped[str] = mapped_column(sa.String(200))
    day: Mapped[date] = mapped_column(sa.Date, comment="the day it was computed on (figures as of today)")
    counters: Mapped[str] = mapped_column(sa.Text, comment="data_changes when it was computed, as JSON")
    code: Mapped[str] = mapped_column(sa.String(64), comment="SHA-256 of the computing fm's code and settings")
    computed_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    figures: Mapped[bytes] = mapped_column(sa.LargeBinary, comment="the result, pickled")
    signature: Mapped[bytes] = mapped_column(sa.LargeBinary, comment="HMAC-SHA-256 of the above by the app's key")
