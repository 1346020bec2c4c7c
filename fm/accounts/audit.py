"""The audit trail: who changed which record, from where, when, and each field's old and new value.

Every write path records here: the web forms and actions (through :mod:`fm.accounts.edits`), the
CLI and imports (one entry per record an import adds or changes). Values are stored as
JSON-safe text: dates in ISO form, yen as integers, geometry as WKT (summarised when long).
"""

from __future__ import annotations

import getpass
import json
import math
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any, cast

import numpy as np
import pandas as pd
import pyarrow as pa  # type: ignore[import-untyped]  # no stubs; pandas needs it anyway
import pyarrow.compute as pc  # type: ignore[import-untyped]
import shapely
import sqlalchemy as sa
from sqlalchemy.orm import Session

from fm.io import bulk
from fm.model import AuditEntry

LOCAL_TIME = "Asia/Tokyo"
"""Entries are stored in UTC and shown in Japan time."""
WKT_LIMIT = 500
"""Geometry longer than this in WKT is recorded as its type and vertex count."""


def cli_actor() -> str:
    """The actor of a CLI command: ``cli:`` and the system user running it."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def now() -> datetime:
    """The time stamped on an entry (UTC, aware)."""
    return datetime.now(UTC)


def plain(value: Any) -> Any:
    """``value`` as JSON keeps it: None for missing, ISO dates, Python numbers, WKT geometry."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, shapely.Geometry):
        if value.is_empty:
            return None
        text = shapely.to_wkt(value, rounding_precision=7)
        return text if len(text) <= WKT_LIMIT else f"{value.geom_type} ({shapely.get_num_coordinates(value)} vertices)"
    if isinstance(value, (datetime, pd.Timestamp)):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else (int(value) if float(value).is_integer() else float(value))
    return str(value)


def plain_values(values: pd.Series) -> list[Any]:
    """:func:`plain` of every value of a column; whole columns of numbers, flags or text at once, geometry
    converted to WKT in one call."""
    missing = values.isna().to_numpy()
    if missing.all():
        return [None] * len(values)
    if pd.api.types.is_float_dtype(values):
        return [
            None if m else (int(v) if v.is_integer() else v)
            for v, m in zip(values.astype(float).tolist(), missing, strict=True)
        ]
    kinds = set(map(type, values.to_numpy(dtype=object)[~missing]))
    if kinds == {date}:
        return [None if m else v.isoformat() for v, m in zip(values.tolist(), missing, strict=True)]
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_integer_dtype(values) or kinds == {str}:
        items = values.astype(object).to_numpy(dtype=object, copy=True)  # Python values, NA only where missing
        if missing.any():
            items[missing] = None
        return items.tolist()
    items = values.to_numpy(dtype=object)
    geometries = np.array([isinstance(v, shapely.Geometry) for v in items], dtype=bool)
    if not geometries.any():
        return [plain(v) for v in items]
    out = [plain(v) if not g else None for v, g in zip(items, geometries, strict=True)]
    shapes = items[geometries]
    texts = shapely.to_wkt(shapes, rounding_precision=7)
    counts = shapely.get_num_coordinates(shapes)
    empty = shapely.is_empty(shapes)
    for n, shape, text, count, hollow in zip(np.flatnonzero(geometries), shapes, texts, counts, empty, strict=True):
        if not hollow:
            out[n] = text if len(text) <= WKT_LIMIT else f"{shape.geom_type} ({count} vertices)"
    return out


JSON_STRING = json.encoder.encode_basestring  # the C encoder json.dumps uses
"""A text as ``json.dumps(text, ensure_ascii=False)`` writes it."""
ESCAPED_IN_JSON = r'[\x00-\x1f"\\]'
"""The characters JSON escapes in a text (``json.dumps`` with ``ensure_ascii=False``; PostgreSQL's ``to_json``)."""
NOT_INT64 = 2.0**63
"""Whole floats from here on are written through Python's ``int`` (beyond numpy's int64)."""


