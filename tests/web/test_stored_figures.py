"""Figures refreshed in the background are kept in the database too (fm/app/stored_figures.py): read after a
restart and by other workers, served as earlier figures after a write, and never unpickled unless signed with the
server's key, of today and of this fm's code. On both backends: the rows and their types go through each."""

from __future__ import annotations

import logging
import re
import threading
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from fm.app import snapshots, stored_figures
from fm.config import Config
from fm.db import Database


def _restart() -> None:
    """What a new process starts with: nothing kept in memory."""
    with snapshots._guard:
        snapshots._kept.clear()
        snapshots._latest.clear()


def _write(database: Database) -> None:
    """A write to a watched table: the change counters move."""
    with database.session() as session:
        session.execute(
            sa.text(
                "INSERT INTO indicator_targets (indicator, target_year, target_value, source) "
                "VALUES ('aging_ratio', 2099, 60, 'test')"
            )
        )


def _never(session):
    raise AssertionError("computed again")


@pytest.fixture
def kept(db_url):
    database = Database(db_url)
    stored_figures.keep_in(database.engine.url, "secret")
    snapshots.start_request(None)
    _restart()
    stored_figures._code.cache_clear()
    yield database
    stored_figures._code.cache_clear()
    stored_figures._keys.pop(stored_figures.database(database.engine.url), None)
    database.dispose()


def _figures(database: Database, compute=_never, *arguments):
    with database.session() as session:
        result = snapshots.snapshot(session, "test.kept", compute, *arguments, refresh=True)
        return result, snapshots.served_stale()


def _rows(database: Database) -> list:
    with database.session() as session:
        query = sa.text("SELECT use_case, day, code FROM kept_figures")
        return session.execute(query.columns(use_case=sa.String, day=sa.Date, code=sa.String)).all()


def test_figures_are_read_from_the_database_after_a_restart(kept):
    figures = {"n": 1, "day": date(2026, 4, 1), "rows": [(1, "橋")]}
    assert _figures(kept, lambda session: figures) == (figures, None)
    assert [(row.use_case, row.day) for row in _rows(kept)] == [("test.kept", date.today())]
    _restart()
    assert _figures(kept) == (figures, None)  # not computed: read and unpickled
    assert _figures(kept) == (figures, None)  # and kept in memory again
    assert _figures(kept, lambda session: {"other": 1}, "other arguments") == ({"other": 1}, None)
    assert len(_rows(kept)) == 2


def test_after_a_write_the_kept_figures_are_served_as_earlier_ones_then_the_new_ones(kept):
    _figures(kept, lambda session: {"n": 1})
    computed_at = snapshots._latest[next(iter(snapshots._latest))][1]
    _write(kept)
    _restart()
    release = threading.Event()

    def slow(session):
        assert release.wait(30)
        return {"n": 2}

    snapshots.start_request(0.0)
    try:
        result, stale = _figures(kept, slow)
        assert result == {"n": 1} and stale is not None
        assert abs((stale - computed_at).total_seconds()) < 1e-3 and stale.tzinfo is not None
    finally:
        release.set()
    snapshots.start_request(None)
    assert _figures(kept, slow) == ({"n": 2}, None)
    _restart()
    assert _figures(kept) == ({"n": 2}, None)  # the new figures replaced the row


def test_a_row_signed_with_another_key_is_never_unpickled(kept, caplog):
    _figures(kept, lambda session: {"n": 1})
    with kept.session() as session:  # what someone who can write to the database but has no key could put there
        session.execute(sa.text("UPDATE kept_figures SET figures = :junk"), {"junk": b"\x80\x04not a pickle"})
    _restart()
    with caplog.at_level(logging.WARNING, logger="fm.app.stored_figures"):
        assert _figures(kept, lambda session: {"n": 2}) == ({"n": 2}, None)
    assert "not signed with this server's key" in caplog.text
    stored_figures.keep_in(kept.engine.url, "another secret")  # a server with another key computes its own
    _restart()
    assert _figures(kept, lambda session: {"n": 3}) == ({"n": 3}, None)


