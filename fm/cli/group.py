"""The ``fm`` click group: one module per command group, each a thin layer over :mod:`fm.app`.

Every command reads the database from ``--database-url`` or ``FM_DATABASE_URL``
(default: the SQLite file under ``instance/``). Errors fm expects (a bad URL, a
database that is down or behind) print one line and exit with status 1.
"""

from __future__ import annotations

import gc
import importlib
from typing import Any

import click

from fm import __version__
from fm.config import Config
from fm.errors import FmError

COMMANDS = {
    "db": "db:db",
    "serve": "serve:serve",
    "stats": "stats:stats",
    "demo": "demo:demo",
    "import": "exchange:import_",
    "export": "exchange:export",
    "kpi": "kpi:kpi",
    "targets": "kpi:targets",
    "users": "users:users_group",
    "tokens": "tokens:tokens_group",
    "score": "risk:score",
    "inspections": "risk:inspections",
    "duties": "duties:duties",
    "restrictions": "duties:restrictions",
    "renewal": "renewal:renewal",
    "portfolio": "portfolio:portfolio",
    "plan": "plan:plan",
    "lcc": "plan:lcc",
    "report": "dashboard:report",
    "whatif": "dashboard:whatif",
    "map": "maps:map_export",
    "ledger": "ledger:ledger",
}
"""Each command and where it lives (``fm.cli.<module>:<attribute>``): imported only when it runs (or for
``fm --help``), so that ``fm score`` does not load the maps, the catchments' graphs or the web app."""


class LazyGroup(click.Group):
    """The ``fm`` group: its commands imported when asked for; FmError reported as one line."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, attribute = target.split(":")
        # Python's cycle collector paused while the command's modules load: importing pandas, SQLAlchemy and the
        # rest makes hundreds of thousands of objects that all live on, and the collector walked them hundreds of
        # times (about a fifth of the imports' CPU time).
        enabled = gc.isenabled()
        gc.disable()
        try:
            command = getattr(importlib.import_module(f"fm.cli.{module}"), attribute)
            if cmd_name == "portfolio" and "scenario" not in command.commands:
                importlib.import_module("fm.cli.catchments")  # adds `fm portfolio catchment|optimise`
                command.add_command(importlib.import_module("fm.cli.scenarios").scenario)
        finally:
            if enabled:
                gc.enable()
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except FmError as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--database-url",
    envvar="FM_DATABASE_URL",
    metavar="URL",
    help="Database URL (env FM_DATABASE_URL). Default: sqlite under ./instance/.",
)
@click.version_option(__version__, prog_name="fm")
@click.pass_context
def cli(ctx: click.Context, database_url: str | None) -> None:
    """fm: facility management and infrastructure risk for Japanese municipalities.

    Start with `fm db upgrade` to create the database, then `fm serve`.
    """
    ctx.obj = Config.from_env(database_url=database_url)
