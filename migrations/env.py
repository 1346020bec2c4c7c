"""Alembic environment for fm: runs on the connection fm hands over (see fm.db.migrate)."""

from __future__ import annotations

import geoalchemy2  # noqa: F401  # its DDL and reflection events, on every backend (fm.db.types imports it lazily)
from alembic import context

from fm.db import Database, pause_before_commit
from fm.db.migrate import include_filter
from fm.model import metadata

config = context.config


def run(connection) -> None:
    dialect = connection.dialect.name
    context.configure(
        connection=connection,
        target_metadata=metadata,
        include_object=include_filter(dialect),
        compare_type=True,
        render_as_batch=dialect == "sqlite",  # SQLite alters tables by copying them
        transactional_ddl=True,  # SQLite's DDL is transactional too (fm.db begins its transactions itself)
        user_module_prefix="fm.db.types.",
    )
    with context.begin_transaction():
        context.run_migrations()
        pause_before_commit(connection)  # the crash tests' fault injection (fm.db.PAUSE); nothing otherwise


if context.is_offline_mode():
    raise SystemExit("fm migrations run online only: use `fm db upgrade`")

connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    from fm.config import Config

    database = Database(Config.from_env().database_url)
    with database.engine.connect() as connection:
        run(connection)
        connection.commit()
