"""The audit trail: who changed which record, from where, when, and each field's old and new value.

Every write path records here: the web forms and actions (through :mod:`fm.edits`), the
CLI and imports (one entry per record an import adds or changes). Values are stored as
JSON-safe text: dates in ISO form, yen as integers, geometry as WKT (summarised when long).
"""

from __future__ import annotations

import getpass
import math
from collections.abc import Mapping
from datetime import date, datetime, timezone
from typing import Any

import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa
from sqlalchemy.orm import Session

from fm.io import bulk
from fm.model import AuditEntry

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
    return datetime.now(timezone.utc)


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


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for each field of ``new`` whose value differs from ``old``'s."""
    changes = {}
    for field, value in new.items():
        before, after = plain(old.get(field)), plain(value)
        if before != after:
            changes[field] = [before, after]
    return changes


def record(session: Session, *, actor: str, source: str, action: str, table: str, record_id: int | None = None,
           code: str | None = None, changes: Mapping[str, list[Any]] | None = None) -> None:
    """Add one entry to the trail in the caller's transaction."""
    session.add(AuditEntry(at=now(), actor=actor, source=source, action=action, table_name=table,
                           record_id=record_id, record_code=code, changes=dict(changes or {})))


def record_many(session: Session, entries: pd.DataFrame, *, actor: str, source: str) -> None:
    """Add many entries at once (an import): ``entries`` has action, table_name, record_id, record_code, changes."""
    if not len(entries):
        return
    frame = entries[["action", "table_name", "record_id", "record_code"]].copy()
    frame["changes"] = list(entries["changes"])
    frame.insert(0, "at", now())
    frame.insert(1, "actor", actor)
    frame.insert(2, "source", source)
    bulk.insert(session, AuditEntry.__table__, frame)


def history(session: Session, *, table: str | None = None, record_id: int | None = None,
            actor: str | None = None, limit: int = 100, offset: int = 0) -> tuple[pd.DataFrame, int]:
    """Entries, newest first, optionally of one table, one record or one actor; and how many there are."""
    query = sa.select(AuditEntry.id, AuditEntry.at, AuditEntry.actor, AuditEntry.source, AuditEntry.action,
                      AuditEntry.table_name, AuditEntry.record_id, AuditEntry.record_code, AuditEntry.changes)
    conditions = []
    if table is not None:
        conditions.append(AuditEntry.table_name == table)
    if record_id is not None:
        conditions.append(AuditEntry.record_id == record_id)
    if actor is not None:
        conditions.append(AuditEntry.actor == actor)
    total = session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(*conditions))
    rows = session.execute(query.where(*conditions).order_by(AuditEntry.id.desc()).limit(limit).offset(offset))
    frame = pd.DataFrame(rows.all(), columns=["id", "at", "actor", "source", "action", "table_name", "record_id",
                                              "record_code", "changes"])
    return frame, int(total or 0)
