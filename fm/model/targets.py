"""Targets of the indicators: data a city edits, not code."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from fm.model.base import Base


class IndicatorTarget(Base):
    """A target of one indicator for a fiscal year (NULL year and value: a direction only)."""

    __tablename__ = "indicator_targets"
    __table_args__ = (sa.UniqueConstraint("indicator", "target_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator: Mapped[str] = mapped_column(sa.String(40), comment="key of fm.domain.kpi.INDICATORS")
    target_year: Mapped[int | None] = mapped_column(sa.Integer, comment="fiscal year the target is for")
    target_value: Mapped[float | None] = mapped_column(sa.Float)
    source: Mapped[str | None] = mapped_column(sa.Text, comment="where the target comes from")
