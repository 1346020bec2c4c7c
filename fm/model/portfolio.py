"""The portfolio: services (機能) apart from the buildings that house them, and population by district.

A service (a library, a community centre, child care, …) is housed in one or more buildings (assets), each
with the floor area it occupies there; users and operating cost are recorded per service and fiscal year.
``facility_usage`` (users and cost per building) is a view over these since migration 0011.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from fm.model.base import Base, Timestamped, Versioned, Yen, not_negative, one_of, positive

SERVICE_KINDS = (
    "citizen_counter",
    "community_centre",
    "library",
    "culture",
    "sports",
    "child_care",
    "youth",
    "elderly_care",
    "welfare",
    "health",
    "school",
    "office",
    "housing",
    "fire",
    "utility",
    "other",
)
"""The kinds of service (機能); buildings are compared with the others housing the same kind."""


class Service(Versioned, Timestamped, Base):
    """One service (機能) the city provides, apart from the building(s) it is provided in."""

    __tablename__ = "services"
    __table_args__ = (one_of("kind", SERVICE_KINDS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True, comment="the city's service number")
    name: Mapped[str] = mapped_column(sa.String(200), comment="Japanese name")
    kind: Mapped[str] = mapped_column(sa.String(32))
    notes: Mapped[str | None] = mapped_column(sa.Text)


class ServiceBuilding(Versioned, Base):
    """A service housed in a building: the floor area it occupies there and its opening hours."""

    __tablename__ = "service_buildings"
    __table_args__ = (
        sa.UniqueConstraint("service_id", "asset_id"),
        *positive("floor_area_m2", "hours_per_week"),
        sa.CheckConstraint("hours_per_week <= 168", name="hours_per_week_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(sa.ForeignKey("services.id", ondelete="CASCADE"))
    asset_id: Mapped[int] = mapped_column(sa.ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    floor_area_m2: Mapped[float | None] = mapped_column(sa.Float, comment="floor area the service occupies")
    opening_hours: Mapped[str | None] = mapped_column(sa.String(100), comment="as the city states them")
    hours_per_week: Mapped[float | None] = mapped_column(sa.Float)


class ServiceUsage(Base):
    """Users and operating cost of one service in one fiscal year (all its buildings together)."""

    __tablename__ = "service_usage"
    __table_args__ = (
        sa.UniqueConstraint("service_id", "fiscal_year"),
        *not_negative("users", "operating_cost"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(sa.ForeignKey("services.id", ondelete="CASCADE"))
    fiscal_year: Mapped[int] = mapped_column(sa.Integer)
    users: Mapped[int | None] = mapped_column(sa.Integer)
    operating_cost: Mapped[int | None] = mapped_column(Yen, comment="yen")


class DistrictPopulation(Base):
    """The population of a district in a fiscal year in three age classes, counted or projected."""

    __tablename__ = "district_population"
    __table_args__ = (
        sa.UniqueConstraint("district_id", "fiscal_year"),
        *not_negative("age_0_14", "age_15_64", "age_65_over"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("districts.id", ondelete="CASCADE"))
    fiscal_year: Mapped[int] = mapped_column(sa.Integer)
    age_0_14: Mapped[int] = mapped_column(sa.Integer)
    age_15_64: Mapped[int] = mapped_column(sa.Integer)
    age_65_over: Mapped[int] = mapped_column(sa.Integer)
    projected: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false(), comment="a projection, not a count")
    source: Mapped[str | None] = mapped_column(sa.String(200))
