"""`fm db backup` and `fm db restore`: a round trip of the demo on both backends gives the same figures and
exports; a damaged, truncated, foreign or newer backup and a database already in use are refused and change
nothing."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from pathlib import Path

import pgserver
import pytest
import sqlalchemy as sa
from clirun import run
from databases import new_database

from fm.db import Database, migrate


def _target(backend: str, folder: Path, request) -> str:
    """An empty database on ``backend`` (PostGIS installed on PostgreSQL)."""
    if backend == "sqlite":
        return f"sqlite:///{folder / 'restored.sqlite3'}"
    return pgserver.create_database(request.getfixturevalue("postgres_admin_url"))


def _figures(url: str, folder: Path) -> dict[str, object]:
    export = folder / f"assets-{abs(hash(url))}.csv"
    assert run(url, "export", "assets", str(export)).exit_code == 0
    return {
        "stats": json.loads(run(url, "stats", "--format", "json").output),
        "kpi": json.loads(run(url, "kpi", "--format", "json").output),
        "export": export.read_bytes(),
    }


def test_a_restored_demo_gives_the_same_stats_kpi_and_exports(demo_url, backend, tmp_path, request):
    file = tmp_path / "fm-backup.zip"
    made = run(demo_url, "db", "backup", str(file))
    assert made.exit_code == 0 and "sha256" in made.output, made.output
    with zipfile.ZipFile(file) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["backend"] == ("sqlite" if backend == "sqlite" else "postgresql")
    assert manifest["schema_revision"] == migrate.head_revision() and len(manifest["sha256"]) == 64
    original = _figures(demo_url, tmp_path)
    target = _target(backend, tmp_path, request)
    restored = run(target, "db", "restore", str(file))
    assert restored.exit_code == 0, restored.output
    assert _figures(target, tmp_path) == original
    # the same again over a database holding data: refused without --replace, done with it
    again = run(target, "db", "restore", str(file))
    assert again.exit_code == 1 and "already holds an fm database" in again.output and "--replace" in again.output
    assert run(target, "db", "restore", str(file), "--replace").exit_code == 0
    assert json.loads(run(target, "stats", "--format", "json").output) == original["stats"]


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple[str, Path]:
    """A small SQLite database with one account, and its backup."""
    folder = tmp_path_factory.mktemp("backup")
    url = new_database("sqlite", folder)
    assert run(url, "users", "create", "hanako", "--role", "viewer", "--generate").exit_code == 0
    file = folder / "small.zip"
    assert run(url, "db", "backup", str(file)).exit_code == 0
    return url, file


def _users(url: str) -> list[str]:
    database = Database(url)
    with database.connect() as connection:
        names = connection.execute(sa.text("SELECT username FROM users ORDER BY username")).scalars().all()
    database.dispose()
    return names


def _rewrite(source: Path, target: Path, *, manifest: dict | None = None, data: bytes | None = None) -> Path:
    with zipfile.ZipFile(source) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    if manifest is not None:
        parts["manifest.json"] = json.dumps({**json.loads(parts["manifest.json"]), **manifest}).encode()
    if data is not None:
        parts["database.sqlite3"] = data
    with zipfile.ZipFile(target, "w") as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return target


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda s, t: (t.write_bytes(s.read_bytes()[: len(s.read_bytes()) // 2]), t)[1], "not an fm backup"),
        (lambda s, t: (t.write_text("hello\n"), t)[1], "not an fm backup (not a zip archive"),
        (lambda s, t: _rewrite(s, t, data=b"x" * 100), "is damaged: the checksum"),
        (lambda s, t: _rewrite(s, t, manifest={"schema_revision": "9999"}), "is from a newer fm"),
        (lambda s, t: _rewrite(s, t, manifest={"backend": "postgresql"}), "is a backup of a postgresql database"),
        (lambda s, t: _rewrite(s, t, manifest={"format": "zip"}), "is not an fm backup: its manifest.json"),
    ],
    ids=["truncated", "text", "checksum", "newer", "backend", "foreign"],
)
def test_a_bad_backup_is_refused_and_changes_nothing(small, tmp_path, make, message):
    url, file = small
    target = new_database("sqlite", tmp_path)
    bad = make(file, tmp_path / "bad.zip")
    result = run(target, "db", "restore", str(bad), "--replace")
    assert result.exit_code == 1 and message in result.output, result.output
    assert _users(target) == []


def test_a_restore_into_a_database_in_use_waits_then_says_so(small, tmp_path, monkeypatch):
    from fm.db import backup

    monkeypatch.setattr(backup, "LOCK_WAIT", 0.5)
    url, file = small
    target = new_database("sqlite", tmp_path)
    holder = sqlite3.connect(sa.make_url(target).database)
    holder.execute("BEGIN EXCLUSIVE")  # another process writing
    try:
        result = run(target, "db", "restore", str(file), "--replace")
    finally:
        holder.rollback()
        holder.close()
    assert result.exit_code == 1 and "Stop it and try again; nothing was changed" in result.output, result.output
    assert _users(target) == []
    assert run(target, "db", "restore", str(file), "--replace").exit_code == 0
    assert _users(target) == ["hanako"]


@pytest.mark.postgis
def test_a_postgis_restore_waits_for_other_clients_then_says_so(tmp_path, request, monkeypatch):
    from fm.db import backup

    monkeypatch.setattr(backup, "LOCK_WAIT", 0.5)
    url = new_database("postgis", tmp_path, request)
    assert run(url, "users", "create", "hanako", "--role", "viewer", "--generate").exit_code == 0
    file = tmp_path / "pg.zip"
    assert run(url, "db", "backup", str(file)).exit_code == 0
    target = _target("postgis", tmp_path, request)
    holder = sa.create_engine(target)
    with holder.connect() as connection:  # someone else's session, e.g. fm serve
        connection.execute(sa.text("SELECT 1"))
        result = run(target, "db", "restore", str(file))
    holder.dispose()
    assert result.exit_code == 1 and "is in use (1 other connection(s)" in result.output, result.output
    assert result.output.rstrip().endswith("nothing was changed.")
    assert run(target, "db", "restore", str(file)).exit_code == 0
    assert _users(target) == ["hanako"]


def test_an_old_backup_is_migrated_up_on_restore(tmp_path):
    old = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    database = Database(old)
    with database.connect() as connection:
        migrate.upgrade(connection, "0007")
    database.dispose()
    file = tmp_path / "old.zip"
    assert run(old, "db", "backup", str(file)).exit_code == 0
    target = f"sqlite:///{tmp_path / 'new.sqlite3'}"
    result = run(target, "db", "restore", str(file))
    assert result.exit_code == 0 and f"migrated 0007 -> {migrate.head_revision()}" in result.output, result.output
