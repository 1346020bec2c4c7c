"""`fm tokens`: API tokens for QGIS, GDAL and scripts (docs/ogcapi.md)."""

from __future__ import annotations

import click
from tabulate import tabulate

from fm.app import tokens
from fm.app.conventions import cli_actor
from fm.cli.context import open_database
from fm.serialize import records, to_json


@click.group("tokens", invoke_without_command=True)
@click.pass_context
def tokens_group(ctx: click.Context) -> None:
    """List API tokens; make one for an account or revoke one with the subcommands."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(tokens_list)


@tokens_group.command("list")
@click.option("--user", "username", help="Only this account's tokens.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_context
def tokens_list(ctx: click.Context, username: str | None = None, fmt: str = "table") -> None:
    """Every token with its account, name, first characters, expiry, last use and state (never the token)."""
    with open_database(ctx).session() as session:
        frame = tokens.listing(session, username=username)
    if fmt == "json":
        click.echo(to_json(records(frame)))
    elif len(frame):
        shown = frame.copy()
        for column in ("created_at", "expires_at", "last_used_at", "revoked_at"):
            shown[column] = [f"{t:%Y-%m-%d %H:%M}" if t is not None else "" for t in shown[column]]
        click.echo(tabulate(shown, headers="keys", showindex=False))
    else:
        click.echo("no API tokens yet: fm tokens create USERNAME")


@tokens_group.command("create")
@click.argument("username")
@click.option(
    "--expires",
    "days",
    type=click.IntRange(1, tokens.MAX_DAYS),
    default=tokens.DEFAULT_DAYS,
    show_default=True,
    help="Days until the token stops working.",
)
@click.option("--name", default="", help="What the token is for, e.g. 'QGIS on PC-12'.")
@click.pass_context
def tokens_create(ctx: click.Context, username: str, days: int, name: str) -> None:
    """Make an API token for USERNAME and print it once (it acts with the account's role)."""
    with open_database(ctx).session() as session:
        token, row = tokens.create(session, username, days=days, name=name, actor=cli_actor(), source="cli")
        expires, number = row.expires_at, row.id
    click.echo(f"API token {number} for {username}, valid until {expires:%Y-%m-%d %H:%M} UTC (shown once):")
    click.echo(token)


@tokens_group.command("revoke")
@click.argument("token_id", type=int)
@click.pass_context
def tokens_revoke(ctx: click.Context, token_id: int) -> None:
    """Stop the token numbered TOKEN_ID (see fm tokens list) at once."""
    with open_database(ctx).session() as session:
        tokens.revoke(session, token_id, actor=cli_actor(), source="cli")
    click.echo(f"API token {token_id} revoked")
