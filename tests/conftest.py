"""Fixtures: one test body runs on SQLite and on a real PostGIS that the test run starts itself.

``db_url`` is parametrized over both backends and gives a fresh database at the
current schema; ``empty_db_url`` gives one with no fm schema. PostGIS comes from
a throwaway server (tests/pgserver.py), or from ``FM_TEST_POSTGRES_URL`` (a
superuser URL of a server you run). When no PostGIS can be had, its tests skip,
except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import copy
import functools
import os
from collections.abc import Callable, Iterator

import pandas as pd
import pgserver
import pytest
import sqlalchemy as sa
from databases import DEMO, new_database, prepared_database

from fm.accounts import users
from fm.config import Config
from fm.db import Database, migrate
from fm.domain.risk import deterioration

BACKENDS = ("sqlite", "postgis")

# The tests that run `fm` as a process run it in that process: no command server started by them outlives the run
# (tests/cli/test_command_server.py starts its own, in a folder of its own, and stops it).
os.environ.setdefault("FM_COMMAND_SERVER", "0")


@pytest.fixture(scope="session", autouse=True)
def _paid_once() -> Iterator[None]:
    """Two answers the suite asks for thousands of times, computed once per test process (a tenth of its CPU
    time each, py-spy over a whole run): scrypt's password hashes, 0.1 s each by design (a password hashed once,
    its salt then shared; each hash and password checked once), and the deterioration fit of the demo's
    inspections, deterministic (fm itself reuses a fit of the same ``fit_key``)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(users, "generate_password_hash", functools.cache(users.generate_password_hash))
        patch.setattr(users, "check_password_hash", functools.cache(users.check_password_hash))
        patch.setattr(deterioration, "fit", _fitted_once(deterioration.fit))
        yield


def _fitted_once(fit: Callable[..., pd.DataFrame]) -> Callable[..., pd.DataFrame]:
    fits: dict[str, pd.DataFrame] = {}

    def fitted(states, work, categories, *, prior_shape=1.0, seed=0, table=None) -> pd.DataFrame:
        if table is None:
            table = deterioration.pair_frame(states, work, categories)
        key = deterioration.fit_key(table, categories, prior_shape=prior_shape, seed=seed)
        if key not in fits:
            fits[key] = fit(states, work, categories, prior_shape=prior_shape, seed=seed, table=table)
        return copy.deepcopy(fits[key])

    return fitted


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
def db_url(backend: str, tmp_path, request: pytest.FixtureRequest) -> Iterator[str]:
    """URL of a fresh database at the current schema; holding the demo when the test asks for ``demo_url``
    (a copy of one loaded once per test process, see tests/databases.py)."""
    if "demo_url" in request.fixturenames:
        url = prepared_database(backend, tmp_path, request, *DEMO)
    else:
        url = new_database(backend, tmp_path, request)
    yield from _dropped_after(backend, url, request)


@pytest.fixture
def empty_db_url(backend: str, tmp_path, request: pytest.FixtureRequest) -> Iterator[str]:
    """URL of a fresh database with no fm schema (PostGIS installed on PostgreSQL)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'fm.sqlite3'}"
        return
    url = pgserver.create_database(request.getfixturevalue("postgres_admin_url"))
    yield from _dropped_after(backend, url, request)


def _dropped_after(backend: str, url: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """``url`` for the test, then, on PostgreSQL, the database dropped: the server's folder stays the size of the
    databases in use, not of every test's copy (18 MB each, some 16 GB a run, written out and removed at the end)."""
    admin = request.getfixturevalue("postgres_admin_url") if backend == "postgis" else None
    yield url
    if admin is not None:
        pgserver.drop_database(admin, url)


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
