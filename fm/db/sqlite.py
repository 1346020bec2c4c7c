"""SQLite specifics: connection set-up and the R*Tree spatial index of each geometry column.

SQLite stores geometries as EWKB blobs (see :mod:`fm.db.types`). For window queries
each geometry column has an R*Tree virtual table ``rtree_<table>_<column>`` holding
the bounding box of every row, kept in step by triggers on the table, the way a
GeoPackage keeps its spatial index. The triggers call ``fm_minx`` … ``fm_maxy``,
SQL functions that :func:`configure_connection` registers on every connection fm
opens; another program may read an fm SQLite file freely, but writing geometries
into it needs those four functions.
"""

from __future__ import annotations

import sqlite3
from functools import lru_cache

import shapely

BOUND_FUNCTIONS = ("fm_minx", "fm_miny", "fm_maxx", "fm_maxy")
INTERSECTS_FUNCTION = "fm_intersects_box"
"""``fm_intersects_box(geom, minx, miny, maxx, maxy)``: 1 when the geometry meets the box (shapely, the
same GEOS test as PostGIS's ST_Intersects), so a window query can be exact inside SQL, before LIMIT."""


@lru_cache(maxsize=4)
def _bounds(blob: bytes) -> tuple[float, float, float, float]:
    # The four functions run on the same blob in a row: parse it once.
    return tuple(shapely.from_wkb(blob).bounds)  # type: ignore[return-value]


def _bound(index: int):
    def function(blob: bytes | None) -> float | None:
        return None if blob is None else _bounds(bytes(blob))[index]

    return function


def _intersects_box(blob: bytes | None, minx: float, miny: float, maxx: float, maxy: float) -> int | None:
    if blob is None:
        return None
    return int(shapely.intersects(shapely.from_wkb(bytes(blob)), shapely.box(minx, miny, maxx, maxy)))


def configure_connection(connection: sqlite3.Connection, *, file_backed: bool, busy_timeout: float = 10.0) -> None:
    """Enforce foreign keys, wait on locks, use WAL for files, register the bbox functions."""
    for index, name in enumerate(BOUND_FUNCTIONS):
        connection.create_function(name, 1, _bound(index), deterministic=True)
    connection.create_function(INTERSECTS_FUNCTION, 5, _intersects_box, deterministic=True)
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
    if file_backed:
        cursor.execute("PRAGMA journal_mode = WAL")
    cursor.close()


def rtree_name(table: str, column: str) -> str:
    """Name of the R*Tree table that indexes ``table.column``."""
    return f"rtree_{table}_{column}"


def create_rtree_sql(table: str, column: str, pk: str = "id") -> list[str]:
    """DDL that creates and fills the R*Tree of ``table.column`` and the triggers that keep it.

    Run again after a migration rebuilds ``table`` (Alembic batch mode drops triggers).
    """
    rtree = rtree_name(table, column)
    box = f"fm_minx(NEW.{column}), fm_maxx(NEW.{column}), fm_miny(NEW.{column}), fm_maxy(NEW.{column})"
    return [
        *drop_rtree_sql(table, column),
        f"CREATE VIRTUAL TABLE {rtree} USING rtree(id, minx, maxx, miny, maxy)",
        f"INSERT INTO {rtree} SELECT {pk}, fm_minx({column}), fm_maxx({column}), fm_miny({column}), "
        f"fm_maxy({column}) FROM {table} WHERE {column} IS NOT NULL",
        f"CREATE TRIGGER {rtree}_insert AFTER INSERT ON {table} WHEN NEW.{column} IS NOT NULL "
        f"BEGIN INSERT INTO {rtree} VALUES (NEW.{pk}, {box}); END",
        f"CREATE TRIGGER {rtree}_update AFTER UPDATE OF {column}, {pk} ON {table} "
        f"BEGIN DELETE FROM {rtree} WHERE id = OLD.{pk}; "
        f"INSERT INTO {rtree} SELECT NEW.{pk}, {box} WHERE NEW.{column} IS NOT NULL; END",
        f"CREATE TRIGGER {rtree}_delete AFTER DELETE ON {table} BEGIN DELETE FROM {rtree} WHERE id = OLD.{pk}; END",
    ]


def drop_rtree_sql(table: str, column: str) -> list[str]:
    """DDL that removes the R*Tree of ``table.column`` and its triggers, if present."""
    rtree = rtree_name(table, column)
    return [
        *(f"DROP TRIGGER IF EXISTS {rtree}_{event}" for event in ("insert", "update", "delete")),
        f"DROP TABLE IF EXISTS {rtree}",
    ]
