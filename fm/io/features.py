"""Database → pages of features: the queries behind the OGC API – Features collections.

Each collection is one SELECT (its table joined to what names its codes), filtered, ordered by the
collection's key and cut with LIMIT/OFFSET inside the database, so a page of 1,000 out of 100,000
reads 1,000 rows. A bbox is exact in SQL on both backends: PostGIS's ``&&`` + ``ST_Intersects``;
SQLite's R*Tree for candidates + ``fm_intersects_box`` (shapely, :mod:`fm.db.sqlite`), so that
paging over a window never skips nor repeats a feature. Inspections, work orders and plans have the
geometry of their assets.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
import shapely
import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.sql.util import find_tables

from fm.db.sqlite import INTERSECTS_FUNCTION, rtree_name
from fm.domain.fiscal import fiscal_year
from fm.domain.kpi.measures import UNDERUSED
from fm.io import register, store
from fm.io import risk as risk_store
from fm.model import metadata

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Source:
    """One collection's query: its columns by property name, its key, its date, where its geometry is."""

    key: str
    """the property that identifies a feature (a code, or the id where records have none)"""
    columns: Mapping[str, sa.ColumnElement]
    """property name → SQL expression; ``id`` and ``geom`` are read but are not properties"""
    select_from: sa.FromClause
    geometry_table: sa.Table | None
    """the table whose ``geom`` is the feature's (None: the geometry is made later, from the assets)"""
    date: str | None
    """the property ``datetime`` filters on"""
    window: Callable[[Session, Box], sa.ColumnElement[bool]] | None = None
    """for sources without geometry_table: the condition that a feature meets a box"""
    placed_at: sa.Select | None = None
    """the ids of the assets whose geometry the features take (their box is the extent); None: every row of
    geometry_table"""

    @property
    def properties(self) -> list[str]:
        return [name for name in self.columns if name not in ("id", "geom")]


def window(session: Session, table: sa.Table, bbox: Box) -> sa.ColumnElement[bool]:
    """Rows of ``table`` whose ``geom`` meets ``bbox`` (lon/lat), exactly, through the spatial index."""
    minx, miny, maxx, maxy = bbox
    geom = table.c.geom
    if session.get_bind().dialect.name == "postgresql":
        envelope = sa.func.ST_MakeEnvelope(minx, miny, maxx, maxy, 4326)
        return sa.and_(geom.op("&&")(envelope), sa.func.ST_Intersects(geom, envelope))
    rtree = sa.table(rtree_name(table.name, "geom"), *(sa.column(c) for c in ("id", "minx", "maxx", "miny", "maxy")))
    candidates = sa.select(rtree.c.id).where(
        rtree.c.maxx >= minx, rtree.c.minx <= maxx, rtree.c.maxy >= miny, rtree.c.miny <= maxy
    )
    # A row whose (outward-rounded) box lies inside the window meets it: no geometry to decode. Only
    # those across its edge go through shapely.
    inside = sa.select(rtree.c.id).where(
        rtree.c.minx >= minx, rtree.c.maxx <= maxx, rtree.c.miny >= miny, rtree.c.maxy <= maxy
    )
    exact = getattr(sa.func, INTERSECTS_FUNCTION)(geom, minx, miny, maxx, maxy) == 1
    return sa.and_(table.c.id.in_(candidates), sa.or_(table.c.id.in_(inside), exact))


def _latest_use(parcels: sa.Table, column: str) -> sa.ScalarSelect:
    uses = metadata.tables["parcel_uses"]
    return (
        sa.select(uses.c[column])
        .where(uses.c.parcel_id == parcels.c.id, uses.c.valid_from <= sa.func.current_date())
        .order_by(uses.c.valid_from.desc())
        .limit(1)
        .scalar_subquery()
    )


