"""Change counters: one row per table in ``data_changes``, moved on by triggers at every write.

Whatever writes (a form, ``fm import`` in another process, raw SQL), the counters move in
the same transaction as the rows, so a reader that sees the new rows sees the new
counters and never the other way round. :func:`version` reads them all in one query; a
figure computed from the tables is still valid while the version it was computed at is
the current one (fm/app/snapshots.py). On PostgreSQL the trigger runs per statement and
counts once per table and transaction; on SQLite (which has no statement triggers) per row.

``risk_scores`` is not watched: its rows are written only with their ``risk_runs`` row,
which is. ``users``, ``api_tokens`` and ``audit_log`` are not: a sign-in changes no figure.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

UNWATCHED = frozenset({"users", "api_tokens", "audit_log", "risk_scores", "data_changes", "alembic_version"})


def watch(connection: Connection, table: str) -> None:
    """Start counting the writes to ``table`` (called by the migration that creates the table)."""
    connection.execute(sa.text("INSERT INTO data_changes (table_name, changes) VALUES (:table, 0)"), {"table": table})
    if connection.dialect.name == "postgresql":
        connection.execute(
            sa.text(
                f"CREATE TRIGGER fm_count_changes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION fm_count_changes()"
            )
        )
        return
    for event in ("INSERT", "UPDATE", "DELETE"):
        connection.execute(
            sa.text(
                f"CREATE TRIGGER fm_count_{event.lower()}_{table} AFTER {event} ON {table} BEGIN "
                f"UPDATE data_changes SET changes = changes + 1 WHERE table_name = '{table}'; END"
            )
        )


def unwatch(connection: Connection, table: str) -> None:
    """Stop counting the writes to ``table`` (the downgrade of :func:`watch`)."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text(f"DROP TRIGGER IF EXISTS fm_count_changes ON {table}"))
    else:
        for event in ("insert", "update", "delete"):
            connection.execute(sa.text(f"DROP TRIGGER IF EXISTS fm_count_{event}_{table}"))
    connection.execute(sa.text("DELETE FROM data_changes WHERE table_name = :table"), {"table": table})


COUNT_FUNCTION = """
CREATE FUNCTION fm_count_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- once per table and transaction: a transaction of many statements (an executemany) would otherwise
    -- stack a row version of the counter per statement, each update slower than the last
    IF current_setting('fm.counted_' || TG_TABLE_NAME, true) IS DISTINCT FROM txid_current()::text THEN
        PERFORM set_config('fm.counted_' || TG_TABLE_NAME, txid_current()::text, true);
        UPDATE data_changes SET changes = changes + 1 WHERE table_name = TG_TABLE_NAME;
    END IF;
    RETURN NULL;
END
$$
"""


def version(
    connection: Connection | sa.orm.Session, tables: tuple[str, ...] | None = None
) -> tuple[tuple[str, int], ...]:
    """Every watched table (or those of ``tables``) with its count of writes: equal versions, equal tables."""
    rows = connection.execute(sa.text("SELECT table_name, changes FROM data_changes ORDER BY table_name"))
    found = tuple((name, int(changes)) for name, changes in rows)
    if tables is None:
        return found
    missing = set(tables) - {name for name, _ in found}
    if missing:  # a table nobody watches could change unseen: never key a figure on it
        raise ValueError(f"tables not watched by fm.db.changes: {sorted(missing)}")
    return tuple(item for item in found if item[0] in tables)
