"""Database ↔ frames: the queries that load records into (Geo)DataFrames for the domain functions.

Geometries come back as shapely objects on both backends (see :mod:`fm.db.types`);
frames with geometry are GeoDataFrames in EPSG:4326.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence

import geopandas as gpd
import pandas as pd
import sqlalchemy as sa
from shapely import box
from sqlalchemy.orm import Session

from fm.db.sqlite import rtree_name
from fm.db.types import Geometry
from fm.model import Asset, AssetCategory, metadata

CRS = "EPSG:4326"

ASSET_COLUMNS = ("id", "code", "name", "category", "district_id", "status", "geom")


def read_categories(session: Session) -> pd.DataFrame:
    """Every asset category, in display order."""
    table = AssetCategory.__table__
    return _frame(session, sa.select(table).order_by(table.c.sort_order, table.c.code))


def read_table(session: Session, name: str, columns: Sequence[str] | None = None, *,
               asset_ids: Sequence[int] | None = None) -> pd.DataFrame | gpd.GeoDataFrame:
    """Every row of table ``name`` (only ``columns`` if given; with ``asset_ids``, only the rows of those
    assets) ordered by its key; a GeoDataFrame with geometry."""
    table = metadata.tables[name]
    selected = [table.c[c] for c in columns] if columns else list(table.c)
    query = sa.select(*selected).order_by(*table.primary_key.columns)
    if asset_ids is not None:
        query = query.where(table.c.asset_id.in_([int(i) for i in asset_ids]))
    frame = _frame(session, query)
    return _geoframe(frame) if "geom" in frame.columns else frame


def read_assets(
    session: Session,
    *,
    columns: Sequence[str] = ASSET_COLUMNS,
    bbox: tuple[float, float, float, float] | None = None,
    categories: Sequence[str] | None = None,
    ids: Sequence[int] | None = None,
) -> gpd.GeoDataFrame | pd.DataFrame:
    """Assets with the given columns; with ``bbox`` (lon/lat), only those whose geometry intersects it;
    with ``categories``, only those categories; with ``ids`` (a few thousand at most), only those.

    The window query uses the spatial index of the backend (GiST on PostGIS, the
    R*Tree on SQLite) to find candidates, then keeps the exact intersections.
    """
    unknown = set(columns) - set(Asset.__table__.columns.keys())
    if unknown:
        raise ValueError(f"read_assets: unknown asset columns {sorted(unknown)}")
    wanted = list(dict.fromkeys(["id", *columns, *(["geom"] if bbox else [])]))
    query = sa.select(*(Asset.__table__.c[name] for name in wanted)).order_by(Asset.id)
    if bbox is not None:
        query = query.where(_window(session, bbox))
    if categories is not None:
        query = query.where(Asset.category.in_(list(categories)))
    if ids is not None:
        query = query.where(Asset.id.in_([int(i) for i in ids]))
    frame = _frame(session, query)
    if bbox is not None:
        frame = frame[gpd.GeoSeries(frame["geom"], crs=CRS).intersects(box(*bbox))]
        frame = frame[["id", *[c for c in columns if c != "id"]]]
    return _geoframe(frame) if "geom" in frame.columns else frame.reset_index(drop=True)


def read_map_points(
    session: Session,
    *,
    bbox: tuple[float, float, float, float] | None = None,
    categories: Sequence[str] | None = None,
    districts: Sequence[int] | None = None,
    run_id: int | None = None,
) -> pd.DataFrame:
    """Held assets as points for a map: id, code, category, district_id and the centre (x, y) of their
    bounding box, from the spatial index alone; with ``run_id``, that risk run's risk_class, score and
    state (None where the run did not score the asset).

    Cheap enough to run on every pan of a map of 100,000 assets: no geometry is decoded.
    """
    assets = Asset.__table__
    if session.get_bind().dialect.name == "postgresql":
        x = (sa.func.ST_XMin(assets.c.geom, type_=sa.Float) + sa.func.ST_XMax(assets.c.geom, type_=sa.Float)) / 2
        y = (sa.func.ST_YMin(assets.c.geom, type_=sa.Float) + sa.func.ST_YMax(assets.c.geom, type_=sa.Float)) / 2
        query = sa.select(assets.c.id, assets.c.code, assets.c.category, assets.c.district_id,
                          x.label("x"), y.label("y")).where(assets.c.geom.is_not(None))
        if bbox is not None:
            query = query.where(_window(session, bbox))
    else:
        rtree = _rtree()
        query = (sa.select(assets.c.id, assets.c.code, assets.c.category, assets.c.district_id,
                           ((rtree.c.minx + rtree.c.maxx) / 2).label("x"),
                           ((rtree.c.miny + rtree.c.maxy) / 2).label("y"))
                 .join(rtree, rtree.c.id == assets.c.id))
        if bbox is not None:
            minx, miny, maxx, maxy = bbox
            query = query.where(rtree.c.maxx >= minx, rtree.c.minx <= maxx,
                                rtree.c.maxy >= miny, rtree.c.miny <= maxy)
    query = query.where(assets.c.status != "disposed").order_by(assets.c.id)
    if categories is not None:
        query = query.where(assets.c.category.in_(list(categories)))
    if districts is not None:
        query = query.where(assets.c.district_id.in_(list(districts)))
    if run_id is not None:
        scores = metadata.tables["risk_scores"]
        query = query.add_columns(scores.c.risk_class, scores.c.score, scores.c.state).outerjoin(
            scores, sa.and_(scores.c.asset_id == assets.c.id, scores.c.run_id == run_id))
    return _frame(session, query)


def _rtree() -> sa.TableClause:
    return sa.table(rtree_name("assets", "geom"), sa.column("id"), sa.column("minx"), sa.column("maxx"),
                    sa.column("miny"), sa.column("maxy"))


def _window(session: Session, bbox: tuple[float, float, float, float]) -> sa.ColumnElement[bool]:
    minx, miny, maxx, maxy = bbox
    if session.get_bind().dialect.name == "postgresql":
        envelope = sa.func.ST_MakeEnvelope(minx, miny, maxx, maxy, 4326)
        return Asset.geom.op("&&")(envelope)
    rtree = _rtree()
    candidates = sa.select(rtree.c.id).where(
        rtree.c.maxx >= minx, rtree.c.minx <= maxx, rtree.c.maxy >= miny, rtree.c.miny <= maxy
    )
    return Asset.id.in_(candidates)


def _frame(session: Session, query: sa.Select) -> pd.DataFrame:
    """Run ``query`` into a frame; on PostgreSQL without geometry, through COPY (several times faster)."""
    columns = list(query.selected_columns)
    if session.get_bind().dialect.name == "postgresql" and not any(
            isinstance(c.type, Geometry) for c in columns):
        return _copy_frame(session, query, columns)
    result = session.execute(query)
    frame = pd.DataFrame(result.all(), columns=list(result.keys()))
    for column in columns:  # integers with NULLs: nullable Int64, as the COPY path gives them
        if isinstance(column.type, sa.Integer) and frame[column.name].isna().any():
            frame[column.name] = frame[column.name].astype("Int64")
    return frame


def _copy_frame(session: Session, query: sa.Select, columns: list) -> pd.DataFrame:
    """``COPY (query) TO STDOUT`` read back with each column's type: the same values as a plain fetch."""
    sql = str(query.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
    buffer = io.BytesIO()
    cursor = session.connection().connection.driver_connection.cursor()
    # NULL written as \N, so that an empty string stays an empty string
    with cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER, NULL '\\N')") as copy:
        for chunk in copy:
            buffer.write(chunk)
    buffer.seek(0)
    text = {c.name: str for c in columns if not isinstance(c.type, (sa.Integer, sa.Float, sa.Numeric))}
    frame = pd.read_csv(buffer, dtype=text, keep_default_na=False, na_values={c.name: ["\\N"] for c in columns})
    for column in columns:
        values = frame[column.name]
        if isinstance(column.type, sa.Boolean):
            frame[column.name] = values.map({"t": True, "f": False}).astype(object)
        elif isinstance(column.type, sa.Date):
            frame[column.name] = pd.to_datetime(values).dt.date.astype(object).where(values.notna(), None)
        elif isinstance(column.type, sa.JSON):
            frame[column.name] = [None if pd.isna(v) else json.loads(v) for v in values]
        elif isinstance(column.type, sa.DateTime):
            frame[column.name] = pd.to_datetime(values, utc=True)
        elif isinstance(column.type, sa.Integer) and values.isna().any():
            frame[column.name] = values.astype("Int64")
        elif not isinstance(column.type, (sa.Integer, sa.Float, sa.Numeric)):
            frame[column.name] = values.astype(object).where(values.notna(), None)
    return frame


def _geoframe(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(frame, geometry="geom", crs=CRS).reset_index(drop=True)
