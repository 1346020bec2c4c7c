"""Figures recomputed in the background after a write (fm/app/snapshots.py, ``refresh=True``): a page waits
at most ``Config.figures_wait``, then shows the figures from before the write with their time, and the new
ones once computed. The backend does not matter here (the change counters are tested on both in
tests/db/test_changes.py): SQLite only."""

from __future__ import annotations

import re
import threading

import pytest
import sqlalchemy as sa

from fm.app import home, snapshots
from fm.config import Config
from fm.db import Database

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])


def _write(url: str) -> None:
    """A write to a watched table: the change counters move, every kept figure is out of date."""
    database = Database(url)
    with database.session() as session:
        session.execute(
            sa.text(
                "INSERT INTO indicator_targets (indicator, target_year, target_value, source) "
                "VALUES ('aging_ratio', 2099, 60, 'test')"
            )
        )
    database.dispose()


def _counting(release: threading.Event):
    calls = []

    def compute(session):
        calls.append(session)
        if len(calls) > 1:
            assert release.wait(30)
        return {"n": len(calls)}

    return compute, calls


def test_after_a_write_the_earlier_figures_are_served_with_their_time_then_the_new_ones(db_url):
    database = Database(db_url)
    release = threading.Event()
    compute, calls = _counting(release)
    try:
        with database.session() as session:
            snapshots.start_request(0.0)  # nothing kept yet: waits whatever the patience
            assert snapshots.snapshot(session, "test.refresh", compute, 1, refresh=True) == {"n": 1}
            assert snapshots.served_stale() is None
            assert snapshots.snapshot(session, "test.refresh", compute, 1, refresh=True) == {"n": 1}
            assert len(calls) == 1  # kept
        _write(db_url)
        with database.session() as session:
            snapshots.start_request(0.0)
            assert snapshots.snapshot(session, "test.refresh", compute, 1, refresh=True) == {"n": 1}
            first = snapshots.served_stale()
            assert first is not None and first.tzinfo is not None
            assert calls[1] is not session  # computed in a session of its own
        release.set()
        with database.session() as session:
            snapshots.start_request(None)  # unset (the CLI): waits for the new figures
            assert snapshots.snapshot(session, "test.refresh", compute, 1, refresh=True) == {"n": 2}
            assert snapshots.served_stale() is None
            snapshots.start_request(0.0)
            assert snapshots.snapshot(session, "test.refresh", compute, 1, refresh=True) == {"n": 2}
            assert snapshots.served_stale() is None and len(calls) == 2
    finally:
        release.set()
        database.dispose()


def test_a_failed_background_computation_reaches_the_waiting_caller(db_url):
    database = Database(db_url)

    def broken(session):
        raise RuntimeError("figures broke")

    try:
        with database.session() as session, pytest.raises(RuntimeError, match="figures broke"):
            snapshots.snapshot(session, "test.broken", broken, refresh=True)
    finally:
        database.dispose()


def test_the_landing_page_says_its_figures_are_from_before_the_write(db_url, tmp_path, monkeypatch):
    from webauth import signed_in

    from fm.web import create_app

    app = create_app(Config(database_url=db_url, instance_path=tmp_path, secret_key="test", figures_wait=0.0))
    app.config.update(TESTING=True)
    client = signed_in(app, "finance")
    try:
        first = client.get("/")  # nothing kept: computed while the person waits
        assert first.status_code == 200 and "stale-figures" not in first.get_data(as_text=True)
        release = threading.Event()
        counts = home.asset_stats

        def slow(session):
            assert release.wait(30)
            return counts(session)

        monkeypatch.setattr(home, "asset_stats", slow)
        _write(db_url)
        stale = client.get("/")
        text = stale.get_data(as_text=True)
        assert stale.status_code == 200 and 'class="stale-figures" role="status"' in text
        assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d \S+ 時点のもので、最新の記録の変更を反映していません", text)
        release.set()
        for _ in range(300):  # the next request after the computation ends is fresh
            fresh = client.get("/")
            if "stale-figures" not in fresh.get_data(as_text=True):
                break
            release.wait(0.1)
        assert "stale-figures" not in fresh.get_data(as_text=True)
    finally:
        release.set()
        app.extensions["fm.database"].dispose()


def test_fm_serve_computes_the_first_pages_in_advance_under_the_keys_the_pages_use(db_url, monkeypatch):
    from fm.app import dashboard

    database = Database(db_url)
    try:
        with database.session() as session:
            home.first_pages(session)

        def computed_again(session):
            raise AssertionError("computed again: first_pages kept it under another key")

        monkeypatch.setattr(home, "asset_stats", computed_again)
        monkeypatch.setattr(dashboard.Records, "load", computed_again)
        with database.session() as session:
            for lang in ("ja", "en"):  # as fm.web.home.index and fm.web.dashboard.index ask for them
                assert home.home_page(session, lang=lang)["counts"]["total"] == 0
            assert dashboard.overview(session, fiscal_year=None, convention="fiscal-year")["year"] is None
        from datetime import date

        from fm.app import schedule
        from fm.domain.risk.config import load_config

        monkeypatch.setattr(schedule, "_items", computed_again)
        with database.session() as session:  # as fm.web.schedule asks, by month and by week
            for by in ("month", "week"):
                filters = schedule.Filters(by=by)
                assert schedule.schedule(session, today=date.today(), filters=filters, config=load_config())[
                    "rows"
                ].empty
    finally:
        database.dispose()


def test_the_first_pages_read_the_records_once_and_share_every_years_indicators(demo_url, monkeypatch):
    """The landing page, the dashboard and an indicator's page computed one after another (as ``fm serve`` starts,
    or after a write) read the indicators' records once and compute every year's indicators once between them."""
    from fm.app import dashboard, kpi

    counted: dict[str, int] = {}

    def counting(module, name):
        real = getattr(module, name)

        def wrapper(*args, **kwargs):
            counted[name] = counted.get(name, 0) + 1
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, wrapper)

    counting(kpi, "_read_kpi_data")
    counting(dashboard, "_compute_trends")
    snapshots.start_request(None)  # wait for the figures however long they take (an earlier test may have set less)
    with snapshots._guard:
        snapshots._kept.clear()
        snapshots._latest.clear()
    database = Database(demo_url)
    try:
        with database.session() as session:
            home.first_pages(session)
            detail = dashboard.indicator_detail(session, "aging_ratio", convention="fiscal-year")
            overview = dashboard.overview(session, fiscal_year=None, convention="fiscal-year")
        assert counted == {"_read_kpi_data": 1, "_compute_trends": 1}
        assert detail["trend"] in overview["trends"] and detail["year"] == overview["year"]
        _write(demo_url)  # a write: computed again, once
        with database.session() as session:
            dashboard.indicator_detail(session, "aging_ratio", convention="fiscal-year")
            dashboard.overview(session, fiscal_year=None, convention="fiscal-year")
        assert counted == {"_read_kpi_data": 2, "_compute_trends": 2}
    finally:
        database.dispose()
