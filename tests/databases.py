"""Fresh databases for fixtures of any scope: SQLite files, or copies of the PostGIS template."""

from __future__ import annotations

from pathlib import Path

import pgserver
import pytest

from fm.db import Database, migrate


def new_database(backend: str, folder: Path, request: pytest.FixtureRequest | None = None) -> str:
    """URL of a fresh database at the current schema on ``backend``: a file in ``folder``, or a copy
    of the session's PostGIS template database (which needs the fixture ``request``)."""
    if backend == "sqlite":
        url = f"sqlite:///{folder / 'fm.sqlite3'}"
        database = Database(url)
        with database.connect() as connection:
            migrate.upgrade(connection)
        database.dispose()
        return url
    assert request is not None, "a PostGIS database needs the fixture request"
    admin = request.getfixturevalue("postgres_admin_url")
    return pgserver.create_database(admin, template=request.getfixturevalue("postgis_template"))