def sources(session: Session) -> dict[str, Source]:
    """Every collection's query (the latest risk run is looked up once, for the assets')."""
    t = metadata.tables
    assets, categories, districts = t["assets"], t["asset_categories"], t["districts"]
    inspections, orders, plans, plan_assets = (
        t["inspections"],
        t["work_orders"],
        t["individual_plans"],
        t["plan_assets"],
    )
    parcels, scores = t["land_parcels"], t["risk_scores"]
    run = risk_store.latest_run(session)
    latest = (
        sa.select(sa.func.coalesce(inspections.c.soundness, inspections.c.condition_score))
        .where(inspections.c.asset_id == assets.c.id)
        .order_by(inspections.c.inspected_on.desc(), inspections.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    last_on = sa.select(sa.func.max(inspections.c.inspected_on)).where(inspections.c.asset_id == assets.c.id)
    asset_names = {
        "category": assets.c.category,
        "category_name": categories.c.name,
        "category_name_en": categories.c.name_en,
        "district": districts.c.code,
        "district_name": districts.c.name,
        "district_name_en": districts.c.name_en,
    }
    asset_join = assets.join(categories, categories.c.code == assets.c.category).outerjoin(
        districts, districts.c.id == assets.c.district_id
    )
    asset_columns: dict[str, sa.ColumnElement] = {
        "id": assets.c.id,
        "code": assets.c.code,
        "name": assets.c.name,
        **asset_names,
        "status": assets.c.status,
        **{
            c: assets.c[c]
            for c in (
                "year_built",
                "structure",
                "floor_area_m2",
                "deck_area_m2",
                "length_m",
                "width_m",
                "diameter_mm",
                "acquisition_date",
                "acquisition_cost",
                "useful_life_years",
                "replacement_cost",
                "annual_users",
                "is_evacuation_shelter",
                "on_emergency_road",
                "needs_individual_plan",
                "closed_on",
                "disposed_on",
            )
        },
        "risk_score": scores.c.score,
        "risk_class": scores.c.risk_class,
        "condition": latest.label("condition"),
        "last_inspected_on": last_on.scalar_subquery().label("last_inspected_on"),
        # the plan coverage indicator's rule, in SQL (fm.io.register): per page row, not the indicator over frames
        "plan_status": register.plan_status(fiscal_year(date.today())).label("plan_status"),
        "geom": assets.c.geom,
    }
    scored = asset_join.outerjoin(
        scores, sa.and_(scores.c.asset_id == assets.c.id, scores.c.run_id == (run.id if run else -1))
    )
    on_asset = assets.join(categories, categories.c.code == assets.c.category)
    parcel_use = _latest_use(parcels, "utilisation")

    def plan_window(s: Session, bbox: Box) -> sa.ColumnElement[bool]:
        return sa.exists(
            sa.select(plan_assets.c.plan_id)
            .join(assets, assets.c.id == plan_assets.c.asset_id)
            .where(plan_assets.c.plan_id == plans.c.id, window(s, assets, bbox))
        )

    covered = sa.select(sa.func.count()).where(plan_assets.c.plan_id == plans.c.id).scalar_subquery()
    return {
        "assets": Source("code", asset_columns, scored, assets, "acquisition_date"),
        "parcels": Source(
            "code",
            {
                "id": parcels.c.id,
                "code": parcels.c.code,
                "name": parcels.c.name,
                "owner_department": parcels.c.owner_department,
                "district": districts.c.code,
                "district_name": districts.c.name,
                "district_name_en": districts.c.name_en,
                "acquired_on": parcels.c.acquired_on,
                "disposed_on": parcels.c.disposed_on,
                "current_use": _latest_use(parcels, "current_use").label("current_use"),
                "utilisation": parcel_use.label("utilisation"),
                "underused": sa.case((parcel_use.in_(UNDERUSED), sa.true()), else_=sa.false()).label("underused"),
                "geom": parcels.c.geom,
            },
            parcels.outerjoin(districts, districts.c.id == parcels.c.district_id),
            parcels,
            "acquired_on",
        ),
        "districts": Source(
            "code",
            {
                "id": districts.c.id,
                "code": districts.c.code,
                "name": districts.c.name,
                "name_en": districts.c.name_en,
                "population": districts.c.population,
                "population_on": districts.c.population_on,
                "geom": districts.c.geom,
            },
            districts,
            districts,
            None,
        ),
        "inspections": Source(
            "id",
            {
                "id": inspections.c.id,
                "asset_code": assets.c.code,
                "asset_name": assets.c.name,
                "category": assets.c.category,
                "category_name": categories.c.name,
                "category_name_en": categories.c.name_en,
                **{
                    c: inspections.c[c]
                    for c in (
                        "inspected_on",
                        "inspector",
                        "method",
                        "soundness",
                        "condition_score",
                        "findings",
                        "next_due_on",
                    )
                },
                "geom": assets.c.geom,
            },
            inspections.join(on_asset, assets.c.id == inspections.c.asset_id),
            assets,
            "inspected_on",
            placed_at=sa.select(inspections.c.asset_id),
        ),
        "work_orders": Source(
            "code",
            {
                "id": orders.c.id,
                "code": orders.c.code,
                "asset_code": assets.c.code,
                "asset_name": assets.c.name,
                "category": assets.c.category,
                "category_name": categories.c.name,
                "category_name_en": categories.c.name_en,
                **{
                    c: orders.c[c]
                    for c in (
                        "kind",
                        "cause",
                        "description",
                        "status",
                        "planned_on",
                        "started_on",
                        "completed_on",
                        "planned_cost",
                        "actual_cost",
                    )
                },
                "date": sa.func.coalesce(orders.c.completed_on, orders.c.started_on, orders.c.planned_on).label("date"),
                "geom": assets.c.geom,
            },
            orders.join(on_asset, assets.c.id == orders.c.asset_id),
            assets,
            "date",
            placed_at=sa.select(orders.c.asset_id),
        ),
        "plans": Source(
            "code",
            {
                "id": plans.c.id,
                "code": plans.c.code,
                "title": plans.c.title,
                "adopted": (plans.c.adopted_on.is_not(None)).label("adopted"),
                "adopted_on": plans.c.adopted_on,
                "period_start_fy": plans.c.period_start_fy,
                "period_end_fy": plans.c.period_end_fy,
                "under_infrastructure_plan": plans.c.under_infrastructure_plan,
                "assets_covered": covered.label("assets_covered"),
            },
            plans,
            None,
            "adopted_on",
            plan_window,
            sa.select(plan_assets.c.asset_id),
        ),
    }


@dataclass(frozen=True)
class Query:
    """What a client asked of one collection: all optional but the page."""

    limit: int
    offset: int = 0
    bbox: Box | None = None
    equal: Mapping[str, Any] | None = None
    """property → value (already of the column's type)"""
    interval: tuple[date | None, date | None] | None = None
    """inclusive; None at either end is open"""
    key: Any = None
    """one feature by its key"""


def _conditions(session: Session, source: Source, query: Query) -> list[sa.ColumnElement[bool]]:
    where: list[sa.ColumnElement[bool]] = []
    if query.bbox is not None:
        if source.geometry_table is not None:
            where.append(window(session, source.geometry_table, query.bbox))
        elif source.window is not None:
            where.append(source.window(session, query.bbox))
    for name, value in (query.equal or {}).items():
        column = source.columns[name]
        where.append(column.is_(None) if value is None else column == value)
    if query.interval is not None and source.date is not None:
        start, end = query.interval
        column = source.columns[source.date]
        if start is not None:
            where.append(column >= start)
        if end is not None:
            where.append(column <= end)
    if query.key is not None:
        where.append(source.columns[source.key] == query.key)
    return where


def read_page(session: Session, source: Source, query: Query) -> tuple[pd.DataFrame, int]:
    """The page of features ``query`` asks for, ordered by the key, and how many match in all."""
    where = _conditions(session, source, query)
    postgres = session.get_bind().dialect.name == "postgresql"
    columns = [
        (_wkb(expression, postgres) if name == "geom" else expression).label(name)
        for name, expression in source.columns.items()
    ]
    key = source.columns[source.key]
    # The page's ids first, then their columns: so the per-row subqueries (latest inspection, parcel use)
    # run for the page only, not for every row an OFFSET skips.
    ids = (
        sa.select(source.columns["id"])
        .select_from(_needed(source.select_from, where))
        .where(*where)
        .order_by(key)
        .limit(query.limit)
        .offset(query.offset)
    )
    page = sa.select(*columns).select_from(source.select_from).where(source.columns["id"].in_(ids)).order_by(key)
    result = session.connection().execute(page)
    # A plain fetch (no COPY: for one page its set-up costs more than it saves), Python values kept as they are
    frame = pd.DataFrame([tuple(row) for row in result.all()], columns=list(result.keys()), dtype=object)
    if "geom" in frame.columns:  # decoded all at once (one by one, it cost more than the query)
        frame["geom"] = shapely.from_wkb(frame["geom"].to_numpy(dtype=object))
    if query.offset == 0 and len(frame) < query.limit:
        return frame, len(frame)
    count = sa.select(sa.func.count()).select_from(_needed(source.select_from, where))
    return frame, int(session.execute(count.where(*where)).scalar_one())


def _wkb(geom: sa.ColumnElement, postgres: bool) -> sa.ColumnElement:
    """The geometry as WKB, not decoded by the column type row by row (PostgreSQL: hex text)."""
    if postgres:
        return sa.func.ST_AsHEXEWKB(sa.type_coerce(geom, sa.LargeBinary), type_=sa.String)
    return sa.type_coerce(geom, sa.LargeBinary)


def _needed(joined: sa.FromClause, where: list[sa.ColumnElement[bool]]) -> sa.FromClause:
    """The collection's joins, or its first table alone when no condition names a joined table: the joins
    keep rows one for one, so the ids, their order by the key and their count are the same without them,
    and PostgreSQL would otherwise join every row before the ORDER BY … LIMIT."""
    base = _base(joined)
    others = {t for t in find_tables(joined, include_joins=False) if t is not base}
    named = {t for condition in where for t in find_tables(condition, check_columns=True, include_selects=True)}
    return joined if others & named else base


def _base(clause: sa.FromClause) -> sa.FromClause:
    """The first table of a join: every collection's joins keep its rows one for one (inner joins along
    non-null keys, outer joins to one row), so without conditions it alone has the count."""
    while isinstance(clause, sa.Join):
        clause = clause.left
    return clause


def extent(session: Session, source: Source) -> tuple[Box | None, tuple[date | None, date | None] | None]:
    """The box of every feature's geometry (lon/lat) and the first and last date, if any. Collections placed
    at assets (inspections, work orders, plans) take the box of just the assets their features are at."""
    box = None
    table = source.geometry_table
    if table is not None or source.window is not None:
        box = store.bounds(session, table if table is not None else metadata.tables["assets"], source.placed_at)
    dates = None
    if source.date is not None:
        column = source.columns[source.date]
        low, high = session.execute(
            sa.select(sa.func.min(column), sa.func.max(column)).select_from(source.select_from)
        ).one()
        dates = (_as_date(low), _as_date(high))
    return box, dates


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def plan_points(session: Session, plan_ids: list[int]) -> pd.DataFrame:
    """plan_id and the geometry of each asset the plans cover (for the plans' MultiPoint)."""
    t = metadata.tables
    plan_assets, assets = t["plan_assets"], t["assets"]
    query = (
        sa.select(plan_assets.c.plan_id, assets.c.geom)
        .join(assets, assets.c.id == plan_assets.c.asset_id)
        .where(plan_assets.c.plan_id.in_(plan_ids), assets.c.geom.is_not(None))
        .order_by(plan_assets.c.plan_id, assets.c.code)
    )
    return store.frame(session, query)
