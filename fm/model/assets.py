"""The asset register and what happens to each asset: inspections, work orders, usage, risk."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from shapely import Geometry as ShapelyGeometry
from sqlalchemy.orm import Mapped, mapped_column

from fm.db.types import Geometry
from fm.model.base import (
    Base,
    Timestamped,
    Versioned,
    Yen,
    not_negative,
    one_of,
    positive,
)

ASSET_STATUSES = ("in_service", "closed", "disposed")
INSPECTION_METHODS = ("close_visual", "visual", "non_destructive", "drone", "cctv", "other")
WORK_KINDS = ("preventive", "reactive", "renewal")
WORK_CAUSES = ("sudden_failure", "inspection_finding", "planned", "disaster", "complaint", "other")
WORK_STATUSES = ("planned", "in_progress", "completed", "cancelled")


class Asset(Versioned, Timestamped, Base):
    """One public facility or piece of infrastructure, with what depreciation and risk need."""

    __tablename__ = "assets"
    __table_args__ = (
        one_of("status", ASSET_STATUSES),
        *not_negative("acquisition_cost", "replacement_cost", "annual_users"),
        *positive("floor_area_m2", "deck_area_m2", "length_m", "width_m", "diameter_mm", "useful_life_years"),
        sa.CheckConstraint("year_built BETWEEN 1600 AND 2200", name="year_built_range"),
        sa.CheckConstraint("status <> 'closed' OR closed_on IS NOT NULL", name="closed_has_date"),
        sa.CheckConstraint("status <> 'disposed' OR disposed_on IS NOT NULL", name="disposed_has_date"),
        sa.CheckConstraint(
            "disposed_on IS NULL OR acquisition_date IS NULL OR disposed_on >= acquisition_date",
            name="disposed_after_acquired",
        ),
        sa.Index("ix_assets_geom", "geom", postgresql_using="gist").ddl_if(dialect="postgresql"),
        sa.Index("ix_assets_map", "status", "category", "district_id", "code"),  # covers the map's points
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True, comment="the city's asset number")
    name: Mapped[str] = mapped_column(sa.String(200), comment="Japanese name")
    ledger_no: Mapped[str | None] = mapped_column(sa.String(40), index=True, comment="its number in the 固定資産台帳")
    category: Mapped[str] = mapped_column(sa.ForeignKey("asset_categories.code"), index=True)
    district_id: Mapped[int | None] = mapped_column(sa.ForeignKey("districts.id"), index=True)
    geom: Mapped[ShapelyGeometry | None] = mapped_column(Geometry("GEOMETRY"))
    year_built: Mapped[int | None] = mapped_column(sa.Integer)
    structure: Mapped[str | None] = mapped_column(sa.String(60), comment="structure or material: RC, S, PC, VU …")
    floor_area_m2: Mapped[float | None] = mapped_column(sa.Float, comment="buildings: total floor area")
    deck_area_m2: Mapped[float | None] = mapped_column(sa.Float, comment="bridges: deck area")
    length_m: Mapped[float | None] = mapped_column(sa.Float, comment="roads, bridges, tunnels, rivers, pipes")
    width_m: Mapped[float | None] = mapped_column(sa.Float, comment="roads and bridges: carriageway width")
    diameter_mm: Mapped[float | None] = mapped_column(sa.Float, comment="sewer pipes")
    acquisition_date: Mapped[date | None] = mapped_column(sa.Date)
    acquisition_cost: Mapped[int | None] = mapped_column(Yen, comment="yen")
    useful_life_years: Mapped[int | None] = mapped_column(sa.Integer, comment="overrides the category default")
    replacement_cost: Mapped[int | None] = mapped_column(Yen, comment="yen")
    annual_users: Mapped[int | None] = mapped_column(sa.Integer, comment="users a year, or vehicles a year")
    is_evacuation_shelter: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false())
    on_emergency_road: Mapped[bool] = mapped_column(
        sa.Boolean, server_default=sa.false(), comment="on or part of an emergency transport road"
    )
    needs_individual_plan: Mapped[bool] = mapped_column(
        sa.Boolean, server_default=sa.false(), comment="must be covered by a 個別施設計画"
    )
    status: Mapped[str] = mapped_column(sa.String(16), server_default="in_service")
    closed_on: Mapped[date | None] = mapped_column(sa.Date)
    disposed_on: Mapped[date | None] = mapped_column(sa.Date)
    notes: Mapped[str | None] = mapped_column(sa.Text)


class Inspection(Versioned, Base):
    """One inspection: soundness class I–IV (road structures) or a 1–5 condition score (the rest)."""

    __tablename__ = "inspections"
    __table_args__ = (
        one_of("method", INSPECTION_METHODS),
        sa.CheckConstraint("soundness BETWEEN 1 AND 4", name="soundness_range"),
        sa.CheckConstraint("condition_score BETWEEN 1 AND 5", name="condition_score_range"),
        sa.CheckConstraint("(soundness IS NULL) <> (condition_score IS NULL)", name="one_condition_measure"),
        sa.CheckConstraint("next_due_on IS NULL OR next_due_on >= inspected_on", name="next_due_after"),
        # each asset's latest inspection, its next due date (the schedule) and states (the score) from the index alone
        sa.Index("ix_inspections_latest", "asset_id", "inspected_on", "next_due_on", "soundness", "condition_score"),
        sa.Index("ix_inspections_judged", "soundness", "inspected_on", "asset_id"),  # the assets judged Ⅲ/Ⅳ by a day
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(sa.ForeignKey("assets.id", ondelete="CASCADE"))
    inspected_on: Mapped[date] = mapped_column(sa.Date)
    inspector: Mapped[str | None] = mapped_column(sa.String(100))
    method: Mapped[str | None] = mapped_column(sa.String(20))
    soundness: Mapped[int | None] = mapped_column(sa.SmallInteger, comment="1–4 for classes Ⅰ–Ⅳ")
    condition_score: Mapped[int | None] = mapped_column(sa.SmallInteger, comment="1 (good) – 5 (failed)")
    findings: Mapped[str | None] = mapped_column(sa.Text)
    next_due_on: Mapped[date | None] = mapped_column(sa.Date)


class WorkOrder(Versioned, Timestamped, Base):
    """A repair or renewal, planned or done; ``cause`` tells a reactive repair after a sudden failure."""

    __tablename__ = "work_orders"
    __table_args__ = (
        one_of("kind", WORK_KINDS),
        one_of("cause", WORK_CAUSES),
        one_of("status", WORK_STATUSES),
        *not_negative("planned_cost", "actual_cost"),
        sa.CheckConstraint("status <> 'completed' OR completed_on IS NOT NULL", name="completed_has_date"),
        sa.CheckConstraint("state_after BETWEEN 1 AND 5", name="state_after_range"),
        sa.CheckConstraint("state_after IS NULL OR status = 'completed'", name="state_after_completed"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True, comment="work order number")
    asset_id: Mapped[int] = mapped_column(sa.ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    cause: Mapped[str | None] = mapped_column(sa.String(24))
    description: Mapped[str | None] = mapped_column(sa.Text)
    planned_on: Mapped[date | None] = mapped_column(sa.Date)
    started_on: Mapped[date | None] = mapped_column(sa.Date)
    completed_on: Mapped[date | None] = mapped_column(sa.Date)
    planned_cost: Mapped[int | None] = mapped_column(Yen, comment="yen")
    actual_cost: Mapped[int | None] = mapped_column(Yen, comment="yen")
    status: Mapped[str] = mapped_column(sa.String(16), server_default="planned")
    state_after: Mapped[int | None] = mapped_column(
        sa.SmallInteger,
        comment="condition after the work (completed only): soundness 1–4 or score 1–5, the asset category's scale",
    )


class RiskRun(Base):
    """One computation of every asset's risk: when, with which configuration and deterioration model."""

    __tablename__ = "risk_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    computed_on: Mapped[date] = mapped_column(sa.Date, unique=True, comment="the day the scores are for")
    computed_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.current_timestamp()
    )
    config: Mapped[dict[str, Any]] = mapped_column(sa.JSON, comment="the configuration used")
    model: Mapped[dict[str, Any]] = mapped_column(sa.JSON, comment="hazards per category and their source")


