"""The audit trail: who changed which record, from where, when, and each field's old and new value.

Every write path records here: the web forms and actions (through :mod:`fm.accounts.edits`), the
CLI and imports (one entry per record an import adds or changes). Values are stored as
JSON-safe text: dates in ISO form, yen as integers, geometry as WKT (summarised when long).
"""

from __future__ import annotations

import getpass
import math
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa
from sqlalchemy.orm import Session

from fm.db.types import Geometry
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


SPELLED = (sa.Integer, sa.Float, sa.Boolean, sa.Date, sa.String, Geometry)
"""Column types whose values PostgreSQL spells in JSON as :func:`plain` and ``json.dumps`` do (:func:`created_sql`)."""
MAX_ARGUMENTS = 99
"""PostgreSQL's limit on a function's arguments, less ``concat_ws``'s separator."""
SPELLED_BELOW = 1e15
"""Floats of this size or more PostgreSQL spells otherwise (``1.5e+15``, a rounded integer): the caller keeps such
records to Python's :func:`plain`."""


def created_sql(table: sa.Table, fields: list[str], rows: str, *, coded: bool) -> tuple[list[str], str] | None:
    """PostgreSQL's own audit entries for records of ``table`` just created: what the insert must return
    (``RETURNING``: ``id``, ``code`` if ``coded`` (the entries' ``record_code``), and the ``fields``, a geometry
    also as WKT) and the statement adding one entry per row of ``rows`` (the name of the insert's ``WITH``), in
    the order of their ids, taking the time, actor and source as parameters.

    Each entry's changes are ``{"field":[null,value],…}`` for each field not NULL, the very text that
    :func:`plain` and ``json.dumps(ensure_ascii=False)`` make of the same values, joined as an import joins them
    (no spaces): geometry as PostGIS's WKT to 7 decimals with shapely's spaces (``POINT (1 2)``, ``(1 2, 3 4)``)
    or, past :data:`WKT_LIMIT` characters, its type and vertex count; a float with no fraction as an integer;
    text escaped by ``to_json``. So an import adding 100,000 records has them written by the database from the
    rows it stores, instead of made in Python and sent back. None when a field's type is not one the database
    spells alike (:data:`SPELLED`).
    """
    returning = ["id", *(["code"] if coded else [])]
    pieces = []
    for field in fields:
        column_type = table.c[field].type
        if not isinstance(column_type, SPELLED) or isinstance(column_type, sa.DateTime):
            return None
        returning.append(field)
        if isinstance(column_type, Geometry):  # the WKT made once, by the insert's RETURNING
            returning.append(f"replace(ST_AsText({field}, 7), ',', ', ') AS fm_wkt_{field}")
            wkt = f"fm_wkt_{field}"
            summary = f"substr(ST_GeometryType({field}), 4) || ' (' || ST_NPoints({field}) || ' vertices)'"
            spaced = f"regexp_replace({wkt}, ' ?\\(', ' (')"  # WKT holds no character JSON escapes
            text = f"""'"' || CASE WHEN length({wkt}) <= {WKT_LIMIT} THEN {spaced} ELSE {summary} END || '"'"""
        elif isinstance(column_type, sa.Float):
            text = f"CASE WHEN {field} = trunc({field}) THEN {field}::bigint::text ELSE {field}::text END"
        elif isinstance(column_type, (sa.Integer, sa.Boolean)):  # bool as text: true, false
            text = f"{field}::text"
        else:
            text = f"to_json({field})::text"
        pieces.append(f"""'"{field}":[null,' || {text} || ']'""")  # NULL where the field is: left out
    if len(pieces) > MAX_ARGUMENTS:
        return None
    changes = "'{' || concat_ws(',', " + ", ".join(pieces) + ") || '}'" if pieces else "'{}'"
    code = "code" if coded else "NULL"
    statement = (
        "INSERT INTO audit_log (at, actor, source, action, table_name, record_id, record_code, changes) "
        f"SELECT %s, %s, %s, 'create', '{table.name}', id, {code}, ({changes})::json FROM {rows} ORDER BY id"
    )
    return list(dict.fromkeys(returning)), statement


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
