"""Small reference tables imported by key (categories, unit costs): add or update each row, audit each change.

One loop for every such table so that they count, audit and honour a dry run alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy.orm import Session

from fm.accounts import audit


def apply_by_key(
    session: Session,
    rows: Iterable[tuple[str, dict[str, Any]]],
    stored: Mapping[str, Any],
    *,
    create: Callable[[str, dict[str, Any]], Any],
    table: str,
    dry_run: bool,
    actor: str | None,
) -> tuple[int, int]:
    """Apply ``(key, values)`` rows over the ``stored`` records by key; (added, updated), unchanged rows left out.

    A new key is made by ``create(key, values)``; a stored one gets the values set. Nothing is written on a dry run.
    """
    added = updated = 0
    for key, values in rows:
        old = stored.get(key)
        before = {f: getattr(old, f) for f in values} if old is not None else {}
        changes = audit.diff(before, values)
        if not changes:
            continue
        added, updated = (added + 1, updated) if old is None else (added, updated + 1)
        if dry_run:
            continue
        if old is None:
            session.add(create(key, values))
        else:
            for field, value in values.items():
                setattr(old, field, value)
        audit.record(
            session,
            actor=actor or audit.cli_actor(),
            source="import",
            action="create" if old is None else "update",
            table=table,
            code=key,
            changes=changes,
        )
    session.flush()
    return added, updated
