"""Single-record writes with optimistic locking and an audit entry: the web's one write path.

A form carries the ``version`` of the record it was opened on; :func:`update` writes only
if the stored version is still that one (``UPDATE … WHERE id = ? AND version = ?``), so
the second of two people saving the same record is refused with :class:`~fm.errors.Conflict`
and the first one's edit stays. Values must already be checked (fm.io.validate).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from fm.accounts import audit
from fm.errors import Conflict, NotFound
from fm.model import AuditEntry, metadata

EDITABLE = ("assets", "land_parcels", "individual_plans", "inspections", "work_orders", "traffic_restrictions")


def _table(name: str) -> sa.Table:
    if name not in EDITABLE:
        raise KeyError(f"{name} is not edited record by record; editable: {', '.join(EDITABLE)}")
    return metadata.tables[name]


def _stored(session: Session, table: sa.Table, record_id: int) -> dict[str, Any]:
    row = session.execute(sa.select(table).where(table.c.id == record_id)).mappings().one_or_none()
    if row is None:
        raise NotFound(f"no record {record_id} in {table.name}")
    return dict(row)


def _conflict(session: Session, table: sa.Table, record_id: int) -> Conflict:
    last = session.execute(
        sa.select(AuditEntry.actor, AuditEntry.at)
        .where(AuditEntry.table_name == table.name, AuditEntry.record_id == record_id)
        .order_by(AuditEntry.id.desc())
        .limit(1)
    ).first()
    when = (
        pd.Timestamp(last.at, tz="UTC") if last and last.at.tzinfo is None else pd.Timestamp(last.at) if last else None
    )
    by = f" by {last.actor} at {when.tz_convert(audit.LOCAL_TIME):%Y-%m-%d %H:%M} (JST)" if last else ""
    return Conflict(
        f"this record was changed{by} after you opened it; your changes were not saved. "
        "Reload it to see the current values, then make your change again."
    )


def insert(session: Session, table: str, values: Mapping[str, Any], *, actor: str, source: str = "web") -> int:
    """Add a record; return its id."""
    target = _table(table)
    record_id = session.execute(sa.insert(target).values(**values).returning(target.c.id)).scalar_one()
    audit.record(
        session,
        actor=actor,
        source=source,
        action="create",
        table=table,
        record_id=record_id,
        code=values.get("code"),
        changes=audit.diff({}, values),
    )
    return record_id


def update(
    session: Session,
    table: str,
    record_id: int,
    version: int,
    values: Mapping[str, Any],
    *,
    actor: str,
    source: str = "web",
) -> int:
    """Change ``values`` of a record opened at ``version``; return its new version (unchanged if nothing differs)."""
    target = _table(table)
    stored = _stored(session, target, record_id)
    if stored["version"] != version:
        raise _conflict(session, target, record_id)
    changes = audit.diff(stored, values)
    if not changes:
        return version
    written = {field: values[field] for field in changes}
    if "updated_at" in target.c:
        written["updated_at"] = sa.func.current_timestamp()
    result = session.execute(
        sa.update(target)
        .where(target.c.id == record_id, target.c.version == version)
        .values(**written, version=version + 1)
    )
    if result.rowcount != 1:  # someone saved between our read and our write
        raise _conflict(session, target, record_id)
    audit.record(
        session,
        actor=actor,
        source=source,
        action="update",
        table=table,
        record_id=record_id,
        code=stored.get("code"),
        changes=changes,
    )
    return version + 1


def delete(session: Session, table: str, record_id: int, version: int, *, actor: str, source: str = "web") -> None:
    """Remove a record opened at ``version``; the audit entry keeps its last values."""
    target = _table(table)
    stored = _stored(session, target, record_id)
    result = session.execute(sa.delete(target).where(target.c.id == record_id, target.c.version == version))
    if result.rowcount != 1:
        raise _conflict(session, target, record_id)
    kept = {k: v for k, v in stored.items() if k not in ("id", "version", "created_at", "updated_at")}
    audit.record(
        session,
        actor=actor,
        source=source,
        action="delete",
        table=table,
        record_id=record_id,
        code=stored.get("code"),
        changes={f: [old, None] for f, (_, old) in audit.diff({}, kept).items()},
    )
