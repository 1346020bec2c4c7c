"""Bulk writes of frames: COPY on PostgreSQL, executemany on SQLite (imports and the audit trail).

On PostgreSQL the rows travel as one buffer of COPY's text format made column by column (each
column formatted and escaped at once, then the columns joined): writing them row by row through the
driver's ``write_row`` cost more than PostgreSQL's own work at 100,000 rows (bench/import.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa
from psycopg.copy import QueuedLibpqWriter
from sqlalchemy.orm import Session

from fm.db.types import SRID, Geometry

T = TypeVar("T")


def objects(values: pd.Series) -> np.ndarray:
    """Python values with None for every kind of missing, so that == compares like with like."""
    return values.astype(object).where(values.notna(), None).to_numpy(dtype=object)


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
            values = (
                values
                if postgresql
                else values.map(lambda v: v if isinstance(v, RawJSON) else json.dumps(v, ensure_ascii=False))
            )
        elif isinstance(column_type, sa.DateTime) and not postgresql:
            values = values.map(lambda d: d.strftime("%Y-%m-%d %H:%M:%S.%f"), na_action="ignore")
        elif isinstance(column_type, sa.Date) and not postgresql:
            values = values.map(lambda d: d.isoformat(), na_action="ignore")
        columns.append(objects(values).tolist())
    return list(zip(*columns, strict=True))


NULL = "\\N"
"""COPY's text format: NULL, and every backslash, tab, newline and carriage return inside a value escaped."""
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(table: sa.Table, frame: pd.DataFrame) -> str:
    r"""The rows of ``frame`` in COPY's text format (columns named as ``table``'s, in the frame's order).

    >>> t = sa.Table("t", sa.MetaData(), sa.Column("n", sa.Integer), sa.Column("s", sa.String))
    >>> print(copy_text(t, pd.DataFrame({"n": [1, None], "s": ["a\\b", None]})).replace("\t", " | "), end="")
    1 | a\\b
    \N | \N
    """
    if not len(frame):
        return ""
    columns = [_text_column(table.c[name].type, frame[name]) for name in frame.columns]
    return "\n".join(map("\t".join, zip(*columns, strict=True))) + "\n"


def _escape(text: str) -> str:
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return text.translate(_ESCAPES)
    return text


def _text_column(column_type: sa.types.TypeEngine, values: pd.Series) -> list[str]:
    """One column as COPY text: each value formatted as PostgreSQL reads it, NULL as ``\\N``."""
    missing = values.isna().to_numpy()
    if missing.all():
        return [NULL] * len(values)
    present = values[~missing]
    if isinstance(column_type, Geometry):  # hex EWKB: what PostGIS itself writes and reads
        geoms = present.to_numpy(dtype=object)
        texts = shapely.to_wkb(shapely.set_srid(geoms, SRID), hex=True, include_srid=True)
    elif isinstance(column_type, sa.Integer):
        texts = present.astype("Int64").astype(str).to_numpy(dtype=object)
    elif isinstance(column_type, sa.Float):  # repr: the shortest text that reads back as the same double
        texts = np.array([repr(float(v)) for v in present.tolist()], dtype=object)
    elif isinstance(column_type, sa.Boolean):
        texts = np.where(present.astype(bool).to_numpy(), "t", "f").astype(object)
    elif isinstance(column_type, (sa.Date, sa.DateTime)):
        texts = np.array([v.isoformat() for v in present.tolist()], dtype=object)
    elif isinstance(column_type, sa.JSON):
        texts = np.array(
            [_escape(v if isinstance(v, RawJSON) else json.dumps(v, ensure_ascii=False)) for v in present],
            dtype=object,
        )
    else:
        texts = np.array([_escape(str(v)) for v in present.tolist()], dtype=object)
    out = np.full(len(values), NULL, dtype=object)
    out[~missing] = texts
    return out.tolist()


class RawJSON(str):
    """JSON text already encoded (e.g. the audit trail's changes, built column by column): written as is."""


