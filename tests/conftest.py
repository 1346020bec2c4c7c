"""Fixtures: one test body runs on SQLite and on a real PostGIS that the test run starts itself.

``db_url`` is parametrized over both backends and gives a fresh database at the
current schema; ``empty_db_url`` gives one with no fm schema. PostGIS comes from
a throwaway server (tests/pgserver.py), or from ``FM_TEST_POSTGRES_URL`` (a
superuser URL of a server you run). When no PostGIS can be had, its tests skip,
except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pgserver
import pytest
import sqlalchemy as sa
from databases import DEMO, new_database, prepared_database

from fm.config import Config
from fm.db import Database, migrate

BACKENDS = ("sqlite", "postgis")

# The tests that run `fm` as a process run it in that process: no command server started by them outlives the run
# (tests/cli/test_command_server.py starts its own, in a folder of its own, and stops it).
os.environ.setdefault("FM_COMMAND_SERVER", "0")


def _need_postgis(reason: str) -> None:
    """No PostGIS here: under CI=true that is a failure; elsewhere the PostGIS tests are skipped."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostGIS is required under CI=true: {reason}", pytrace=False)
    else:
        pytest.skip(f"no PostGIS (set CI=true to make this an error): {reason}")


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    """A superuser URL on a PostgreSQL server with PostGIS available."""
    if url := os.environ.get("FM_TEST_POSTGRES_URL"):
        yield url
        return
    try:
        server = pgserver.start()
    except pgserver.ServerUnavailable as exc:
        _need_postgis(str(exc))
    yield server.url()
    server.stop()


@pytest.fixture(scope="session")
def postgis_template(postgres_admin_url: str) -> str:
    """Name of a database at the current schema, copied for each test."""
    url = pgserver.create_database(postgres_admin_url)
    database = Database(url)
    with database.connect() as connection:
        migrate.upgrade(connection)
    database.dispose()
    return sa.make_url(url).database


@pytest.fixture(params=BACKENDS, ids=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgis":
        request.applymarker(pytest.mark.postgis)
    return request.param


@pytest.fixture
def db_url(backend: str, tmp_path, request: pytest.FixtureRequest) -> str:
    """URL of a fresh database at the current schema; holding the demo when the test asks for ``demo_url``
    (a copy of one loaded once per test process, see tests/databases.py)."""
    if "demo_url" in request.fixturenames:
        return prepared_database(backend, tmp_path, request, *DEMO)
    return new_database(backend, tmp_path, request)


@pytest.fixture
def empty_db_url(backend: str, tmp_path, request: pytest.FixtureRequest) -> str:
    """URL of a fresh database with no fm schema (PostGIS installed on PostgreSQL)."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'fm.sqlite3'}"
    return pgserver.create_database(request.getfixturevalue("postgres_admin_url"))


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


@pytest.fixture
def app(db_url: str, tmp_path):
    from fm.web import create_app

    app = create_app(Config(database_url=db_url, instance_path=tmp_path, secret_key="test"))
    app.config.update(TESTING=True)
    yield app
    app.extensions["fm.database"].dispose()


@pytest.fixture
def client(app):
    """A client signed in as a viewer (reads everything, changes nothing)."""
    from webauth import signed_in

    return signed_in(app, "viewer")


@pytest.fixture
def client_as(app):
    """``client_as(role)``: a client signed in with ``role`` that sends its CSRF token on writes."""
    from webauth import signed_in

    return lambda role, username=None: signed_in(app, role, username)


@pytest.fixture
def anonymous(app):
    """A client with no session."""
    return app.test_client()


@pytest.fixture
def demo_url(db_url: str) -> str:
    """URL of a fresh database holding the Kamakura demo register (``db_url`` is that database)."""
    return db_url


@pytest.fixture(scope="module")
def browser():
    """Headless Debian chromium driven by Playwright (see tests/chromium.py)."""
    import chromium
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium.executable(), args=chromium.FLAGS)
        yield launched
        launched.close()
