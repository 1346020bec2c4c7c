"""Public land parcels and the history of their use (to tell underused land at any past date)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from shapely import MultiPolygon
from sqlalchemy.orm import Mapped, mapped_column

from fm.db.types import Geometry
from fm.model.base import Base, Timestamped, Versioned, one_of

UTILISATIONS = ("in_use", "underused", "unused")


class LandParcel(Versioned, Timestamped, Base):
    """A parcel of public land. Its area is computed from ``geom`` in EPSG:6677, not stored."""

    __tablename__ = "land_parcels"
    __table_args__ = (
        sa.CheckConstraint(
            "disposed_on IS NULL OR acquired_on IS NULL OR disposed_on >= acquired_on", name="disposed_after_acquired"
        ),
        sa.Index("ix_land_parcels_geom", "geom", postgresql_using="gist").ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str | None] = mapped_column(sa.String(200), comment="location or common name")
    owner_department: Mapped[str | None] = mapped_column(sa.String(100))
    district_id: Mapped[int | None] = mapped_column(sa.ForeignKey("districts.id"), index=True)
    geom: Mapped[MultiPolygon] = mapped_column(Geometry("MULTIPOLYGON"))
    acquired_on: Mapped[date | None] = mapped_column(sa.Date)
    disposed_on: Mapped[date | None] = mapped_column(sa.Date)


class ParcelUse(Base):
    """The use of a parcel from ``valid_from`` until the next row of the same parcel."""

    __tablename__ = "parcel_uses"
    __table_args__ = (
        sa.UniqueConstraint("parcel_id", "valid_from"),
        one_of("utilisation", UTILISATIONS),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    parcel_id: Mapped[int] = mapped_column(sa.ForeignKey("land_parcels.id", ondelete="CASCADE"))
    valid_from: Mapped[date] = mapped_column(sa.Date)
    current_use: Mapped[str | None] = mapped_column(sa.String(200), comment="e.g. 駐車場, 資材置場, 未利用")
    utilisation: Mapped[str] = mapped_column(sa.String(16))
