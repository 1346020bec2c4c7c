"""The ``fm`` command: one click group, one module per command group, each a thin layer over :mod:`fm.app`.

Every command reads the database from ``--database-url`` or ``FM_DATABASE_URL``
(default: the SQLite file under ``instance/``). Errors fm expects (a bad URL, a
database that is down or behind) print one line and exit with status 1.
"""

from __future__ import annotations

import click

from fm import __version__
from fm.cli import (
    catchments,  # noqa: F401  (adds `fm portfolio catchment|optimise` to the portfolio group)
    dashboard,
    db,
    demo,
    duties,
    exchange,
    kpi,
    ledger,
    maps,
    plan,
    portfolio,
    renewal,
    risk,
    scenarios,
    serve,
    stats,
    tokens,
    users,
)
from fm.cli.context import FmGroup
from fm.config import Config


@click.group(cls=FmGroup, context_settings={"help_option_names": ["-h", "--help"]})
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


portfolio.portfolio.add_command(scenarios.scenario)

for command in (
    db.db,
    serve.serve,
    stats.stats,
    demo.demo,
    exchange.import_,
    exchange.export,
    kpi.kpi,
    kpi.targets,
    users.users_group,
    tokens.tokens_group,
    risk.score,
    risk.inspections,
    duties.duties,
    duties.restrictions,
    renewal.renewal,
    portfolio.portfolio,
    plan.plan,
    plan.lcc,
    dashboard.report,
    dashboard.whatif,
    maps.map_export,
    ledger.ledger,
):
    cli.add_command(command)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="fm")
