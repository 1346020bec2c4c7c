"""The ``fm`` command: a thin click layer over fm.service, fm.db and the web app.

Every command reads the database from ``--database-url`` or ``FM_DATABASE_URL``
(default: the SQLite file under ``instance/``). Errors fm expects (a bad URL, a
database that is down or behind) print one line and exit with status 1.
"""

from __future__ import annotations

from typing import Any

import click
from tabulate import tabulate

from fm import __version__, service
from fm.config import Config
from fm.db import Database, migrate
from fm.errors import FmError
from fm.serialize import to_json


class FmGroup(click.Group):
    """A click group that reports FmError as a one-line message instead of a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except FmError as exc:
            raise click.ClickException(str(exc)) from None


def _database(ctx: click.Context, *, check: bool = True) -> Database:
    config: Config = ctx.obj
    config.prepare_instance()
    database = Database(config.database_url)
    ctx.call_on_close(database.dispose)
    if check:
        database.check()
    return database


@click.group(cls=FmGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--database-url", envvar="FM_DATABASE_URL", metavar="URL",
              help="Database URL (env FM_DATABASE_URL). Default: sqlite under ./instance/.")
@click.version_option(__version__, prog_name="fm")
@click.pass_context
def cli(ctx: click.Context, database_url: str | None) -> None:
    """fm: facility management and infrastructure risk for Japanese municipalities.

    Start with `fm db upgrade` to create the database, then `fm serve`.
    """
    ctx.obj = Config.from_env(database_url=database_url)


@cli.group()
def db() -> None:
    """Create and migrate the database schema (Alembic)."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@click.pass_context
def db_upgrade(ctx: click.Context, revision: str) -> None:
    """Create the schema, or bring it up to date (creates PostGIS on PostgreSQL)."""
    database = _database(ctx, check=False)
    with database.connect() as connection:
        before = migrate.current_revision(connection)
        migrate.upgrade(connection, revision)
        after = migrate.current_revision(connection)
    click.echo(f"database {database.url.render_as_string(hide_password=True)}: "
               f"{before or 'empty'} -> {after}" if before != after else f"database already at {after}")


@db.command("downgrade")
@click.argument("revision")
@click.pass_context
def db_downgrade(ctx: click.Context, revision: str) -> None:
    """Take the schema back to REVISION ('base' removes every fm table and its data)."""
    with _database(ctx, check=False).connect() as connection:
        migrate.downgrade(connection, revision)
        click.echo(f"database at {migrate.current_revision(connection) or 'base'}")


@db.command("current")
@click.pass_context
def db_current(ctx: click.Context) -> None:
    """Print the schema revision of the database and the one this fm expects."""
    with _database(ctx, check=False).connect() as connection:
        click.echo(f"database: {migrate.current_revision(connection) or 'empty'}\n"
                   f"expected: {migrate.head_revision()}")


@db.command("revision")
@click.option("-m", "--message", required=True, help="What the revision changes.")
@click.pass_context
def db_revision(ctx: click.Context, message: str) -> None:
    """(Developers) autogenerate a migration from the difference between models and database."""
    from alembic import command

    with _database(ctx).connect() as connection:
        command.revision(migrate.alembic_config(connection), message=message, autogenerate=True)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535), help="Port.")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64), help="Worker threads.")
@click.option("--debug", is_flag=True, help="Flask's development server with reloader and debugger.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, threads: int, debug: bool) -> None:
    """Serve the web app and the JSON API (waitress; --debug for Flask's server)."""
    from fm.web import create_app

    _database(ctx).dispose()
    app = create_app(ctx.obj)
    click.echo(f"fm serving on http://{host}:{port}/ (Ctrl+C to stop)")
    if debug:
        app.run(host=host, port=port, debug=True)
    else:
        import waitress

        waitress.serve(app, host=host, port=port, threads=threads, ident="fm")


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="table for people, json for programs (same body as GET /api/stats).")
@click.option("--lang", type=click.Choice(["ja", "en"]), default="ja", show_default=True,
              help="Language of the table's labels.")
@click.pass_context
def stats(ctx: click.Context, fmt: str, lang: str) -> None:
    """Count the assets the city holds, by category and by district."""
    with _database(ctx).session() as session:
        counts = service.asset_stats(session)
    if fmt == "json":
        click.echo(to_json(counts))
        return
    label = "name" if lang == "ja" else "name_en"
    headers = {"ja": ("区分", "件数", "地域", "合計"), "en": ("Category", "Assets", "District", "Total")}[lang]
    click.echo(tabulate([(row[label], row["count"]) for row in counts["by_category"]] +
                        [(headers[3], counts["total"])], headers=headers[:2], colalign=("left", "right")))
    click.echo()
    click.echo(tabulate([(row[label], row["count"]) for row in counts["by_district"]] +
                        [(headers[3], counts["total"])], headers=(headers[2], headers[1]),
                        colalign=("left", "right")))


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="fm")
