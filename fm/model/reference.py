"""Reference tables: the districts of the city and the asset categories."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from shapely import MultiPolygon
from sqlalchemy.orm import Mapped, mapped_column

from fm.db.types import Geometry
from fm.model.base import Base, not_negative, one_of

GROUPS = ("facility", "infrastructure")
CONDITION_SCALES = ("soundness", "score")


class District(Base):
    """An administrative district (地域): Kamakura has five, 鎌倉・腰越・深沢・大船・玉縄."""

    __tablename__ = "districts"
    __table_args__ = (
        *not_negative("population"),
        sa.Index("ix_districts_geom", "geom", postgresql_using="gist").ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100), comment="Japanese name")
    name_en: Mapped[str] = mapped_column(sa.String(100))
    population: Mapped[int | None] = mapped_column(sa.Integer)
    population_on: Mapped[date | None] = mapped_column(sa.Date, comment="date of the population figure")
    geom: Mapped[MultiPolygon] = mapped_column(Geometry("MULTIPOLYGON"))


class AssetCategory(Base):
    """What an asset is. ``condition_scale`` says how it is inspected: soundness I–IV or a 1–5 score."""

    __tablename__ = "asset_categories"
    __table_args__ = (
        one_of("asset_group", GROUPS),
        one_of("condition_scale", CONDITION_SCALES),
        sa.CheckConstraint("useful_life_years > 0", name="useful_life_years_positive"),
    )

    code: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), comment="Japanese name")
    name_en: Mapped[str] = mapped_column(sa.String(100))
    asset_group: Mapped[str] = mapped_column(sa.String(16))
    condition_scale: Mapped[str] = mapped_column(sa.String(16))
    useful_life_years: Mapped[int] = mapped_column(sa.Integer, comment="default for depreciation")
    sort_order: Mapped[int] = mapped_column(sa.Integer, server_default="0")


class RenewalUnitCost(Base):
    """A city's renewal unit cost for one category (integer yen), over the packaged defaults of
    ``fm/domain/renewal/unit_costs.toml``: per m² of floor (buildings: refurbishment and rebuilding), per m² of
    road or bridge deck (``steel_renewal_yen``: steel bridges), per m of sewer pipe."""

    __tablename__ = "renewal_unit_costs"
    __table_args__ = (
        sa.CheckConstraint("renewal_yen > 0", name="renewal_yen_positive"),
        sa.CheckConstraint("refurbish_yen IS NULL OR refurbish_yen > 0", name="refurbish_yen_positive"),
        sa.CheckConstraint("steel_renewal_yen IS NULL OR steel_renewal_yen > 0", name="steel_renewal_yen_positive"),
    )

    category: Mapped[str] = mapped_column(sa.String(32), sa.ForeignKey("asset_categories.code"), primary_key=True)
    refurbish_yen: Mapped[int | None] = mapped_column(sa.BigInteger, comment="buildings: 大規模改修, yen per m²")
    renewal_yen: Mapped[int] = mapped_column(sa.BigInteger, comment="建替え / 更新, yen per m² (sewer: per m)")
    steel_renewal_yen: Mapped[int | None] = mapped_column(sa.BigInteger, comment="bridges: steel, yen per m²")