@pytest.mark.parametrize(
    "change",
    [
        "UPDATE kept_figures SET code = 'another fm'",
        f"UPDATE kept_figures SET day = '{date.today() - timedelta(days=1)}'",
    ],
    ids=["another code", "another day"],
)
def test_figures_of_another_fm_or_day_are_computed_again(kept, change):
    _figures(kept, lambda session: {"n": 1})
    with kept.session() as session:
        session.execute(sa.text(change))
    _restart()
    snapshots.start_request(0.0)  # not even served as earlier figures: waits for the new ones
    assert _figures(kept, lambda session: {"n": 2}) == ({"n": 2}, None)
    [row] = _rows(kept)  # the row replaced
    assert row.day == date.today() and row.code == stored_figures._code()


def test_figures_computed_under_other_settings_are_computed_again(kept, tmp_path, monkeypatch):
    """A risk configuration changed and the server restarted: the inspection cycles the indicators count by may
    differ, so the kept figures are not used."""
    _figures(kept, lambda session: {"n": 1})
    cycles = tmp_path / "risk.toml"
    cycles.write_text("[inspection_cycle_years]\nbridge = 4\n", encoding="utf-8")
    monkeypatch.setenv("FM_RISK_CONFIG", str(cycles))
    stored_figures._code.cache_clear()  # what a process started now reads
    _restart()
    assert _figures(kept, lambda session: {"n": 2}) == ({"n": 2}, None)
    _restart()
    assert _figures(kept) == ({"n": 2}, None)  # and kept again under them


def test_earlier_days_are_removed_when_figures_are_kept(kept):
    _figures(kept, lambda session: {"n": 1}, "a")
    with kept.session() as session:
        session.execute(sa.text("UPDATE kept_figures SET day = :day"), {"day": date.today() - timedelta(days=2)})
    _figures(kept, lambda session: {"n": 1}, "b")
    assert len(_rows(kept)) == 1


def test_a_database_without_a_key_keeps_nothing_in_it(db_url):
    database = Database(db_url)
    _restart()
    try:
        assert _figures(database, lambda session: {"n": 1}) == ({"n": 1}, None)
        assert _rows(database) == []
    finally:
        database.dispose()


def test_keeping_figures_changes_no_counter(kept):
    with kept.session() as session:
        before = session.execute(sa.text("SELECT table_name, changes FROM data_changes ORDER BY 1")).all()
    _figures(kept, lambda session: {"n": 1})
    with kept.session() as session:
        assert session.execute(sa.text("SELECT table_name, changes FROM data_changes ORDER BY 1")).all() == before


def test_the_landing_page_after_a_restart_reads_its_figures(demo_url, tmp_path, monkeypatch):
    """A new server process (a new app, nothing in memory) shows the landing page without computing it."""
    from webauth import signed_in

    from fm.app import home
    from fm.web import create_app

    config = Config(database_url=demo_url, instance_path=tmp_path, secret_key="test", figures_wait=0.0)

    def landing_page() -> str:
        app = create_app(config)
        app.config.update(TESTING=True)
        page = signed_in(app, "finance").get("/")
        assert page.status_code == 200
        app.extensions["fm.database"].dispose()
        return re.sub(r'name="csrf[^>]*>', "", page.get_data(as_text=True))

    first = landing_page()
    _restart()
    monkeypatch.setattr(home, "asset_stats", _never)
    again = landing_page()
    assert "stale-figures" not in again and again == first


def test_figures_are_served_when_they_cannot_be_kept_in_the_database(kept, monkeypatch, caplog):
    def locked(*args, **kwargs):
        raise sa.exc.OperationalError("INSERT INTO kept_figures", {}, Exception("database is locked"))

    monkeypatch.setattr(stored_figures, "write", locked)
    with caplog.at_level(logging.WARNING, logger="fm.app.snapshots"):
        assert _figures(kept, lambda session: {"n": 1}) == ({"n": 1}, None)
    assert "keeping test.kept in the database failed" in caplog.text and _rows(kept) == []
