"""The change counters move with every write, whoever writes, and only when it commits."""

from __future__ import annotations

import sqlalchemy as sa

from fm.db import Database
from fm.db.changes import UNWATCHED, version
from fm.model import metadata


def test_every_table_a_figure_reads_is_watched(db_url):
    database = Database(db_url)
    with database.connect() as connection:
        watched = {name for name, _ in version(connection)}
    database.dispose()
    assert watched == set(metadata.tables) - UNWATCHED


def test_a_write_moves_its_table_counter_once_committed(db_url):
    database = Database(db_url)
    with database.connect() as connection:
        before = dict(version(connection))
    with database.connect() as writer, database.connect() as reader:
        with writer.begin():
            writer.execute(
                sa.text(
                    "INSERT INTO indicator_targets (indicator, target_year, target_value) "
                    "VALUES ('plan_coverage', 2031, 100), ('aging_ratio', 2031, 60)"
                )
            )
            writer.execute(sa.text("UPDATE indicator_targets SET target_value = 99 WHERE target_year = 2031"))
            if reader.dialect.name == "postgresql":  # SQLite's single writer blocks this reader; PostgreSQL's does not
                assert dict(version(reader)) == before
                reader.rollback()
        after = dict(version(reader))
    database.dispose()
    moved = {name for name in after if after[name] != before[name]}
    assert moved == {"indicator_targets"} and after["indicator_targets"] > before["indicator_targets"]


def test_the_counters_of_some_tables_and_never_of_an_unwatched_one(db_url):
    """A figure kept on a few tables' counters (fm.app.snapshots.snapshot(tables=...)) gets those alone; a table
    no trigger counts (the audit trail) would let it go stale unseen, so asking for it is an error."""
    import pytest

    database = Database(db_url)
    with database.connect() as connection:
        every = dict(version(connection))
        some = version(connection, ("inspections", "assets"))
        assert [name for name, _ in some] == ["assets", "inspections"]
        assert dict(some) == {name: every[name] for name in ("assets", "inspections")}
        with pytest.raises(ValueError, match="audit_log"):
            version(connection, ("assets", "audit_log"))
    database.dispose()


def test_the_assets_written_are_logged_and_an_unknowable_change_says_so(db_url):
    """``asset_changes``: every insert, update (old and new asset) and delete of an inspection names its asset; a
    reading before the log, a log pruned past the reading (fm.db.changes.LOG_KEPT rows kept) or, on PostgreSQL,
    a TRUNCATE give None: read everything again."""
    from fm.db.changes import LOG_KEPT, assets_changed

    database = Database(db_url)
    with database.connect() as connection:
        connection.execute(sa.text("INSERT INTO assets (id, code, name, category) VALUES (1, 'A', 'A', 'bridge')"))
        connection.execute(sa.text("INSERT INTO assets (id, code, name, category) VALUES (2, 'B', 'B', 'bridge')"))
        connection.commit()
        start, unknown = assets_changed(connection, "inspections", None)
        assert unknown is None and assets_changed(connection, "inspections", start) == (start, frozenset())
        connection.execute(
            sa.text("INSERT INTO inspections (id, asset_id, inspected_on, soundness) VALUES (1, 1, '2026-01-05', 2)")
        )
        connection.commit()
        first, written = assets_changed(connection, "inspections", start)
        assert written == {1} and first > start
        connection.execute(sa.text("UPDATE inspections SET asset_id = 2 WHERE id = 1"))
        connection.execute(sa.text("DELETE FROM inspections WHERE id = 1"))
        connection.execute(sa.text("UPDATE assets SET name = 'A2' WHERE id = 1"))  # not logged: not an inspection
        connection.commit()
        second, written = assets_changed(connection, "inspections", first)
        assert written == {1, 2} and assets_changed(connection, "inspections", start)[1] == {1, 2}
        # LOG_KEPT more writes (made directly in the log, as the triggers would): an older reading is pruned away
        connection.execute(
            sa.text(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count) "
                "INSERT INTO asset_changes (table_name, asset_id) SELECT 'inspections', 2 FROM n"
            ),
            {"count": LOG_KEPT + 1000},  # SQLite prunes once every 1,000 rows
        )
        connection.execute(
            sa.text("INSERT INTO inspections (id, asset_id, inspected_on, soundness) VALUES (2, 1, '2026-01-06', 2)")
        )
        connection.commit()
        latest, written = assets_changed(connection, "inspections", second)
        assert written is None and latest > second + LOG_KEPT + 1000
        assert assets_changed(connection, "inspections", latest - 1) == (latest, frozenset({1}))
        count = connection.execute(sa.text("SELECT count(*) FROM asset_changes")).scalar_one()
        assert count <= LOG_KEPT + 1000
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("TRUNCATE inspections, traffic_restrictions"))
            connection.commit()
            assert assets_changed(connection, "inspections", latest)[1] is None
    database.dispose()
