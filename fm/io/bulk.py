"""Bulk writes of frames: binary COPY on PostgreSQL, executemany on SQLite (imports and the audit trail)."""

from __future__ import annotations

import json
from contextlib import closing
from typing import Any

import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa
from sqlalchemy.orm import Session

from fm.db.types import SRID, Geometry


def objects(values: pd.Series) -> np.ndarray:
    """Python values with None for every kind of missing, so that == compares like with like."""
    return values.astype(object).where(values.notna(), None).to_numpy(dtype=object)


PG_TYPES = (
    (sa.SmallInteger, "int2"),
    (sa.BigInteger, "int8"),
    (sa.Integer, "int4"),
    (sa.Float, "float8"),
    (sa.Boolean, "bool"),
    (sa.DateTime, "timestamptz"),
    (sa.Date, "date"),
    (Geometry, "bytea"),
    (sa.String, "text"),
    (sa.JSON, "json"),
)


def _pg_type(column: sa.Column) -> str:
    return next(name for kind, name in PG_TYPES if isinstance(column.type, kind))


def _rows(table: sa.Table, frame: pd.DataFrame, postgresql: bool) -> list[tuple]:
    """Values of ``frame`` as the driver takes them: Python scalars, None for missing, EWKB for geometry,
    ISO dates on SQLite (as SQLAlchemy stores them there)."""
    columns = []
    for name in frame.columns:
        column_type, values = table.c[name].type, frame[name]
        if isinstance(column_type, Geometry):
            geoms = values.to_numpy(dtype=object)
            present = ~shapely.is_missing(geoms)
            listed = np.full(len(geoms), None, dtype=object)
            listed[present] = shapely.to_wkb(shapely.set_srid(geoms[present], SRID), include_srid=True)
            columns.append(listed.tolist())
            continue
        if isinstance(column_type, sa.Integer):
            values = values.astype("Int64")
        elif isinstance(column_type, sa.Float):
            values = values.astype("Float64")
        elif isinstance(column_type, sa.JSON):  # psycopg's json dumper encodes; SQLite stores the text
            values = values if postgresql else values.map(lambda v: json.dumps(v, ensure_ascii=False))
        elif isinstance(column_type, sa.DateTime) and not postgresql:
            values = values.map(lambda d: d.strftime("%Y-%m-%d %H:%M:%S.%f"), na_action="ignore")
        elif isinstance(column_type, sa.Date) and not postgresql:
            values = values.map(lambda d: d.isoformat(), na_action="ignore")
        columns.append(objects(values).tolist())
    return list(zip(*columns, strict=True))


def insert(session: Session, table: sa.Table, frame: pd.DataFrame) -> None:
    """Insert the rows of ``frame`` (columns named as the table's) in one bulk write."""
    postgresql = session.get_bind().dialect.name == "postgresql"
    names = list(frame.columns)
    rows = _rows(table, frame, postgresql)
    with closing(session.connection().connection.driver_connection.cursor()) as cursor:
        if postgresql:
            with cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN WITH (FORMAT binary)") as copy:
                copy.set_types([_pg_type(table.c[n]) for n in names])
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(
                f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})", rows
            )


def update(session: Session, table: sa.Table, frame: pd.DataFrame) -> None:
    """Update rows of ``table`` by ``frame["id"]`` with the other columns; ``updated_at`` and ``version``,
    where the table keeps them, move on (so an edit opened before the update is refused)."""
    postgresql = session.get_bind().dialect.name == "postgresql"
    names = [c for c in frame.columns if c != "id"]
    stamp = (", updated_at = CURRENT_TIMESTAMP" if "updated_at" in table.c else "") + (
        ", version = version + 1" if "version" in table.c else ""
    )
    with closing(session.connection().connection.driver_connection.cursor()) as cursor:
        _update(cursor, table, frame, names, stamp, postgresql)


def _update(cursor: Any, table: sa.Table, frame: pd.DataFrame, names: list[str], stamp: str, postgresql: bool) -> None:
    if postgresql:
        cursor.execute(
            f"CREATE TEMP TABLE fm_import ON COMMIT DROP AS SELECT id, {', '.join(names)} "
            f"FROM {table.name} WITH NO DATA"
        )
        with cursor.copy(f"COPY fm_import (id, {', '.join(names)}) FROM STDIN WITH (FORMAT binary)") as copy:
            copy.set_types([_pg_type(table.c[n]) for n in ["id", *names]])
            for row in _rows(table, frame[["id", *names]], True):
                copy.write_row(row)
        assignments = ", ".join(f"{n} = fm_import.{n}" for n in names)
        cursor.execute(
            f"UPDATE {table.name} SET {assignments}{stamp} FROM fm_import WHERE {table.name}.id = fm_import.id"
        )
        cursor.execute("DROP TABLE fm_import")
    else:
        assignments = ", ".join(f"{n} = ?" for n in names)
        rows = [(*row[1:], row[0]) for row in _rows(table, frame[["id", *names]], False)]
        cursor.executemany(f"UPDATE {table.name} SET {assignments}{stamp} WHERE id = ?", rows)
