"""Traffic restrictions (通行規制): an urgent measure on a road structure judged Ⅳ (or Ⅲ)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from fm.model.base import Base, Timestamped, Versioned, one_of

RESTRICTION_KINDS = ("closed", "load_limit", "width_limit", "one_lane", "pedestrians_only", "other")


class TrafficRestriction(Versioned, Timestamped, Base):
    """Traffic restricted or closed on an asset from ``starts_on`` until ``ends_on`` (open while NULL).

    ``inspection_id`` is the inspection whose judgement required it; the restriction cannot start
    before that inspection (checked on the write path, which names the record and the field).
    """

    __tablename__ = "traffic_restrictions"
    __table_args__ = (
        one_of("kind", RESTRICTION_KINDS),
        sa.CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="ends_after_start"),
        sa.Index("ix_traffic_restrictions_asset_id", "asset_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True, comment="the city's restriction number")
    asset_id: Mapped[int] = mapped_column(sa.ForeignKey("assets.id", ondelete="CASCADE"))
    inspection_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("inspections.id", ondelete="SET NULL"), comment="the inspection that required it"
    )
    kind: Mapped[str] = mapped_column(sa.String(20), comment="closed, load_limit, width_limit, one_lane, …")
    starts_on: Mapped[date] = mapped_column(sa.Date)
    ends_on: Mapped[date | None] = mapped_column(sa.Date, comment="NULL while in force")
    notes: Mapped[str | None] = mapped_column(sa.Text)
