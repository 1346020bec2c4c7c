"""Change counters: one row per table in ``data_changes``, moved on by triggers at every write.

Whatever writes (a form, ``fm import`` in another process, raw SQL), the counters move in
the same transaction as the rows, so a reader that sees the new rows sees the new
counters and never the other way round. :func:`version` reads them all in one query; a
figure computed from the tables is still valid while the version it was computed at is
the current one (fm/app/snapshots.py). On PostgreSQL the trigger runs per statement and
counts once per table and transaction; on SQLite (which has no statement triggers) per row.

Which assets a write touched: for a table logged with :func:`log_assets` (the inspections) triggers also add
the ``asset_id`` of every row written to ``asset_changes`` (old and new on an update, None for a TRUNCATE), in
the same transaction; :func:`assets_changed` reads the assets written since an earlier reading, so that a figure
kept per asset is computed again for those alone. Log ids are taken after the counter's row is locked (PostgreSQL
fires a table's triggers in name order, ``fm_count_changes`` before ``fm_log_assets``) and that lock is held until
commit: a reader never sees a later id committed before an earlier one. The log keeps the latest
:data:`LOG_KEPT` rows.

``risk_scores`` is not watched: its rows are written only with their ``risk_runs`` row,
which is. ``users``, ``api_tokens`` and ``audit_log`` are not: a sign-in changes no figure; nor ``kept_figures``, the
figures computed at these counters (fm/app/stored_figures.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

UNWATCHED = frozenset(
    {
        "users",
        "api_tokens",
        "audit_log",
        "risk_scores",
        "data_changes",
        "asset_changes",
        "kept_figures",
        "alembic_version",
    }
)
LOG_KEPT = 50_000
"""``asset_changes`` rows kept: older ones are pruned (a reader further behind reads everything again)."""


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


LOG_FUNCTION = f"""
CREATE FUNCTION fm_log_assets() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        INSERT INTO asset_changes (table_name, asset_id) VALUES (TG_TABLE_NAME, NULL);
    ELSIF TG_OP = 'INSERT' THEN
        INSERT INTO asset_changes (table_name, asset_id) SELECT DISTINCT TG_TABLE_NAME, asset_id FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO asset_changes (table_name, asset_id) SELECT DISTINCT TG_TABLE_NAME, asset_id FROM old_rows;
    ELSE
        INSERT INTO asset_changes (table_name, asset_id)
        SELECT TG_TABLE_NAME, asset_id FROM (SELECT asset_id FROM old_rows UNION SELECT asset_id FROM new_rows) AS w;
    END IF;
    DELETE FROM asset_changes WHERE id <= (SELECT max(id) FROM asset_changes) - {LOG_KEPT};
    RETURN NULL;
END
$$
"""


def log_assets(connection: Connection, table: str) -> None:
    """Log the ``asset_id`` of every row written to ``table`` in ``asset_changes`` (called by a migration; the
    table must be watched, and on PostgreSQL :data:`LOG_FUNCTION` created, once for every table)."""
    if connection.dialect.name == "postgresql":
        for event, rows in (("INSERT", "NEW TABLE AS new_rows"), ("DELETE", "OLD TABLE AS old_rows")):
            connection.execute(
                sa.text(
                    f"CREATE TRIGGER fm_log_assets_{event.lower()} AFTER {event} ON {table} REFERENCING {rows} "
                    "FOR EACH STATEMENT EXECUTE FUNCTION fm_log_assets()"
                )
            )
        connection.execute(
            sa.text(
                f"CREATE TRIGGER fm_log_assets_update AFTER UPDATE ON {table} "
                "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
                "FOR EACH STATEMENT EXECUTE FUNCTION fm_log_assets()"
            )
        )
        connection.execute(
            sa.text(
                f"CREATE TRIGGER fm_log_assets_truncate AFTER TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION fm_log_assets()"
            )
        )
        return
    log = f"INSERT INTO asset_changes (table_name, asset_id) VALUES ('{table}', "
    for event, body in (
        ("INSERT", f"{log}NEW.asset_id);"),
        ("DELETE", f"{log}OLD.asset_id);"),
        ("UPDATE", f"{log}OLD.asset_id); {log}NEW.asset_id);"),
    ):
        connection.execute(
            sa.text(f"CREATE TRIGGER fm_log_{event.lower()}_{table} AFTER {event} ON {table} BEGIN {body} END")
        )


def unlog_assets(connection: Connection, table: str) -> None:
    """Stop logging the assets written to ``table`` (the downgrade of :func:`log_assets`)."""
    for event in ("insert", "update", "delete", "truncate"):
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text(f"DROP TRIGGER IF EXISTS fm_log_assets_{event} ON {table}"))
        else:
            connection.execute(sa.text(f"DROP TRIGGER IF EXISTS fm_log_{event}_{table}"))


PRUNE_SQLITE = (
    "CREATE TRIGGER fm_prune_asset_changes AFTER INSERT ON asset_changes WHEN NEW.id % 1000 = 0 BEGIN "
    f"DELETE FROM asset_changes WHERE id <= NEW.id - {LOG_KEPT}; END"
)
"""SQLite's pruning of the log (once every 1,000 rows: PostgreSQL prunes once per statement in its function)."""


def assets_changed(
    connection: Connection | sa.orm.Session, table: str, since: int | None
) -> tuple[int, frozenset[int] | None]:
    """The latest log id and the assets whose rows of ``table`` were written after log id ``since`` (an earlier
    call's latest); None for the assets when that cannot be known: no earlier reading, a log pruned past it or
    made anew (a downgrade and upgrade), or a TRUNCATE. Read the log before the rows, so that a write in between is
    found again next time."""
    latest, first = connection.execute(sa.text("SELECT max(id), min(id) FROM asset_changes")).one()
    latest = int(latest or 0)
    if since is None or latest < since or (latest > since and (first is None or int(first) > since + 1)):
        return latest, None
    if latest == since:
        return latest, frozenset()
    written = connection.execute(
        sa.text(
            "SELECT DISTINCT asset_id FROM asset_changes WHERE table_name = :table AND id > :since AND id <= :latest"
        ),
        {"table": table, "since": since, "latest": latest},
    ).scalars()
    assets = set(written)
    if None in assets:
        return latest, None
    return latest, frozenset(int(asset) for asset in assets)