def json_texts(values: pd.Series) -> pa.Array:
    r"""Each value of a column as JSON text, ``json.dumps(plain(value), ensure_ascii=False)``, null where it is
    missing (:func:`plain`'s None): made over the whole column (numpy, Arrow's string kernels, the C JSON string
    encoder, shapely), since an import writes it for every field of 100,000 records.

    >>> json_texts(pd.Series([1.0, 0.1, None, 1e-07, 2.5e16])).to_pylist()
    ['1', '0.1', None, '1e-07', '25000000000000000']
    >>> json_texts(pd.Series(['a"b', None, "\t", "名"])).to_pylist()
    ['"a\\"b"', None, '"\\t"', '"名"']
    """
    missing = values.isna().to_numpy()
    if missing.all():
        return pa.nulls(len(values), pa.string())
    if pd.api.types.is_bool_dtype(values):
        flags = values.to_numpy(dtype=bool, na_value=False)
        return pa.array(np.where(flags, "true", "false"), mask=missing, type=pa.string())
    if pd.api.types.is_integer_dtype(values):
        return pa.array(values.to_numpy(dtype="int64", na_value=0), mask=missing).cast(pa.string())
    if pd.api.types.is_float_dtype(values):
        return pa.array(_float_texts(values.to_numpy(dtype=float, na_value=np.nan)), type=pa.string())
    items = values.to_numpy(dtype=object)
    kinds = set(map(type, items[~missing]))
    if kinds == {str}:
        return _string_texts(pa.array(np.where(missing, None, items), type=pa.string()))
    if all(issubclass(kind, shapely.Geometry) for kind in kinds):
        return pa.array(_geometry_texts(items, missing), type=pa.string())
    out = np.full(len(items), None, dtype=object)
    if kinds == {date}:  # each distinct day written once
        codes, uniques = pd.factorize(items[~missing])
        out[~missing] = np.array([f'"{day.isoformat()}"' for day in uniques.tolist()], dtype=object)[codes]
    else:
        out[~missing] = [json.dumps(plain(v), ensure_ascii=False) for v in items[~missing].tolist()]
    return pa.array(out, type=pa.string())


def _float_texts(numbers: np.ndarray) -> np.ndarray:
    """Floats as :func:`plain` and ``json.dumps`` write them: whole ones as integers, others by ``repr`` (the shortest
    text reading back as the same double); None for NaN."""
    out = np.full(len(numbers), None, dtype=object)
    finite = np.isfinite(numbers)
    whole = finite & (np.trunc(numbers) == numbers) & (np.abs(numbers) < NOT_INT64)
    out[whole] = list(map(str, numbers[whole].astype(np.int64).tolist()))
    fraction = finite & ~whole & (np.trunc(numbers) != numbers)
    out[fraction] = list(map(repr, numbers[fraction].tolist()))
    rest = ~np.isnan(numbers) & ~whole & ~fraction  # infinities, whole floats beyond int64
    out[rest] = [json.dumps(plain(v)) for v in numbers[rest].tolist()]
    return out


def _string_texts(texts: pa.Array) -> pa.Array:
    """Texts quoted, and the few holding a character JSON escapes escaped by the C encoder."""
    quoted = pc.binary_join_element_wise('"', texts, '"', "")
    escaped = pc.fill_null(pc.match_substring_regex(texts, ESCAPED_IN_JSON), False)
    if not pc.any(escaped).as_py():
        return quoted
    places = np.flatnonzero(escaped.to_numpy(zero_copy_only=False))
    written = [JSON_STRING(text) for text in texts.take(pa.array(places)).to_pylist()]
    return pc.replace_with_mask(quoted, escaped, pa.array(written, type=pa.string()))


def _geometry_texts(shapes: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """Geometry as quoted WKT to 7 decimals, or its type and vertex count past :data:`WKT_LIMIT` (WKT holds nothing
    JSON escapes); None for missing or empty geometry."""
    out = np.full(len(shapes), None, dtype=object)
    present = ~missing
    present[present] = ~shapely.is_empty(shapes[present])
    texts = shapely.to_wkt(shapes[present], rounding_precision=7)
    long = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)) > WKT_LIMIT
    if long.any():
        summarised = shapes[present][long]
        counts = shapely.get_num_coordinates(summarised)
        texts[long] = [f"{s.geom_type} ({n} vertices)" for s, n in zip(summarised, counts.tolist(), strict=True)]
    out[present] = ['"' + text + '"' for text in texts.tolist()]
    return out


CREATED_COLUMNS = ("at", "actor", "source", "action", "table_name", "record_id", "record_code", "changes")
"""The columns of the trail :func:`created_rows` gives (the entry's id is the sequence's, as for any insert)."""


