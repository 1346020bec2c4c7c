"""`fm db`: create and migrate the database schema."""

from __future__ import annotations

import click

from fm.cli.context import open_database
from fm.db import migrate


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


@db.command("revision")
@click.option("-m", "--message", required=True, help="What the revision changes.")
@click.pass_context
def db_revision(ctx: click.Context, message: str) -> None:
    """(Developers) autogenerate a migration from the difference between models and database."""
    from alembic import command

    with open_database(ctx).connect() as connection:
        command.revision(migrate.alembicrisk_config(connection), message=message, autogenerate=True)
