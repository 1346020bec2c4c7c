"""Fresh databases for fixtures of any scope: SQLite files, or copies of a PostGIS template.

A fresh database at the current schema is a copy too: of a SQLite file migrated once per test process, or of the
session's PostGIS template database. A database that some ``fm`` commands prepare (the demo loaded, the demo
scored) is built once per test process and backend, then copied for each test that asks for it: a file copy on
SQLite, ``CREATE DATABASE … TEMPLATE`` on PostgreSQL. Each test still gets a database of its own to change.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

import pgserver
import pytest
import sqlalchemy as sa

from fm.db import Database, migrate

DEMO = (("demo", "--no-score"),)
SCORED_DEMO = (*DEMO, ("score", "--as-of", "2026-04-01"))

_prepared: dict[tuple[str, tuple[tuple[str, ...], ...]], str] = {}


def new_database(backend: str, folder: Path, request: pytest.FixtureRequest | None = None) -> str:
    """URL of a fresh database at the current schema on ``backend``: a file in ``folder`` (a copy of one migrated
    once per test process), or a copy of the session's PostGIS template database (which needs the fixture
    ``request``)."""
    if backend == "sqlite":
        target = folder / "fm.sqlite3"
        shutil.copyfile(_sqlite_template(), target)
        return f"sqlite:///{target}"
    assert request is not None, "a PostGIS database needs the fixture request"
    return _copy(backend, request.getfixturevalue("postgis_template"), folder, request)


@functools.cache
def _sqlite_template() -> Path:
    """A SQLite file at the current schema, migrated the first time this process asks: copying it takes a
    millisecond, migrating a new file a quarter of a second (for each of some 900 tests)."""
    folder = Path(tempfile.mkdtemp(prefix="fm-sqlite-template-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / "fm.sqlite3"
    database = Database(f"sqlite:///{path}")
    with database.connect() as connection:
        migrate.upgrade(connection)
    database.dispose()
    return path


def prepared_database(backend: str, folder: Path, request: pytest.FixtureRequest, *commands: tuple[str, ...]) -> str:
    """URL of a fresh database holding what ``fm COMMAND`` for each of ``commands`` leaves, e.g.
    ``("demo", "--no-score")``: built the first time this process asks, copied every time."""
    from clirun import run

    key = (backend, commands)
    if key not in _prepared:
        source = new_database(backend, request.getfixturevalue("tmp_path_factory").mktemp("prepared"), request)
        for args in commands:
            result = run(source, *args)
            assert result.exit_code == 0, result.output
        _prepared[key] = source
    return _copy(backend, sa.make_url(_prepared[key]).database, folder, request)


def _copy(backend: str, source: str, folder: Path, request: pytest.FixtureRequest) -> str:
    """A copy of the database ``source`` (a SQLite file's path, or a PostgreSQL database's name)."""
    if backend == "sqlite":
        target = folder / "fm.sqlite3"
        shutil.copyfile(source, target)
        return f"sqlite:///{target}"
    admin = request.getfixturevalue("postgres_admin_url")
    return pgserver.create_database(admin, template=source)