def insert(
    session: Session, table: sa.Table, frame: pd.DataFrame, *, meanwhile: Callable[[], T] | None = None
) -> T | None:
    """Insert the rows of ``frame`` (columns named as the table's) in one bulk write; return what
    ``meanwhile`` returns.

    On PostgreSQL the rows are formatted and queued in chunks, which a thread of the driver sends while
    the server stores them; ``meanwhile`` (client work that does not need the rows stored, such as the
    audit entries' text) runs then, beside the server's work, instead of after it.
    """
    postgresql = session.get_bind().dialect.name == "postgresql"
    names = list(frame.columns)
    with closing(session.connection().connection.driver_connection.cursor()) as cursor:
        if postgresql:
            return _copy(cursor, table, frame, table.name, meanwhile)
        cursor.executemany(
            f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
            _rows(table, frame, postgresql),
        )
    return meanwhile() if meanwhile else None


COPY_ROWS = 10_000
"""Rows formatted and sent to COPY at a time."""


def _copy(
    cursor: Any, table: sa.Table, frame: pd.DataFrame, target: str, meanwhile: Callable[[], T] | None = None
) -> T | None:
    """COPY ``frame`` into ``target`` (a table with ``table``'s columns), chunk by chunk through a queue."""
    result = None
    statement = f"COPY {target} ({', '.join(frame.columns)}) FROM STDIN"
    with cursor.copy(statement, writer=QueuedLibpqWriter(cursor)) as copy:
        for start in range(0, len(frame), COPY_ROWS):
            copy.write(copy_text(table, frame.iloc[start : start + COPY_ROWS]))
        if meanwhile is not None:
            result = meanwhile()
    return result


def copy_into(cursor: Any, table: sa.Table, frame: pd.DataFrame) -> None:
    """COPY ``frame`` into ``table`` (PostgreSQL; e.g. a temporary table the caller made) through ``cursor``."""
    _copy(cursor, table, frame, table.name)


def execute(cursor: Any, statement: str, params: Any = None, *, meanwhile: Callable[[], T] | None = None) -> T | None:
    """Run one statement through the driver's ``cursor``; return what ``meanwhile`` returns, run while the
    database works (the driver waits for the server without holding Python's lock)."""
    if meanwhile is None:
        cursor.execute(statement, params)
        return None
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(cursor.execute, statement, params)
        try:
            result = meanwhile()
        finally:
            running.result()  # the statement's own error first, if it failed
    return result


def update(session: Session, table: sa.Table, frame: pd.DataFrame) -> None:
    """Update rows of ``table`` by ``frame["id"]`` with the other columns; ``updated_at`` and ``version``,
    where the table keeps them, move on (so an edit opened before the update is refused)."""
    postgresql = session.get_bind().dialect.name == "postgresql"
    names = [c for c in frame.columns if c != "id"]
    with closing(session.connection().connection.driver_connection.cursor()) as cursor:
        _update(cursor, table, frame, names, stamp(table), postgresql)


def stamp(table: sa.Table) -> str:
    """What an update sets beside the values: ``updated_at`` and ``version`` moved on, where the table keeps them."""
    return (", updated_at = CURRENT_TIMESTAMP" if "updated_at" in table.c else "") + (
        ", version = version + 1" if "version" in table.c else ""
    )


def _update(cursor: Any, table: sa.Table, frame: pd.DataFrame, names: list[str], stamp: str, postgresql: bool) -> None:
    if postgresql:
        cursor.execute(
            f"CREATE TEMP TABLE fm_import ON COMMIT DROP AS SELECT id, {', '.join(names)} "
            f"FROM {table.name} WITH NO DATA"
        )
        _copy(cursor, table, frame[["id", *names]], "fm_import")
        assignments = ", ".join(f"{n} = fm_import.{n}" for n in names)
        cursor.execute(
            f"UPDATE {table.name} SET {assignments}{stamp} FROM fm_import WHERE {table.name}.id = fm_import.id"
        )
        cursor.execute("DROP TABLE fm_import")
    else:
        assignments = ", ".join(f"{n} = ?" for n in names)
        rows = [(*row[1:], row[0]) for row in _rows(table, frame[["id", *names]], False)]
        cursor.executemany(f"UPDATE {table.name} SET {assignments}{stamp} WHERE id = ?", rows)
