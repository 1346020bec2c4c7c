"""Bulk writes of frames: COPY on PostgreSQL, executemany on SQLite (imports and the audit trail).

On PostgreSQL the rows travel as one buffer of COPY's text format made column by column (each
column formatted and escaped at once, then the columns joined): writing them row by row through the
driver's ``write_row`` cost more than PostgreSQL's own work at 100,000 rows (bench/import.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from datetime import date
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa  # type: ignore[import-untyped]  # no stubs; pandas needs it anyway
import pyarrow.compute as pc  # type: ignore[import-untyped]
import shapely
import sqlalchemy as sa
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


def _escaped(texts: list[str]) -> list[str]:
    r""":func:`_escape` of every text of a column at once: joined on NUL (which no PostgreSQL text holds), looked
    at and translated by ``str``'s own C loops, and split again (100,000 values: one call instead of 100,000).

    >>> texts = ["a\tb", "c\\d", "e\nf\r", "plain"]
    >>> _escaped(texts) == [_escape(t) for t in texts] and _escaped(["x"]) == ["x"]
    True
    """
    joined = "\x00".join(texts)
    if "\\" not in joined and "\t" not in joined and "\n" not in joined and "\r" not in joined:
        return texts
    if joined.count("\x00") != len(texts) - 1:  # a value holding NUL, which PostgreSQL refuses: one by one
        return [_escape(t) for t in texts]
    return joined.translate(_ESCAPES).split("\x00")


def _text_column(column_type: sa.types.TypeEngine, values: pd.Series) -> list[str]:
    """One column as COPY text: each value formatted as PostgreSQL reads it, NULL as ``\\N``."""
    missing = values.isna().to_numpy()
    if missing.all():
        return [NULL] * len(values)
    present = values[~missing]
    if isinstance(column_type, Geometry):  # hex EWKB: what PostGIS itself writes and reads
        geoms = present.to_numpy(dtype=object)
        texts = _hex(shapely.to_wkb(shapely.set_srid(geoms, SRID), include_srid=True))
    elif isinstance(column_type, sa.Integer):
        texts = present.astype("Int64").astype(str).to_numpy(dtype=object)
    elif isinstance(column_type, sa.Float):  # repr: the shortest text that reads back as the same double
        texts = np.array(list(map(repr, present.to_numpy(dtype=float).tolist())), dtype=object)
    elif isinstance(column_type, sa.Boolean):
        texts = np.where(present.astype(bool).to_numpy(), "t", "f").astype(object)
    elif isinstance(column_type, (sa.Date, sa.DateTime)):  # each distinct day or time written once
        codes, uniques = pd.factorize(present)
        texts = np.array([v.isoformat() for v in uniques.tolist()], dtype=object)[codes]
    elif isinstance(column_type, sa.JSON):
        texts = np.array(
            _escaped([v if isinstance(v, RawJSON) else json.dumps(v, ensure_ascii=False) for v in present.tolist()]),
            dtype=object,
        )
    else:
        listed = present.tolist()
        if not set(map(type, listed)) <= {str}:
            listed = [str(v) for v in listed]
        texts = np.array(_escaped(listed), dtype=object)
    out = np.full(len(values), NULL, dtype=object)
    out[~missing] = texts
    return out.tolist()


def _hex(blobs: np.ndarray) -> np.ndarray:
    """Each of ``blobs`` (bytes) as upper-case hex, as shapely's ``to_wkb(hex=True)`` writes it: the whole column
    joined, written as hex at once and cut again (half the CPU of shapely's hex per geometry).

    >>> _hex(np.array([b"\\x01\\xab", b"", b"\\xff"], dtype=object)).tolist()
    ['01AB', '', 'FF']
    """
    lengths = 2 * np.fromiter(map(len, blobs), dtype=np.int64, count=len(blobs))
    ends = np.cumsum(lengths)
    starts = ends - lengths
    text = b"".join(blobs).hex().upper()
    return np.array([text[a:b] for a, b in zip(starts.tolist(), ends.tolist(), strict=True)], dtype=object)


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
    from psycopg.copy import QueuedLibpqWriter  # PostgreSQL only: SQLite never loads the driver

    with cursor.copy(statement, writer=QueuedLibpqWriter(cursor)) as copy:
        for start in range(0, len(frame), COPY_ROWS):
            copy.write(copy_text(table, frame.iloc[start : start + COPY_ROWS]))
        if meanwhile is not None:
            result = meanwhile()
    return result


def copy_into(cursor: Any, table: sa.Table, frame: pd.DataFrame) -> None:
    """COPY ``frame`` into ``table`` (PostgreSQL; e.g. a temporary table the caller made) through ``cursor``."""
    _copy(cursor, table, frame, table.name)


def copy_rows_into(cursor: Any, copies: Sequence[tuple[str, Sequence[str], pa.Array]]) -> None:
    """COPY rows already made by :func:`binary_rows` into each ``(table, columns, rows)`` of ``copies`` in turn
    (PostgreSQL, COPY's binary format)."""
    for table, columns, rows in copies:
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT binary)") as copy:
            copy.write(binary_copy(rows))


def execute(cursor: Any, statement: str, params: Any = None, *, meanwhile: Callable[[], T] | None = None) -> T | None:
    """Run one statement through the driver's ``cursor``; return what ``meanwhile`` returns, run while the database
    works."""
    return _beside(lambda: cursor.execute(statement, params), meanwhile)


def _beside(work: Callable[[], Any], meanwhile: Callable[[], T] | None) -> T | None:
    """Do ``work`` (a statement or COPY); with ``meanwhile``, in a thread while ``meanwhile`` runs here (the driver
    waits for the server without holding Python's lock), and return what it returns."""
    if meanwhile is None:
        work()
        return None
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(work)
        try:
            result = meanwhile()
        finally:
            running.result()  # the work's own error first, if it failed
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


_BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
_BINARY_TRAILER = b"\xff\xff"


def copy_binary(
    frames: Iterable[pd.DataFrame], types: Sequence[str], *, chunk: int = 50_000
) -> Iterator[bytes | memoryview]:
    r"""The rows of ``frames`` (one after the other, the same columns, of PostgreSQL ``types`` as
    :func:`binary_rows` takes them) in COPY's binary format, in chunks of bytes to write one after the other; each
    frame is taken when the previous one is written, so that a caller can make the next frame while the server
    reads the last. (psycopg's ``write_row`` took longer than PostgreSQL's own work for a million rows.)

    >>> frame = pd.DataFrame({"n": [1, 2], "x": [0.5, None], "c": ["a", "bc"]})
    >>> data = b"".join(copy_binary([frame], ["int4", "float8", "text"]))
    >>> data[:11], data[19:21], data[-2:]
    (b'PGCOPY\n\xff\r\n\x00', b'\x00\x03', b'\xff\xff')
    >>> len(data) == 19 + (2 + 8 + 12 + 5) + (2 + 8 + 4 + 6) + 2
    True
    >>> b"".join(copy_binary([frame.iloc[:1], frame.iloc[1:]], ["int4", "float8", "text"])) == data
    True
    """
    unknown = sorted(set(types) - {*_ROW_LAYOUTS, *_TEXT_KINDS, "geometry"})
    if unknown:
        raise ValueError(f"copy_binary cannot write type(s) {', '.join(unknown)}")
    yield _BINARY_HEADER
    for frame in frames:
        if len(types) != len(frame.columns):
            raise ValueError(f"{len(types)} types for {len(frame.columns)} columns")
        for start in range(0, len(frame), chunk):
            yield _body(binary_rows(frame.iloc[start : start + chunk], types))
    yield _BINARY_TRAILER


_ROW_LAYOUTS = {
    "bool": "u1",
    "int2": ">i2",
    "int4": ">i4",
    "int8": ">i8",
    "float8": ">f8",
    "date": ">i4",
    "timestamptz": ">i8",
}
"""The fixed-width types :func:`binary_rows` writes, as big-endian numpy layouts; besides them the texts of
:data:`_TEXT_KINDS` and ``geometry`` (EWKB)."""
_TEXT_KINDS = ("text", "json")
"""Types whose binary form is their text in UTF-8 (``json``: JSON text already made, e.g. the audit entries')."""
_NULL_FIELD = b"\xff\xff\xff\xff"


def binary_types(table: sa.Table, columns: Sequence[str]) -> list[str]:
    """The PostgreSQL type :func:`binary_rows` writes for each of ``table``'s ``columns``."""
    types = []
    for name in columns:
        column_type = table.c[name].type
        if isinstance(column_type, Geometry):
            types.append("geometry")
        elif isinstance(column_type, sa.Boolean):
            types.append("bool")
        elif isinstance(column_type, sa.Integer):  # BigInteger and SmallInteger are Integers: looked at first
            types.append(
                "int8"
                if isinstance(column_type, sa.BigInteger)
                else "int2"
                if isinstance(column_type, sa.SmallInteger)
                else "int4"
            )
        elif isinstance(column_type, sa.Float):
            types.append("float8")
        elif isinstance(column_type, sa.Date) and not isinstance(column_type, sa.DateTime):
            types.append("date")
        elif isinstance(column_type, sa.DateTime) and column_type.timezone:
            types.append("timestamptz")
        elif isinstance(column_type, sa.JSON):
            types.append("json")
        elif isinstance(column_type, (sa.String, sa.Text)):
            types.append("text")
        else:
            raise ValueError(f"binary_rows cannot write {table.name}.{name} ({column_type})")
    return types


def binary_rows(frame: pd.DataFrame, types: Sequence[str]) -> pa.Array:
    r"""Each row of ``frame`` as one tuple of COPY's binary format (field count, then each field's length and bytes,
    NULL as length -1), given as Arrow binary: each column made at once by numpy (numbers, dates, flags) or Arrow
    (texts in UTF-8, EWKB geometry), then joined row by row in C++; each row apart, so that a caller can send some
    of them (:func:`binary_copy`). An import's rows are made in about half the time of COPY's text format
    (bench/README.md, branch import7).

    >>> frame = pd.DataFrame({"n": pd.array([1, None], dtype="Int64"), "s": ["a\tb", None], "b": [True, False]})
    >>> first, second = binary_rows(frame, ["int4", "text", "bool"]).to_pylist()
    >>> first == b"\x00\x03" + b"\x00\x00\x00\x04\x00\x00\x00\x01" + b"\x00\x00\x00\x03a\tb" + b"\x00\x00\x00\x01\x01"
    True
    >>> second == b"\x00\x03" + b"\xff\xff\xff\xff" * 2 + b"\x00\x00\x00\x01\x00"
    True
    """
    count = len(frame)
    fields = np.full(count, len(types), dtype=">i2")
    columns = [_fixed_width(fields.view(np.uint8), 2, count)]
    for name, kind in zip(frame.columns, types, strict=True):
        columns.append(_binary_column(frame[name], kind))
    return pc.binary_join_element_wise(*columns, b"")


def _binary_column(values: pd.Series, kind: str) -> pa.Array:
    """One column's fields: each value's length and bytes, or -1 for NULL."""
    missing = values.isna().to_numpy()
    if kind in (*_TEXT_KINDS, "geometry"):
        payload = _utf8(values, missing, kind) if kind in _TEXT_KINDS else _ewkb(values, missing)
        lengths = pc.fill_null(pc.binary_length(payload), 0).to_numpy(zero_copy_only=False).astype(">i4")
        prefixed = pc.binary_join_element_wise(_fixed_width(lengths.view(np.uint8), 4, len(values)), payload, b"")
        return pc.fill_null(prefixed, pa.scalar(_NULL_FIELD, pa.binary()))
    layout = np.dtype(_ROW_LAYOUTS[kind])
    if kind == "timestamptz":  # microseconds since 2000-01-01 UTC
        stamps = pd.DatetimeIndex(values)
        if stamps.tz is None:
            raise ValueError(f"{values.name}: times without a time zone for timestamptz")
        numbers = stamps.tz_convert("UTC").as_unit("us").asi8 - _EPOCH_MICROSECONDS
    elif kind == "date":  # days since 2000-01-01, each distinct day once
        codes, uniques = pd.factorize(values[~missing])
        days = np.array([d.toordinal() for d in uniques.tolist()], dtype=np.int64) - _EPOCH_ORDINAL
        numbers = np.zeros(len(values), dtype=np.int64)
        numbers[~missing] = days[codes]
    elif kind == "float8":
        numbers = values.to_numpy(dtype=np.float64, na_value=0.0)
    else:
        numbers = values.to_numpy(dtype=np.int64, na_value=0)
        bounds = (0, 1) if kind == "bool" else (np.iinfo(layout).min, np.iinfo(layout).max)
        if len(numbers) and (numbers.min() < bounds[0] or numbers.max() > bounds[1]):  # never wrapped round
            raise ValueError(f"{values.name}: a value beyond {kind}")
    fields = np.empty(len(values), dtype=[("length", ">i4"), ("value", layout)])
    fields["length"] = layout.itemsize
    fields["value"] = numbers
    written = _fixed_width(fields.view(np.uint8), fields.dtype.itemsize, len(values))
    if missing.any():
        written = pc.if_else(pa.array(missing), pa.scalar(_NULL_FIELD, pa.binary()), written)
    return written


_EPOCH_ORDINAL = date(2000, 1, 1).toordinal()
_EPOCH_MICROSECONDS = int(pd.Timestamp("2000-01-01", tz="UTC").timestamp()) * 1_000_000


def _utf8(values: pd.Series, missing: np.ndarray, kind: str) -> pa.Array:
    """A text column's values in UTF-8, null where missing: the Arrow buffer pandas holds them in as it is (no Python
    string per value), else from Python's. ``json`` takes texts only (JSON already written), never a value to
    write."""
    if isinstance(values.array, pd.arrays.ArrowExtensionArray):  # pandas' "str" columns among them
        held = pa.array(values.array)
        texts = held.combine_chunks() if isinstance(held, pa.ChunkedArray) else held
        if texts.type in (pa.string(), pa.large_string()):
            return texts.cast(pa.binary())
    present = values.to_numpy(dtype=object)[~missing]
    if not set(map(type, present.tolist())) <= {str}:
        if kind == "json":
            raise ValueError(f"{values.name}: json takes JSON texts already written")
        present = np.array([str(v) for v in present], dtype=object)
    data = np.full(len(values), None, dtype=object)
    data[~missing] = present
    return pa.array(data, type=pa.string()).cast(pa.binary())


def _ewkb(values: pd.Series, missing: np.ndarray) -> pa.Array:
    """A geometry column as EWKB (SRID 4326), null where missing."""
    data = np.full(len(values), None, dtype=object)
    data[~missing] = shapely.to_wkb(shapely.set_srid(values.to_numpy(dtype=object)[~missing], SRID), include_srid=True)
    return pa.array(data, type=pa.binary())


def _fixed_width(data: np.ndarray, width: int, count: int) -> pa.Array:
    """``count`` values of ``width`` bytes each, one after the other in ``data``, as Arrow binary."""
    return pa.FixedSizeBinaryArray.from_buffers(pa.binary(width), count, [None, pa.py_buffer(data)]).cast(pa.binary())


def binary_copy(rows: pa.Array) -> bytes:
    """Rows of :func:`binary_rows` as a whole COPY in binary format (header, the rows, trailer)."""
    return b"".join((_BINARY_HEADER, _body(rows), _BINARY_TRAILER))


def _body(rows: pa.Array) -> memoryview | bytes:
    """The bytes of Arrow binary ``rows``, one after the other, without copying them."""
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int32)
    start, end = offsets[rows.offset], offsets[rows.offset + len(rows)]
    return b"" if rows.buffers()[2] is None else memoryview(rows.buffers()[2])[start:end]
