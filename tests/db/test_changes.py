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