class RiskScore(Base):
    """The risk of one asset on one day, with every component that explains it, as typed columns.

    Components are columns, not a JSON blob, so a million scores write in seconds (binary
    COPY) and can be queried; ``fm.domain.risk.explain`` turns them into words.
    """

    __tablename__ = "risk_scores"
    __table_args__ = (
        sa.CheckConstraint("probability BETWEEN 0 AND 1", name="probability_range"),
        *not_negative("consequence", "score"),
        # The key leads with the asset: it finds an asset's scores in every run (and the rows an asset's deletion
        # cascades to). On PostgreSQL it also carries the map's classes, so that within a run's partition (where
        # run_id is one value) it is the map's covering index too: a run builds two indexes, not four (issue 19).
        sa.PrimaryKeyConstraint("asset_id", "run_id", postgresql_include=["risk_class", "state"]),
        # The map's classes of a run, covered, on SQLite (one plain table: there the run leads); with the rows'
        # digests, which a same-day run reads from it alone (migration 0022).
        sa.Index("ix_risk_scores_map", "run_id", "asset_id", "risk_class", "state", "digest").ddl_if(dialect="sqlite"),
        sa.Index("ix_risk_scores_ranking", "run_id", "score"),  # the worst of a run, read backwards
        # On PostgreSQL one partition per run (``risk_scores_run_<id>``): a run is copied into a table of its
        # own, indexed once the rows are in, and attached (fm.io.risk.write_run); a replaced run is dropped.
        {"postgresql_partition_by": "LIST (run_id)"},
    )

    # Few indexes (the key, the ranking; the map's on SQLite): a run writes a million rows at once.
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("risk_runs.id", ondelete="CASCADE"))
    asset_id: Mapped[int] = mapped_column(sa.ForeignKey("assets.id", ondelete="CASCADE"))
    probability: Mapped[float] = mapped_column(sa.Float, comment="probability of failure within the horizon")
    consequence: Mapped[float] = mapped_column(sa.Float)
    score: Mapped[float] = mapped_column(sa.Float)
    risk_class: Mapped[str] = mapped_column(sa.String(16))
    likelihood_class: Mapped[int] = mapped_column(sa.SmallInteger)
    consequence_class: Mapped[int] = mapped_column(sa.SmallInteger)
    state: Mapped[int | None] = mapped_column(sa.SmallInteger, comment="latest inspected state")
    inspected_on: Mapped[date | None] = mapped_column(sa.Date, comment="latest inspection")
    years_since: Mapped[float] = mapped_column(sa.Float, comment="since that inspection (or acquisition)")
    p_condition: Mapped[float] = mapped_column(sa.Float, comment="P(worst state within the horizon)")
    p_age: Mapped[float] = mapped_column(sa.Float, comment="age / useful life, capped at 1")
    age: Mapped[float | None] = mapped_column(sa.Float)
    life: Mapped[float | None] = mapped_column(sa.Float)
    remaining_years: Mapped[float] = mapped_column(sa.Float, comment="expected years to the worst state")
    c_category: Mapped[float] = mapped_column(sa.Float)
    c_users: Mapped[float] = mapped_column(sa.Float)
    c_replacement_cost: Mapped[float] = mapped_column(sa.Float)
    c_evacuation_shelter: Mapped[float] = mapped_column(sa.Float)
    c_emergency_road: Mapped[float] = mapped_column(sa.Float)
    c_railway: Mapped[float] = mapped_column(sa.Float)
    c_district_population: Mapped[float] = mapped_column(sa.Float)
    # Of the columns above as written (fm.io.risk.row_digests): a same-day run on SQLite rewrites only the rows it
    # changes. NULL on PostgreSQL, where a same-day run replaces the run's partition whole.
    digest: Mapped[int | None] = mapped_column(
        sa.BigInteger, comment="digest of the stored scores on SQLite (fm.io.risk.row_digests); NULL on PostgreSQL"
    )
