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
