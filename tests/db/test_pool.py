"""The database pool of a server process holds a connection per thread: requests on every thread find one open
instead of opening their own (on PostgreSQL, a new server process each)."""

from __future__ import annotations

from fm.config import Config
from fm.db import POOL_SIZE, Database
from fm.web import create_app


def test_the_pool_keeps_as_many_connections_as_asked(db_url):
    for connections in (POOL_SIZE, 12):
        database = Database(db_url, connections=connections)
        try:
            held = [database.engine.connect() for _ in range(connections + 2)]
            for connection in held:
                connection.close()
            assert database.engine.pool.size() == connections
            assert database.engine.pool.checkedin() == connections  # the two beyond it closed, the rest kept
        finally:
            database.dispose()


def test_the_app_s_pool_is_its_threads(db_url, tmp_path):
    app = create_app(Config(database_url=db_url, instance_path=tmp_path, secret_key="test"), threads=16)
    database = app.extensions["fm.database"]
    try:
        assert database.engine.pool.size() == 16
    finally:
        database.dispose()
