"""`fm db`: create and migrate the database schema; back it up and restore it."""

from __future__ import annotations

from pathlib import Path

import click

from fm.cli.context import open_database
from fm.db import backup, migrate, roles


@click.group()
def db() -> None:
    """Create and migrate the database schema (Alembic)."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@click.pass_context
def db_upgrade(ctx: click.Context, revision: str) -> None:
    """Create the schema, or bring it up to date (creates PostGIS on PostgreSQL)."""
    database = open_database(ctx, check=False)
    with database.connect() as connection:
        before = migrate.current_revision(connection)
        migrate.upgrade(connection, revision)
        after = migrate.current_revision(connection)
    click.echo(
        f"database {database.url.render_as_string(hide_password=True)}: {before or 'empty'} -> {after}"
        if before != after
        else f"database already at {after}"
    )


@db.command("downgrade")
@click.argument("revision")
@click.pass_context
def db_downgrade(ctx: click.Context, revision: str) -> None:
    """Take the schema back to REVISION ('base' removes every fm table and its data)."""
    with open_database(ctx, check=False).connect() as connection:
        migrate.downgrade(connection, revision)
        click.echo(f"database at {migrate.current_revision(connection) or 'base'}")


@db.command("current")
@click.pass_context
def db_current(ctx: click.Context) -> None:
    """Print the schema revision of the database and the one this fm expects."""
    with open_database(ctx, check=False).connect() as connection:
        click.echo(f"database: {migrate.current_revision(connection) or 'empty'}\nexpected: {migrate.head_revision()}")


@db.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def db_backup(ctx: click.Context, file: Path) -> None:
    """Write the whole database to FILE (a zip: the data and a manifest with fm's version, the schema
    revision and a SHA-256 checksum). SQLite: an online copy, consistent while fm serve writes; PostgreSQL:
    pg_dump's custom format, with fm's own connection."""
    database = open_database(ctx, check=False)  # a database behind this fm's schema is backed up as it is
    manifest = backup.backup(database, file)
    click.echo(
        f"{file}: {manifest.backend} database at schema {manifest.schema_revision}, "
        f"{manifest.size:,} bytes, sha256 {manifest.sha256[:16]}…"
    )


@db.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Overwrite a database that already holds fm data.")
@click.pass_context
def db_restore(ctx: click.Context, file: Path, replace: bool) -> None:
    """Restore the backup FILE into the database, then migrate it to this fm's schema. Refuses a damaged
    file, one from a newer fm, and (without --replace) a database that already holds fm data."""
    database = open_database(ctx, check=False)
    manifest, before, after = backup.restore(database, file, replace=replace)
    click.echo(
        f"restored {file} (made {manifest.created} by fm {manifest.fm_version}, schema {manifest.schema_revision}) "
        f"into {database.url.render_as_string(hide_password=True)}"
        + (f", replacing schema {before}" if before else "")
        + (f"; migrated {manifest.schema_revision} -> {after}" if after != manifest.schema_revision else "")
    )


@db.command("grant-app")
@click.argument("role")
@click.pass_context
def db_grant_app(ctx: click.Context, role: str) -> None:
    """(PostgreSQL, as the migration role, after each upgrade) give ROLE, the role fm serve connects as, the
    rights to read and write rows but not to change the schema, and only to add to the audit log."""
    with open_database(ctx).connect() as connection:
        done = roles.grant_app(connection, role)
    click.echo(f"{role}: {len(done)} grants (rows read and written; audit_log append-only; no schema changes)")


@db.command("revision")
@click.option("-m", "--message", required=True, help="What the revision changes.")
@click.pass_context
def db_revision(ctx: click.Context, message: str) -> None:
    """(Developers) autogenerate a migration from the difference between models and database."""
    from alembic import command

    with open_database(ctx).connect() as connection:
        command.revision(migrate.alembic_config(connection), message=message, autogenerate=True)
