"""Faults with the real process: an fm command killed (SIGKILL) inside its transaction, a web edit while an
import holds SQLite's write lock, PostgreSQL stopped and started while the app serves.

Each killed command runs with ``FM_TEST_PAUSE_BEFORE_COMMIT`` (fm.db.PAUSE): it does all its work, says
"paused before commit" on stderr and waits; the test kills it at exactly that point, then checks the
database's integrity, that none of the interrupted work is there, and that fm starts and serves.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pgserver
import pytest
import sqlalchemy as sa
from clirun import run
from databases import new_database
from sample import add_sample
from webauth import signed_in

from fm.config import Config
from fm.db import PAUSE, Database, migrate
from fm.db.backup import check_integrity

FM = str(Path(sys.executable).with_name("fm"))


def _paused(url: str, *args: str) -> subprocess.Popen:
    """``fm ARGS`` started against ``url``, returned once it waits just before its first commit."""
    env = {**os.environ, "FM_DATABASE_URL": url, PAUSE: "60"}
    process = subprocess.Popen([FM, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in process.stderr:  # type: ignore[union-attr]
        if "paused before commit" in line:
            return process
    process.wait()
    pytest.fail(f"fm {' '.join(args)} ended ({process.returncode}) before it paused: {process.stdout.read()}")  # type: ignore[union-attr]


def _kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL


def _count(url: str, sql: str) -> object:
    database = Database(url)
    with database.connect() as connection:
        value = connection.execute(sa.text(sql)).scalar()
    database.dispose()
    return value


def _serves(url: str, folder: Path) -> None:
    """fm starts on the database and answers a signed-in request."""
    from fm.web import create_app

    database = Database(url)
    check_integrity(database)
    database.check()
    database.dispose()
    app = create_app(Config(database_url=url, instance_path=folder, secret_key="t"))
    assert signed_in(app, "viewer").get("/api/stats").status_code == 200
    app.extensions["fm.database"].dispose()


@pytest.fixture
def sample_url(tmp_path) -> str:
    url = new_database("sqlite", tmp_path)
    database = Database(url)
    with database.session() as session:
        add_sample(session)
    database.dispose()
    return url


def _renamed(url: str, folder: Path) -> Path:
    """The register exported, with every bridge renamed: a file whose import changes records."""
    exported = folder / "assets.csv"
    assert run(url, "export", "assets", str(exported)).exit_code == 0  # in-process: only the killed one is a process
    lines = exported.read_text(encoding="utf-8-sig").splitlines()
    changed = folder / "changed.csv"
    changed.write_text("\n".join([lines[0], *(line.replace("橋", "新橋") for line in lines[1:])]) + "\n")
    return changed


def test_fm_import_killed_before_commit_leaves_nothing(sample_url, tmp_path):
    changed = _renamed(sample_url, tmp_path)
    before = _count(sample_url, "SELECT group_concat(name || version) FROM assets")
    _kill(_paused(sample_url, "import", "assets", str(changed)))
    assert _count(sample_url, "SELECT group_concat(name || version) FROM assets") == before
    assert _count(sample_url, "SELECT count(*) FROM audit_log WHERE source = 'import'") == 0
    _serves(sample_url, tmp_path)


def test_fm_score_killed_before_commit_leaves_no_run(sample_url, tmp_path):
    _kill(_paused(sample_url, "score"))
    assert _count(sample_url, "SELECT count(*) FROM risk_runs") == 0
    assert _count(sample_url, "SELECT count(*) FROM risk_scores") == 0
    _serves(sample_url, tmp_path)


def test_fm_demo_killed_before_commit_leaves_an_empty_register(tmp_path):
    url = new_database("sqlite", tmp_path)
    _kill(_paused(url, "demo", "--no-score"))
    assert _count(url, "SELECT count(*) FROM assets") == 0 and _count(url, "SELECT count(*) FROM users") == 0
    _serves(url, tmp_path)


def test_a_migration_killed_before_commit_leaves_the_old_schema(tmp_path):
    url = f"sqlite:///{tmp_path / 'fm.sqlite3'}"
    database = Database(url)
    with database.connect() as connection:
        migrate.upgrade(connection, "0007")
    database.dispose()
    _kill(_paused(url, "db", "upgrade"))
    assert _count(url, "SELECT version_num FROM alembic_version") == "0007"
    check_integrity(Database(url))
    assert run(url, "db", "upgrade").exit_code == 0
    _serves(url, tmp_path)


def test_a_web_edit_while_an_import_writes_is_told_the_database_is_busy(sample_url, tmp_path):
    from fm.web import create_app

    app = create_app(Config(database_url=sample_url, instance_path=tmp_path, secret_key="t", busy_timeout=0.5))
    finance = signed_in(app, "finance")
    target = {"indicator": "aging_ratio", "fiscal_year": "2030", "value": "55"}
    importing = _paused(sample_url, "import", "assets", str(_renamed(sample_url, tmp_path)))  # holds the write lock
    try:
        busy = finance.post("/finance/targets?lang=en", data=target)
        assert busy.status_code == 503 and "The database is busy" in busy.get_data(as_text=True)
        api = finance.get("/api/stats")
        assert api.status_code == 200  # reading goes on (WAL) while the import writes
    finally:
        _kill(importing)
    assert finance.post("/finance/targets", data=target).status_code == 302  # the same edit again: saved
    assert _count(sample_url, "SELECT target_value FROM indicator_targets") == 55
    app.extensions["fm.database"].dispose()


@pytest.mark.postgis
def test_postgresql_stopped_and_started_while_the_app_serves(tmp_path):
    from fm.web import create_app

    try:
        server = pgserver.start()  # its own server: stopping it must not touch the other tests' databases
    except pgserver.ServerUnavailable as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(str(exc))
        pytest.skip(str(exc))
    try:
        url = pgserver.create_database(server.url())
        database = Database(url)
        with database.connect() as connection:
            migrate.upgrade(connection)
        database.dispose()
        app = create_app(Config(database_url=url, instance_path=tmp_path, secret_key="t"))
        viewer = signed_in(app, "viewer")
        assert viewer.get("/api/stats").status_code == 200
        server.halt()
        down = viewer.get("/api/stats")
        assert down.status_code == 503 and "cannot connect to the database" in down.get_json()["error"]["message"]
        page = viewer.get("/?lang=en")
        assert page.status_code == 503 and "cannot connect to the database" in page.get_data(as_text=True)
        assert "Traceback" not in page.get_data(as_text=True)
        server.resume()
        assert viewer.get("/api/stats").status_code == 200  # the first request after: no restart of fm
        app.extensions["fm.database"].dispose()
    finally:
        server.stop()


def test_a_plan_killed_while_its_work_orders_are_saved_leaves_none(sample_url, tmp_path):
    assert run(sample_url, "score").exit_code == 0
    before = _count(sample_url, "SELECT count(*) FROM work_orders")
    _kill(_paused(sample_url, "plan", "--budget", "500000000", "--years", "2", "--create-work-orders"))
    assert _count(sample_url, "SELECT count(*) FROM work_orders") == before
    assert _count(sample_url, "SELECT count(*) FROM audit_log WHERE table_name = 'work_orders'") == 0
    _serves(sample_url, tmp_path)
