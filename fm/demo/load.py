"""Load a register written by :mod:`fm.demo.dataset` into the database, all or nothing.

Rows keep the ids of the files, so the same files give the same database on SQLite
and PostGIS; loading twice changes nothing, and ``reset`` empties every table of
records (the categories stay) before loading. Each chunk is one bulk write (COPY on PostgreSQL,
:func:`fm.io.bulk.insert`): a row-by-row insert would fire the statement triggers of the change log
(migration 0018) once a row.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa
from sqlalchemy.orm import Session

from fm import progress
from fm.db.types import Geometry
from fm.demo.dataset import TABLES
from fm.errors import FmError, ValidationError
from fm.io import bulk
from fm.io import risk as risk_store
from fm.model import metadata

CHUNK = 20_000


def load(session: Session, folder: Path, *, reset: bool = False) -> dict[str, int]:
    """Load every ``<table>.csv`` of ``folder``; return the rows loaded per table (empty if already there)."""
    missing = [name for name in TABLES if not (folder / f"{name}.csv").exists()]
    if missing:
        raise FmError(f"{folder} is not a complete fm dataset: missing {', '.join(m + '.csv' for m in missing)}")
    if reset:
        clear(session)
    held = session.scalar(sa.select(sa.func.count()).select_from(metadata.tables["assets"]))
    if held:
        if held == _count_rows(folder / "assets.csv") and _same_codes(session, folder / "assets.csv"):
            return {}
        raise FmError(
            f"the database already holds {held} assets of its own: "
            "run `fm demo --reset` to erase every record and load the demo instead"
        )
    counts = {}
    for number, name in enumerate(TABLES):
        progress.report(f"loading {name}", number, len(TABLES))
        counts[name] = _load_table(session, metadata.tables[name], folder / f"{name}.csv")
    if session.get_bind().dialect.name == "postgresql":
        for name in (n for n in TABLES if "id" in metadata.tables[n].c):
            session.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), COALESCE(MAX(id), 0) + 1, false) "
                    f"FROM {name}"
                )
            )
    return counts


def clear(session: Session) -> None:
    """Delete every record (not the categories), children first, risk runs included."""
    risk_store.delete_runs(session)
    for name in reversed(TABLES):
        session.execute(metadata.tables[name].delete())


def _count_rows(path: Path) -> int:
    return sum(len(chunk) for chunk in pd.read_csv(path, usecols=["id"], chunksize=100_000))


def _same_codes(session: Session, path: Path) -> bool:
    stored = set(session.scalars(sa.select(metadata.tables["assets"].c.code)))
    return stored == set(pd.read_csv(path, usecols=["code"])["code"])


def _load_table(session: Session, table: sa.Table, path: Path) -> int:
    count = 0
    for chunk in pd.read_csv(path, chunksize=CHUNK, dtype=str, keep_default_na=False, na_values=[""]):
        unknown = sorted(set(chunk.columns) - set(table.c.keys()))
        if unknown:
            raise FmError(f"{path.name}: unknown column(s) {', '.join(unknown)} for table {table.name}")
        if len(chunk):
            bulk.insert(session, table, _convert(chunk, table))
        count += len(chunk)
    return count


def _convert(chunk: pd.DataFrame, table: sa.Table) -> pd.DataFrame:
    """Turn CSV text into Python values by the type of each database column."""
    columns = {}
    for name in chunk.columns:
        column_type, values = table.c[name].type, chunk[name]
        present = values.notna().to_numpy()
        if isinstance(column_type, Geometry):
            converted = np.full(len(values), None, dtype=object)
            converted[present] = [
                _checked(column_type, geom, table.name, name, row)
                for geom, row in zip(shapely.from_wkt(values[present].to_numpy()), chunk.index[present], strict=True)
            ]
        elif isinstance(column_type, sa.Boolean):
            converted = values.map({"true": True, "false": False}).to_numpy(dtype=object)
        elif isinstance(column_type, sa.Date):
            converted = pd.to_datetime(values).dt.date.to_numpy(dtype=object)
        elif isinstance(column_type, sa.Integer):  # also BigInteger, SmallInteger
            converted = np.array([int(v) if p else None for v, p in zip(values, present, strict=True)], dtype=object)
        elif isinstance(column_type, sa.Float):
            converted = np.array([float(v) if p else None for v, p in zip(values, present, strict=True)], dtype=object)
        else:
            converted = values.to_numpy(dtype=object)
        converted = np.array(converted, dtype=object)
        converted[~present] = None
        columns[name] = converted
    return pd.DataFrame(columns)


def _checked(column_type: Geometry, geom: shapely.Geometry, table: str, column: str, row: int) -> shapely.Geometry:
    """``geom`` fit for its column (a polygon made a multipolygon, …), as the ORM's bind would make it."""
    try:
        return column_type.check(geom)
    except ValidationError as exc:
        raise FmError(f"{table}.csv line {row + 2}, {column}: {exc}") from exc
