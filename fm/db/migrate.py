"""Schema migrations with Alembic: upgrade, the current-revision check, and the autogenerate filter.

The migrations live in the top-level ``migrations/`` folder and serve SQLite and
PostGIS alike. ``fm db upgrade`` is :func:`upgrade`; every other command first runs
:func:`check_current` so that a database whose schema is behind says so in one line.

Alembic is imported only by the functions that use it: the check every command runs is one query compared
with :data:`HEAD`, which costs a command nothing like the half second importing Alembic does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from fm.errors import DatabaseError
from fm.resources import resource_path

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

HEAD = "0023"
"""The schema revision this code expects: the head of ``migrations/`` (:func:`head_revision`), written here so
that :func:`check_current` needs no Alembic. A test (tests/db/test_migrations.py) fails the moment a new
migration makes it wrong: set it to the new head."""

# Tables that belong to PostGIS, or to SQLite's R*Tree indexes, not to fm's models.
FOREIGN_TABLES = {"spatial_ref_sys", "geometry_columns", "geography_columns"}
PARTITION = re.compile(r"risk_scores_run_\d+")
"""One risk run's partition of ``risk_scores`` on PostgreSQL (fm.io.risk): part of the model's table."""


def alembic_config(connection: sa.Connection | None = None) -> AlembicConfig:
    """Alembic configuration pointing at ``migrations/``, optionally bound to ``connection``."""
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(resource_path("migrations")))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The head revision of ``migrations/``, read by Alembic (:data:`HEAD` is the same, known without it)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "migrations/ has no revision"
    return head


def current_revision(connection: sa.Connection) -> str | None:
    """The revision the database is at, or None when it has no fm schema."""
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def upgrade(connection: sa.Connection, revision: str = "head") -> None:
    """Bring the schema to ``revision``, creating the PostGIS extension first when needed."""
    from alembic import command

    if connection.dialect.name == "postgresql":
        ensure_postgis(connection, create=True)
    with _sqlite_foreign_keys_off(connection):
        command.upgrade(alembic_config(connection), revision)


def downgrade(connection: sa.Connection, revision: str) -> None:
    """Take the schema back to ``revision`` (``base`` drops every fm table)."""
    from alembic import command

    with _sqlite_foreign_keys_off(connection):
        command.downgrade(alembic_config(connection), revision)


@contextmanager
def _sqlite_foreign_keys_off(connection: sa.Connection) -> Iterator[None]:
    """Run migrations with SQLite's foreign keys off: batch mode copies tables, and dropping the old
    copy with them on would cascade-delete every child row. Checked again afterwards. Its DDL is in one
    transaction that fm begins (see fm.db.create_engine), so a killed migration leaves nothing half-done."""
    sqlite = connection.dialect.name == "sqlite"

    def pragma(sql: str) -> list[Any]:  # outside any transaction (inside one, foreign_keys is ignored)
        return connection.connection.driver_connection.execute(sql).fetchall()  # type: ignore[union-attr]

    if sqlite:
        connection.commit()
        driver = connection.connection.driver_connection
        pragma("PRAGMA foreign_keys = OFF")
        driver.isolation_level = None  # type: ignore[union-attr]  # fm begins the transaction, DDL included
    try:
        yield
        connection.commit()
    finally:
        if sqlite:
            if connection.in_transaction():  # a failed migration
                connection.rollback()
            driver.isolation_level = ""  # type: ignore[union-attr]  # back to the driver's own transactions
            pragma("PRAGMA foreign_keys = ON")
    if sqlite:
        broken = pragma("PRAGMA foreign_key_check")
        if broken:
            raise DatabaseError(
                f"the migration left {len(broken)} rows whose foreign keys point nowhere "
                f"(first: table {broken[0][0]}, row {broken[0][1]})"
            )


def ensure_postgis(connection: sa.Connection, *, create: bool) -> None:
    """Raise DatabaseError unless PostGIS is installed in the database (creating it if allowed)."""
    installed = connection.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'postgis'")).scalar()
    if installed:
        return
    database = connection.engine.url.database
    available = connection.execute(sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")).scalar()
    if not available:
        raise DatabaseError(
            f"PostGIS is not available on this PostgreSQL server (database {database!r}): "
            "install postgresql-15-postgis-3 on the server, then run `fm db upgrade`"
        )
    if not create:
        raise DatabaseError(
            f"the database {database!r} has no PostGIS extension: run `fm db upgrade` "
            "(or CREATE EXTENSION postgis; as a superuser)"
        )
    try:
        with connection.begin_nested():
            connection.execute(sa.text("CREATE EXTENSION postgis"))
    except sa.exc.DBAPIError as exc:
        raise DatabaseError(
            f"cannot create the PostGIS extension in {database!r} "
            f"({str(exc.orig).splitlines()[0]}): run CREATE EXTENSION postgis; "
            "as a superuser, then `fm db upgrade`"
        ) from None
    connection.commit()


def check_current(connection: sa.Connection) -> None:
    """Raise DatabaseError unless the database has PostGIS (if PostgreSQL) and the head schema.

    The usual case, a database at :data:`HEAD`, is one query of ``alembic_version`` (two on PostgreSQL, with
    the PostGIS check); anything else is looked at by Alembic, to say what is wrong."""
    if connection.dialect.name == "postgresql":
        ensure_postgis(connection, create=False)
    if _stamped(connection) == [HEAD]:
        return
    from alembic.script import ScriptDirectory

    current = current_revision(connection)
    if current is None:
        raise DatabaseError("the database has no fm schema yet: run `fm db upgrade`")
    known = {rev.revision for rev in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    if current not in known:
        raise DatabaseError(
            f"the database schema is at revision {current}, which this fm does not know "
            "(it was made by a newer fm): upgrade fm"
        )
    raise DatabaseError(f"the database schema is at revision {current}, fm needs {HEAD}: run `fm db upgrade`")


def _stamped(connection: sa.Connection) -> list[str]:
    """The revisions ``alembic_version`` holds (Alembic's own table, in the connection's default schema), or
    none when there is no such table."""
    if connection.dialect.name == "postgresql":
        exists = connection.scalar(sa.text("SELECT to_regclass('alembic_version') IS NOT NULL"))
    else:
        exists = connection.scalar(
            sa.text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'")
        )
    if not exists:
        return []
    return list(connection.scalars(sa.text("SELECT version_num FROM alembic_version")))


def schema_differences(connection: sa.Connection) -> list[Any]:
    """What autogenerate would change to make the database match the models (empty when in step)."""
    import geoalchemy2  # noqa: F401  # reflects geometry columns
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from fm.model import metadata

    context = MigrationContext.configure(
        connection,
        opts={"include_object": include_filter(connection.dialect.name), "compare_type": True},
    )
    return compare_metadata(context, metadata)


def include_filter(dialect: str):
    """Autogenerate filter: skip PostGIS's and R*Tree tables, GiST indexes outside PostgreSQL, and indexes the model
    makes on one backend only (``Index.ddl_if(dialect=…)``) elsewhere."""

    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        if type_ == "table" and name is not None:
            return name not in FOREIGN_TABLES and not name.startswith("rtree_") and not PARTITION.fullmatch(name)
        if type_ == "index" and not reflected:
            only = obj._ddl_if.dialect if obj._ddl_if is not None else None
            if only is not None and only != dialect:
                return False
            if dialect != "postgresql":
                return obj.dialect_options["postgresql"].get("using") != "gist"
        return True

    return include
