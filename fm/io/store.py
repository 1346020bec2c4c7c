"""Database ↔ frames: the queries that load records into (Geo)DataFrames for the domain functions.

Geometries come back as shapely objects on both backends (see :mod:`fm.db.types`);
frames with geometry are GeoDataFrames in EPSG:4326.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa
from shapely import box
from sqlalchemy.orm import Session

from fm.db.sqlite import rtree_name
from fm.db.types import Geometry
from fm.model import Asset, AssetCategory, metadata

CRS = "EPSG:4326"

ASSET_COLUMNS = ("id", "code", "name", "category", "district_id", "status", "geom")
FEW_IDS = 64
"""Up to this many ids a read is small (one asset's page, a card): fetched, not COPY'd on PostgreSQL, where a COPY
and its CSV parse cost 5-10 ms of CPU whatever the size, several times a small fetch."""


def read_categories(session: Session) -> pd.DataFrame:
    """Every asset category, in display order."""
    table = AssetCategory.__table__
    return _frame(session, sa.select(table).order_by(table.c.sort_order, table.c.code), few=True)


def read_table(
    session: Session,
    name: str,
    columns: Sequence[str] | None = None,
    *,
    asset_ids: Sequence[int] | sa.Select | None = None,
    where: dict[str, str] | None = None,
    dates_as_text: bool = False,
) -> pd.DataFrame | gpd.GeoDataFrame:
    """Every row of table ``name`` (only ``columns`` if given; with ``asset_ids``, only the rows of those
    assets, a list or a query giving asset ids; with ``where``, only those whose columns equal these values)
    ordered by its key; a GeoDataFrame
    with geometry. ``dates_as_text`` reads dates as ISO text (YYYY-MM-DD), for a caller that parses them
    all at once: on SQLite the rows then come as the driver gives them, several times faster."""
    table = metadata.tables[name]
    selected = [table.c[c] for c in columns] if columns else list(table.c)
    if dates_as_text:
        selected = [sa.cast(c, sa.String).label(c.name) if isinstance(c.type, sa.Date) else c for c in selected]
    query = sa.select(*selected).order_by(*table.primary_key.columns)
    if asset_ids is not None:
        query = query.where(table.c.asset_id.in_(_ids(asset_ids)))
    for column, value in (where or {}).items():
        query = query.where(table.c[column] == value)
    frame = _frame(session, query, few=_few(asset_ids))
    return _geoframe(frame) if "geom" in frame.columns else frame


def read_assets(
    session: Session,
    *,
    columns: Sequence[str] = ASSET_COLUMNS,
    bbox: tuple[float, float, float, float] | None = None,
    categories: Sequence[str] | None = None,
    ids: Sequence[int] | sa.Select | None = None,
) -> gpd.GeoDataFrame | pd.DataFrame:
    """Assets with the given columns; with ``bbox`` (lon/lat), only those whose geometry intersects it;
    with ``categories``, only those categories; with ``ids`` (a few thousand at most, or a query giving them,
    run by the database), only those.

    The window query uses the spatial index of the backend (GiST on PostGIS, the
    R*Tree on SQLite) to find candidates, then keeps the exact intersections.
    """
    unknown = set(columns) - set(Asset.__table__.columns.keys())
    if unknown:
        raise ValueError(f"read_assets: unknown asset columns {sorted(unknown)}")
    query = assets_query([*columns, *(["geom"] if bbox else [])], categories=categories)
    if bbox is not None:
        query = query.where(_window(session, bbox))
    if ids is not None:
        query = query.where(Asset.id.in_(_ids(ids)))
    frame = _frame(session, query, few=_few(ids))
    if bbox is not None:
        frame = frame[gpd.GeoSeries(frame["geom"], crs=CRS).intersects(box(*bbox))]
        frame = frame[["id", *[c for c in columns if c != "id"]]]
    return _geoframe(frame) if "geom" in frame.columns else frame.reset_index(drop=True)


def assets_query(columns: Sequence[str], *, categories: Sequence[str] | None = None) -> sa.Select:
    """:func:`read_assets`' query: the id and ``columns`` of every asset (of ``categories`` when given), by id."""
    wanted = list(dict.fromkeys(["id", *columns]))
    query = sa.select(*(Asset.__table__.c[name] for name in wanted)).order_by(Asset.id)
    return query if categories is None else query.where(Asset.category.in_(list(categories)))


def _ids(ids: Sequence[int] | sa.Select) -> list[int] | sa.Select:
    """Ids for an ``IN``: a query as it is (the database runs it), else the ids as whole numbers."""
    return ids if isinstance(ids, sa.Select) else [int(i) for i in ids]


def find_asset(session: Session, code: str) -> int | None:
    """The id of the asset with ``code`` (through the unique index), or None."""
    return session.scalar(sa.select(Asset.id).where(Asset.code == code))


def read_map_points(
    session: Session,
    *,
    bbox: tuple[float, float, float, float] | None = None,
    categories: Sequence[str] | None = None,
    districts: Sequence[int] | None = None,
    run_id: int | None = None,
    boxes: bool = False,
) -> pd.DataFrame:
    """Held assets as points for a map: id, code, category, district_id and the centre (x, y) of their
    bounding box; with ``run_id``, that risk run's risk_class and state (None where it did not score
    the asset); with ``boxes``, the box itself too (minx, miny, maxx, maxy: what ``bbox`` is compared with,
    so that a caller keeping every point can cut viewports from them alone).

    Cheap enough to run on every pan of a map of 100,000 assets: positions come from the spatial
    index (R*Tree on SQLite, the geometry's stored box on PostGIS) and the attributes from
    covering indexes (``ix_assets_map``; for the classes ``ix_risk_scores_map`` on SQLite, the run's key on
    PostgreSQL), so no geometry is decoded.
    """
    positions = _positions(session, bbox)
    if not boxes:
        positions = positions.drop(columns=["minx", "miny", "maxx", "maxy"])
    few = None if len(positions) > MANY_IDS else positions["id"].tolist()
    assets = Asset.__table__
    query = sa.select(assets.c.id, assets.c.code, assets.c.category, assets.c.district_id).where(
        assets.c.status != "disposed"
    )
    if few is not None:
        query = query.where(assets.c.id.in_(few))
    if categories is not None:
        query = query.where(assets.c.category.in_(list(categories)))
    if districts is not None:
        query = query.where(assets.c.district_id.in_(list(districts)))
    points = _frame(session, query).merge(positions, on="id").sort_values("id", ignore_index=True)
    if run_id is not None:
        scores = metadata.tables["risk_scores"]
        query = sa.select(scores.c.asset_id.label("id"), scores.c.risk_class, scores.c.state).where(
            scores.c.run_id == run_id
        )
        if few is not None:
            query = query.where(scores.c.asset_id.in_(few))
        points = points.merge(_frame(session, query), on="id", how="left")
    return points


MANY_IDS = 20_000
"""Past this many assets in a window, read the attributes of all (an index scan) rather than by id."""


def _positions(session: Session, bbox: tuple[float, float, float, float] | None) -> pd.DataFrame:
    """id, x, y: the centre of each asset's bounding box, and the box (minx, miny, maxx, maxy); only
    those meeting ``bbox``."""
    if session.get_bind().dialect.name == "postgresql":
        geom = Asset.__table__.c.geom
        box = [
            sa.func.ST_XMin(geom, type_=sa.Float),
            sa.func.ST_XMax(geom, type_=sa.Float),
            sa.func.ST_YMin(geom, type_=sa.Float),
            sa.func.ST_YMax(geom, type_=sa.Float),
        ]
        query = sa.select(
            Asset.id,
            ((box[0] + box[1]) / 2).label("x"),
            ((box[2] + box[3]) / 2).label("y"),
            box[0].label("minx"),
            box[2].label("miny"),
            box[1].label("maxx"),
            box[3].label("maxy"),
        ).where(geom.is_not(None))
        if bbox is not None:
            query = query.where(_window(session, bbox))
        return _frame(session, query)
    rtree = _rtree()
    query = sa.select(
        rtree.c.id.label("id"),
        ((rtree.c.minx + rtree.c.maxx) / 2).label("x"),
        ((rtree.c.miny + rtree.c.maxy) / 2).label("y"),
        rtree.c.minx,
        rtree.c.miny,
        rtree.c.maxx,
        rtree.c.maxy,
    )
    if bbox is not None:
        minx, miny, maxx, maxy = bbox
        query = query.where(rtree.c.maxx >= minx, rtree.c.minx <= maxx, rtree.c.maxy >= miny, rtree.c.miny <= maxy)
    return _frame(session, query)


def _rtree() -> sa.TableClause:
    return sa.table(
        rtree_name("assets", "geom"),
        sa.column("id"),
        sa.column("minx"),
        sa.column("maxx"),
        sa.column("miny"),
        sa.column("maxy"),
    )


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


def bounds(session: Session, table: sa.Table, ids: sa.Select | None = None) -> tuple[float, float, float, float] | None:
    """The box of every geometry of ``table`` (lon/lat), or of the rows whose id ``ids`` selects, from the
    spatial index on SQLite; None if none."""
    if session.get_bind().dialect.name == "postgresql":
        extent = sa.func.ST_Extent(table.c.geom)
        query = sa.select(
            sa.func.ST_XMin(extent, type_=sa.Float),
            sa.func.ST_YMin(extent, type_=sa.Float),
            sa.func.ST_XMax(extent, type_=sa.Float),
            sa.func.ST_YMax(extent, type_=sa.Float),
        )
        if ids is not None:
            query = query.where(table.c.id.in_(ids))
    else:
        names = ("id", "minx", "maxx", "miny", "maxy")
        rtree = sa.table(rtree_name(table.name, "geom"), *(sa.column(c) for c in names))
        query = sa.select(
            sa.func.min(rtree.c.minx),
            sa.func.min(rtree.c.miny),
            sa.func.max(rtree.c.maxx),
            sa.func.max(rtree.c.maxy),
        )
        if ids is not None:
            query = query.where(rtree.c.id.in_(ids))
    row = session.execute(query).one()
    return None if row[0] is None else tuple(float(v) for v in row)  # type: ignore[return-value]


def frame(session: Session, query: sa.Select) -> pd.DataFrame:
    """Run ``query`` into a frame, geometry as shapely objects (see :func:`_frame`)."""
    return _frame(session, query)


def read_query(session: Session, query: sa.Select) -> pd.DataFrame:
    """The rows of ``query`` as a frame, the fastest way each backend has (:func:`_frame`)."""
    return _frame(session, query)


def read_alongside(session: Session, queries: Sequence[sa.Select]) -> list[pd.DataFrame] | None:
    """The rows of each query as a frame (as :func:`read_query` gives them), exactly as the session sees them, all
    read at the same time: on PostgreSQL each on a pooled connection of its own (a server process each, on as many
    cores) whose transaction takes the session's snapshot (``pg_export_snapshot``) and ``work_mem``, the client
    parsing one while the server still computes another; through COPY, or as arrays when every column is a whole
    number, a flag or text and no order is asked for (:func:`_array_frame`).

    None where other connections cannot see what the session sees, for the caller to read its own way: on SQLite,
    in a session that has written (no other transaction sees its rows before the commit) and in a savepoint
    (which cannot export its snapshot)."""
    if session.get_bind().dialect.name != "postgresql" or session.in_nested_transaction():
        return None
    written, snapshot, work_mem = session.execute(
        sa.text(
            "SELECT pg_current_xact_id_if_assigned() IS NOT NULL, pg_export_snapshot(), current_setting('work_mem')"
        )
    ).one()
    if written:
        return None
    engine = session.get_bind().engine

    def read(query: sa.Select) -> pd.DataFrame:
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
            connection.execute(sa.text(f"SET TRANSACTION SNAPSHOT '{snapshot}'"))
            connection.execute(sa.text("SELECT set_config('work_mem', :value, true)"), {"value": work_mem})
            columns = list(query.selected_columns)
            # (an aggregate keeps no order of the rows it is given: arrays only where the query asks for none)
            if all(isinstance(column.type, ARRAY_TYPES) for column in columns) and not query._order_by_clauses:
                return _array_frame(connection, query)
            return _copy_frame(connection, query, columns)

    with ThreadPoolExecutor(len(queries), thread_name_prefix="fm-read") as pool:
        return list(pool.map(read, queries))


NO_WHOLE = -(2**63)
"""What :func:`_array_frame` sends for NULL: the one BIGINT value no whole number it reads takes (the lowest)."""
ARRAY_TYPES = (sa.Integer, sa.Boolean, sa.String)
"""The columns :func:`_array_frame` reads: whole numbers, flags (as 0/1) and text."""
NO_TEXT, TEXT_SEPARATOR = "\x01", "\x1f"
"""What :func:`_array_frame` sends for a NULL text (as :func:`_copy_frame`: a control character no stored text
holds), and between two texts (a text holding it is read through COPY instead)."""


def read_arrays(session: Session, query: sa.Select) -> pd.DataFrame:
    """The frame :func:`read_query` gives (in no particular order) of ``query``, whose columns are all whole
    numbers, flags or text and which asks for no order, read on the session's own connection a column in one
    piece: :func:`_array_frame` on PostgreSQL, :func:`_sqlite_array_frame` on SQLite, where the driver's rows
    would cost a Python object per value and then their conversion (bench/README.md)."""
    kinds = [column.type for column in query.selected_columns]
    if query._order_by_clauses or not all(isinstance(kind, ARRAY_TYPES) for kind in kinds):
        raise ValueError(
            f"read_arrays reads whole numbers, flags and text in no order; asked for {kinds}"
            + (" in an order" if query._order_by_clauses else "")
        )
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        return _array_frame(connection, query)
    return _sqlite_array_frame(connection, query)


def _array_frame(connection: sa.Connection, query: sa.Select) -> pd.DataFrame:
    """The rows of ``query``, whose columns are all whole numbers, flags or text, as :func:`_copy_frame` gives them
    (int64, Int64 where NULL; True/False; str or None; in no particular order), each column sent in one piece:
    numbers and flags as one binary array (``array_send(array_agg(…))``) decoded by numpy, text as one value
    joined on :data:`TEXT_SEPARATOR` and split by ``str``. psycopg reads a COPY a message, one per row, in Python
    (about a second a million rows). An aggregate's columns come from the same rows in the same order."""
    rows = query.subquery("rows")
    sent: list[sa.ColumnElement] = [sa.func.count()]
    for column in rows.c:
        if isinstance(column.type, sa.String):
            sent.append(sa.func.array_to_string(sa.func.array_agg(sa.func.coalesce(column, NO_TEXT)), TEXT_SEPARATOR))
            continue
        number = sa.cast(column, sa.Integer) if isinstance(column.type, sa.Boolean) else column  # (no bool::bigint)
        sent.append(sa.func.array_send(sa.func.array_agg(sa.func.coalesce(sa.cast(number, sa.BigInteger), NO_WHOLE))))
    sql = str(sa.select(*sent).compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    with connection.connection.driver_connection.cursor(binary=True) as cursor:
        count, *arrays = cursor.execute(sql).fetchall()[0]
    frame = {}
    for column, array in zip(rows.c, arrays, strict=True):
        if isinstance(column.type, sa.String):
            texts = np.array(array.split(TEXT_SEPARATOR) if count else [], dtype=object)
            if len(texts) != count:  # a text holding the separator
                return _copy_frame(connection, query, list(query.selected_columns))
            texts[texts == NO_TEXT] = None
            frame[column.name] = pd.Series(texts, dtype=object)  # as objects, not inferred as pandas' text
            continue
        # ndim, flags, element type, length, lower bound; then each element's size (8) and big-endian value
        values = np.frombuffer(array or b"\0" * 20, dtype=[("size", ">i4"), ("value", ">i8")], offset=20)["value"]
        missing = values == NO_WHOLE
        whole = values.astype("int64")
        if isinstance(column.type, sa.Boolean):
            flags = (whole == 1).astype(object)
            flags[missing] = np.nan
            frame[column.name] = pd.Series(flags, dtype=object)
        else:
            frame[column.name] = pd.arrays.IntegerArray(whole, missing) if missing.any() else whole
    return pd.DataFrame(frame)


def _sqlite_array_frame(connection: sa.Connection, query: sa.Select) -> pd.DataFrame:
    """SQLite's :func:`_array_frame`, in one row of one statement, giving the frame a fetch gives (:func:`_frame`):
    whole numbers and flags each as one text of decimal numbers (``group_concat``, NULL as :data:`NO_WHOLE`)
    parsed by numpy, text as one JSON array (``json_group_array``: any text, NULL as null) parsed by :mod:`json`.
    An aggregate's columns come from the same rows in the same order."""
    rows = query.subquery("rows")
    sent = [
        sa.func.json_group_array(column)
        if isinstance(column.type, sa.String)
        else sa.func.group_concat(sa.func.coalesce(sa.cast(column, sa.BigInteger), NO_WHOLE))
        for column in rows.c
    ]
    texts = connection.execute(sa.select(*sent)).one()
    frame: dict[str, Any] = {}
    for column, text in zip(rows.c, texts, strict=True):
        if isinstance(column.type, sa.String):
            frame[column.name] = json.loads(text)  # a list: pandas infers its text type, as from a fetch
            continue
        whole = np.fromstring(text or "", dtype=np.int64, sep=",")
        missing = whole == NO_WHOLE
        if isinstance(column.type, sa.Boolean):  # bool, or True/False/None objects where NULL (as from a fetch)
            frame[column.name] = np.where(missing, None, whole == 1) if missing.any() else whole == 1
        else:
            frame[column.name] = pd.arrays.IntegerArray(whole, missing) if missing.any() else whole
    return pd.DataFrame(frame)


def _few(ids: Sequence[int] | sa.Select | None) -> bool:
    return ids is not None and not isinstance(ids, sa.Select) and len(ids) <= FEW_IDS


def _frame(session: Session, query: sa.Select, *, few: bool = False) -> pd.DataFrame:
    """Run ``query`` into a frame; on PostgreSQL through COPY (several times faster), unless the caller knows the
    rows are ``few``: then fetched, converted a column at a time as on SQLite."""
    columns = list(query.selected_columns)
    if session.get_bind().dialect.name == "postgresql" and not few:
        try:
            return _copy_frame(session.connection(), query, columns)
        except sa.exc.CompileError:  # a parameter SQL cannot write as a literal: fetch it the plain way
            pass
    dialect = session.get_bind().dialect
    result = session.connection().execute(query)  # Core execution: a CursorResult, even for ORM columns
    # (Here PostgreSQL always reads geometry, which needs converting; the dialect's own type, not the
    # generic one, says whether SQLite's text dates and 0/1 flags need it.)
    if dialect.name == "sqlite" or few:
        # The driver's tuples, converted a column at a time (SQLAlchemy's Row objects, and pandas probing each of
        # them, cost several times the fetch itself; geometries are decoded in one call, not one by one).
        kinds = [entry[1] for entry in result.cursor.description]
        rows = result.cursor.fetchall()
        result.close()
        values = _converted(rows, columns, kinds, dialect)
    else:
        rows = [tuple(row) for row in result.all()]
        values = None
    names = list(result.keys())
    if values is None or len(set(names)) < len(names):
        frame = pd.DataFrame(rows, columns=names)
    else:  # converted a column at a time: a frame of those columns, not of the rows made again of them
        frame = pd.DataFrame({n: _whole(c, v) for n, c, v in zip(names, columns, values, strict=True)})
    for number, column in enumerate(columns):  # integers with NULLs: nullable Int64, as the COPY path gives them
        values_of = frame[column.name]
        if isinstance(column.type, sa.Integer) and values_of.dtype != "Int64" and values_of.isna().any():
            # From the driver's Python ints, not from the float64 column pandas made of them with the
            # NULLs, which holds whole numbers exactly only up to 2**53 (money goes up to 2**63 - 1 yen).
            whole = list(values[number]) if values is not None else [row[number] for row in rows]
            frame[column.name] = pd.array(whole, dtype="Int64")
    return frame


def _whole(column: sa.ColumnElement, values: Sequence) -> Sequence | np.ndarray | pd.api.extensions.ExtensionArray:
    """An INTEGER column's values as int64 at once when every one is a Python int (no NULL), what pandas would
    infer from them at several times the cost (25 ms for 100,000); as nullable Int64 at once when the others are
    NULLs (not a float64 column first, then a list of them again); any other column as it is."""
    if not isinstance(column.type, sa.Integer) or isinstance(values, np.ndarray):
        return values
    kinds = set(map(type, values))
    if kinds == {int}:
        return np.fromiter(values, dtype=np.int64, count=len(values))
    if kinds == {int, type(None)}:
        raw = np.array(values, dtype=object)
        missing = pd.isna(raw)
        raw[missing] = 0
        return pd.arrays.IntegerArray(raw.astype(np.int64), missing)
    return values


def _converted(rows: list[tuple], columns: list, kinds: list, dialect: sa.Dialect) -> list[Sequence] | None:
    """The driver's raw values as SQLAlchemy's result processors make them, a column at a time (one sequence per
    column; None when no column needs converting): geometries (EWKB) through one vectorised
    :func:`shapely.from_wkb`, the others (SQLite's dates and flags) through the column type's own processor, given
    the type the driver says it read (``kinds``, from the cursor's description)."""
    processors = [
        c.type.dialect_impl(dialect).result_processor(dialect, kind) for c, kind in zip(columns, kinds, strict=True)
    ]
    if not rows or all(p is None for p in processors):
        return None
    values: list[Sequence] = list(zip(*rows, strict=True))
    for number, (column, processor) in enumerate(zip(columns, processors, strict=True)):
        if isinstance(column.type, Geometry):
            raw = np.empty(len(rows), dtype=object)
            raw[:] = values[number]
            values[number] = shapely.from_wkb(raw)
        elif processor is not None:
            values[number] = tuple(processor(v) for v in values[number])
    return values


def _copy_frame(connection: sa.Connection, query: sa.Select, columns: list) -> pd.DataFrame:
    """``COPY (query) TO STDOUT`` read back with each column's type: the same values as a plain fetch."""
    sql = str(query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    buffer = io.BytesIO()
    # NULL written as a control character no stored text holds (an empty string stays an empty string, and a
    # value typed as \N stays a value)
    with (
        connection.connection.driver_connection.cursor() as cursor,
        cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER, NULL E'\\x01')") as copy,
    ):
        for chunk in copy:
            buffer.write(chunk)
    buffer.seek(0)
    # Text as Python strings (objects), what the frame holds in the end, not through Arrow strings and back
    text = {c.name: object for c in columns if not isinstance(c.type, (sa.Integer, sa.Float, sa.Numeric))}
    # Integers parsed as such, never through float64 (exact up to 2**53 only): Int64 keeps every BIGINT.
    whole = {c.name: "Int64" for c in columns if isinstance(c.type, sa.Integer)}
    frame = pd.read_csv(  # in one piece (low_memory off): no concatenation of each column's chunks
        buffer,
        dtype={**text, **whole},
        keep_default_na=False,
        na_values={c.name: ["\x01"] for c in columns},
        low_memory=False,
    )
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
        elif isinstance(column.type, Geometry):  # EWKB as COPY writes a bytea: \x and hex digits
            present = values.notna().to_numpy()
            shapes = np.full(len(values), None, dtype=object)
            shapes[present] = shapely.from_wkb(values[present].str.removeprefix("\\x").to_numpy(dtype=object))
            frame[column.name] = shapes
        elif isinstance(column.type, sa.Integer) and not values.isna().any():
            frame[column.name] = values.astype("int64")  # no NULLs: plain int64, as a plain fetch gives
        elif not isinstance(column.type, (sa.Integer, sa.Float, sa.Numeric)):
            frame[column.name] = values.astype(object).where(values.notna(), None)
    return frame


def _geoframe(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(frame, geometry="geom", crs=CRS).reset_index(drop=True)
