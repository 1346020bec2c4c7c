"""`fm users`: the web app's accounts."""

from __future__ import annotations

import sys

import click
from tabulate import tabulate

from fm.app import users
from fm.app.conventions import cli_actor
from fm.cli.context import open_database
from fm.serialize import records, to_json


@click.group("users", invoke_without_command=True)
@click.pass_context
def users_group(ctx: click.Context) -> None:
    """List the accounts of the web app; create one or change its role or password with the subcommands."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(users_list)


@users_group.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_context
def users_list(ctx: click.Context, fmt: str = "table") -> None:
    """Every account with its role, language and last sign-in (never a password)."""
    with open_database(ctx).session() as session:
        frame = users.listing(session)
    if fmt == "json":
        click.echo(to_json(records(frame)))
    else:
        click.echo(
            tabulate(frame, headers="keys", showindex=False)
            if len(frame)
            else "no accounts yet: fm users create NAME --role admin"
        )


def _password(generate: bool, from_stdin: bool) -> tuple[str, bool]:
    """A new password: generated (and so to be shown), read from stdin, or typed twice at a hidden prompt."""
    if generate:
        return users.generate_password(), True
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n"), False
    return click.prompt("Password", hide_input=True, confirmation_prompt=True), False


_PASSWORD_OPTIONS = (
    click.option("--generate", is_flag=True, help="Generate a password and print it once."),
    click.option(
        "--password-stdin", "from_stdin", is_flag=True, help="Read the password from the first line of stdin."
    ),
)


def _password_options(command):
    for option in reversed(_PASSWORD_OPTIONS):
        command = option(command)
    return command


@users_group.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(users.ROLES), required=True, help="What the account may change.")
@click.option("--name", "display_name", help="Name shown in the app (default: the username).")
@click.option("--language", type=click.Choice(users.LANGUAGES), default="ja", show_default=True)
@_password_options
@click.pass_context
def users_create(
    ctx: click.Context,
    username: str,
    role: str,
    display_name: str | None,
    language: str,
    generate: bool,
    from_stdin: bool,
) -> None:
    """Create the account USERNAME (asks for its password unless --generate or --password-stdin)."""
    password, show = _password(generate, from_stdin)
    with open_database(ctx).session() as session:
        users.create(
            session,
            username,
            role=role,
            password=password,
            display_name=display_name,
            language=language,
            actor=cli_actor(),
            source="cli",
        )
    click.echo(
        f"account {username} created with role {role}" + (f"; password (shown once): {password}" if show else "")
    )


@users_group.command("set-role")
@click.argument("username")
@click.argument("role", type=click.Choice(users.ROLES))
@click.pass_context
def users_set_role(ctx: click.Context, username: str, role: str) -> None:
    """Give USERNAME another ROLE."""
    with open_database(ctx).session() as session:
        users.set_role(session, username, role, actor=cli_actor(), source="cli")
    click.echo(f"{username}: role {role}")


@users_group.command("set-password")
@click.argument("username")
@_password_options
@click.pass_context
def users_set_password(ctx: click.Context, username: str, generate: bool, from_stdin: bool) -> None:
    """Give USERNAME a new password; the account's open sessions end."""
    password, show = _password(generate, from_stdin)
    with open_database(ctx).session() as session:
        users.set_password(session, username, password, actor=cli_actor(), source="cli")
    click.echo(f"{username}: password changed" + (f"; new password (shown once): {password}" if show else ""))