def created_rows(
    table: str, ids: np.ndarray, codes: pa.Array, changes: pa.Array, *, at: datetime, actor: str, source: str
) -> pa.Array:
    """The entries of records of ``table`` just created, one per id (with its code and changes, JSON text) in
    order, as rows of COPY's binary format for :data:`CREATED_COLUMNS` (PostgreSQL; :func:`fm.io.bulk.binary_rows`):
    what :func:`record_many` stores for them, made over whole columns. Binary rather than text costs the server
    a fifth to a quarter less per entry (no line to split, no time to read; bench/README.md, branch import8)."""
    entries = pd.DataFrame(
        {
            "at": pd.Series(at, index=range(len(ids))),
            "actor": actor,
            "source": source,
            "action": "create",
            "table_name": table,
            "record_id": ids,
            "record_code": pd.arrays.ArrowExtensionArray(codes),
            "changes": pd.arrays.ArrowExtensionArray(changes),
        }
    )
    return bulk.binary_rows(entries, bulk.binary_types(cast(sa.Table, AuditEntry.__table__), CREATED_COLUMNS))


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for each field of ``new`` whose value differs from ``old``'s."""
    changes = {}
    for field, value in new.items():
        before, after = plain(old.get(field)), plain(value)
        if before != after:
            changes[field] = [before, after]
    return changes


def record(
    session: Session,
    *,
    actor: str,
    source: str,
    action: str,
    table: str,
    record_id: int | None = None,
    code: str | None = None,
    changes: Mapping[str, list[Any]] | None = None,
) -> None:
    """Add one entry to the trail in the caller's transaction."""
    session.add(
        AuditEntry(
            at=now(),
            actor=actor,
            source=source,
            action=action,
            table_name=table,
            record_id=record_id,
            record_code=code,
            changes=dict(changes or {}),
        )
    )


def record_many(
    session: Session, entries: pd.DataFrame, *, actor: str, source: str, at: datetime | None = None
) -> None:
    """Add many entries at once (an import): ``entries`` has action, table_name, record_id, record_code, changes;
    stamped ``at`` (default: :func:`now`)."""
    if not len(entries):
        return
    frame = entries[["action", "table_name", "record_id", "record_code"]].copy()
    # Objects, not a text column: pandas would turn the changes already encoded (RawJSON) into plain strings.
    frame["changes"] = pd.Series(list(entries["changes"]), index=frame.index, dtype=object)
    frame.insert(0, "at", at or now())
    frame.insert(1, "actor", actor)
    frame.insert(2, "source", source)
    bulk.insert(session, AuditEntry.__table__, frame)


FILTERS = ("table_name", "record_id", "actor", "source", "action")
COLUMNS = ("id", "at", "actor", "source", "action", "table_name", "record_id", "record_code", "changes")


def history(session: Session, *, limit: int | None = 100, offset: int = 0, **filters: Any) -> tuple[pd.DataFrame, int]:
    """Entries, newest first, where each of ``filters`` (table_name, record_id, actor, source, action)
    equals its value; and how many there are in all."""
    unknown = set(filters) - set(FILTERS)
    if unknown:
        raise TypeError(f"unknown filter {', '.join(sorted(unknown))}; known: {', '.join(FILTERS)}")
    conditions = [getattr(AuditEntry, name) == value for name, value in filters.items() if value is not None]
    total = session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(*conditions))
    query = (
        sa.select(*(getattr(AuditEntry, c) for c in COLUMNS))
        .where(*conditions)
        .order_by(AuditEntry.id.desc())
        .offset(offset)
    )
    rows = session.execute(query.limit(limit) if limit is not None else query).all()
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    frame["at"] = pd.to_datetime(frame["at"], utc=True).dt.tz_convert(LOCAL_TIME)  # SQLite gives naive UTC
    return frame, int(total or 0)


def tables(session: Session) -> list[str]:
    """The tables the trail has entries for."""
    return list(session.scalars(sa.select(AuditEntry.table_name).distinct().order_by(AuditEntry.table_name)))


def flatten(entries: pd.DataFrame) -> pd.DataFrame:
    """One row per changed field (a download a spreadsheet can filter); entries without fields keep one row."""
    rows = []
    for entry in entries.itertuples(index=False):
        base = {
            "at": entry.at.tz_localize(None),
            "actor": entry.actor,
            "source": entry.source,
            "action": entry.action,
            "table": entry.table_name,
            "record_id": entry.record_id,
            "record": entry.record_code,
        }
        fields = entry.changes or {"": [None, None]}
        for field, (old, new) in fields.items():
            rows.append({**base, "field": field, "old": old, "new": new})
    return pd.DataFrame(
        rows, columns=["at", "actor", "source", "action", "table", "record_id", "record", "field", "old", "new"]
    )
