"""Engine, sessions and the health check of the configured database.

:class:`Database` is the one way fm opens a database, for the web app, the CLI and
the tests alike. Its :meth:`Database.check` turns every way a database can be unfit
(bad URL, server down, no PostGIS, schema behind or ahead) into a one-line
:class:`~fm.errors.DatabaseError` that says what to do.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from fm.db import sqlite
from fm.errors import DatabaseError

SUPPORTED = "sqlite:///path/to/fm.sqlite3 or postgresql+psycopg://user:password@host:5432/dbname"


def parse_url(url: str) -> URL:
    """Parse a database URL, refusing anything fm cannot use."""
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError:
        raise DatabaseError(f"FM_DATABASE_URL {url!r} is not a database URL; expected {SUPPORTED}") from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise DatabaseError(
            f"fm supports SQLite and PostgreSQL + PostGIS, not {parsed.get_backend_name()!r}; expected {SUPPORTED}"
        )
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() not in ("psycopg", "psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def describe(url: URL) -> str:
    """The URL without its password, for messages."""
    return url.render_as_string(hide_password=True)


POOL_SIZE = 5
"""Connections an engine keeps open by default (SQLAlchemy's own default)."""


def create_engine(url: str | URL, *, busy_timeout: float = 10.0, connections: int = POOL_SIZE) -> Engine:
    """An engine for ``url`` with fm's connection set-up (SQLite pragmas and spatial functions); a SQLite
    write waits ``busy_timeout`` seconds for another process's lock. Its pool keeps ``connections`` open (a
    server's threads: each request finds one instead of opening its own), with up to 10 more while busy."""
    parsed = parse_url(url) if isinstance(url, str) else url
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        file_backed = database not in ("", ":memory:") and not database.startswith("file:")
        if file_backed:
            folder = Path(database).resolve().parent
            if not folder.is_dir():
                raise DatabaseError(f"cannot create the SQLite database {database}: the folder {folder} does not exist")
        engine = sa.create_engine(parsed, pool_size=connections)

        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection, _record) -> None:
            sqlite.configure_connection(dbapi_connection, file_backed=file_backed, busy_timeout=busy_timeout)

        @event.listens_for(engine, "begin")
        def _begin(connection) -> None:
            # Python's sqlite3 begins a transaction only before INSERT/UPDATE/DELETE: reads take no snapshot,
            # so concurrent requests never fail to upgrade a stale read to a write. A migration's DDL would
            # then commit statement by statement, so fm.db.migrate hands the driver no transaction control
            # (isolation_level None) for its run and fm begins that transaction itself, DDL included.
            if connection.connection.driver_connection.isolation_level is None:
                connection.exec_driver_sql("BEGIN")

        return engine
    import geoalchemy2  # noqa: F401  # its PostGIS reflection and DDL events (fm.db.types imports it no sooner)

    return sa.create_engine(parsed, pool_pre_ping=True, pool_size=connections, connect_args={"connect_timeout": 10})


class Database:
    """One configured database: its engine, a session factory and its health check."""

    def __init__(self, url: str | URL, *, busy_timeout: float = 10.0, connections: int = POOL_SIZE) -> None:
        self.url = parse_url(url) if isinstance(url, str) else url
        self.engine = create_engine(self.url, busy_timeout=busy_timeout, connections=connections)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits when the block ends normally and rolls back otherwise."""
        with self._sessions() as session, session.begin():
            yield session
            if PAUSE in os.environ:
                session.flush()
                pause_before_commit(session.connection())

    def check(self) -> None:
        """Raise DatabaseError unless the database is reachable, spatial and at the current schema."""
        from fm.db import migrate

        with self.connect() as connection:
            migrate.check_current(connection)

    @contextmanager
    def connect(self) -> Iterator[sa.Connection]:
        """A connection, with connection failures turned into a DatabaseError."""
        try:
            connection = self.engine.connect()
        except sa.exc.OperationalError as exc:
            raise DatabaseError(
                f"cannot connect to the database {describe(self.url)}: {_first_line(exc.orig)}. {_hint(self.url)}"
            ) from None
        except sa.exc.NoSuchModuleError:
            raise DatabaseError(f"no driver for {describe(self.url)}; expected {SUPPORTED}") from None
        with connection:
            yield connection

    def dispose(self) -> None:
        self.engine.dispose()


PAUSE = "FM_TEST_PAUSE_BEFORE_COMMIT"
"""Fault injection for the crash tests (tests/test_faults.py): when set to a number of seconds, every write
transaction of fm (and every migration) waits that long just before its COMMIT, after all its work, and says
so on stderr, so that a test can kill the real process at exactly that point. Never set in production."""


def pause_before_commit(connection: sa.Connection) -> None:
    """Wait :data:`PAUSE` seconds (when set) inside the transaction of ``connection``, about to commit."""
    if seconds := os.environ.get(PAUSE):
        print(f"fm: paused before commit ({connection.dialect.name})", file=sys.stderr, flush=True)
        time.sleep(float(seconds))


def _first_line(error: BaseException | None) -> str:
    text = str(error).strip() if error else "unknown error"
    return text.splitlines()[0] if text else type(error).__name__


def _hint(url: URL) -> str:
    if url.get_backend_name() == "postgresql":
        return "Is PostgreSQL running there and is FM_DATABASE_URL right?"
    return "Check FM_DATABASE_URL and the file's permissions."
