"""`fm demo`: the Kamakura demo register and one account per role."""

from __future__ import annotations

import os
import time
from pathlib import Path

import click
from tabulate import tabulate

from fm.app import demo as demo_app
from fm.app.conventions import cli_actor
from fm.cli.context import open_database
from fm.cli.progress import progress_bar


@click.command()
@click.option("--reset", is_flag=True, help="Erase every record first (categories stay), then load.")
@click.option(
    "--data",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    metavar="DIR",
    help="Load this folder of CSV files instead of the shipped demo (e.g. from geodata/generate.py).",
)
@click.option(
    "--no-score",
    "no_score",
    is_flag=True,
    help="Do not score the risk after loading (the tests' fast path; run `fm score` later).",
)
@click.pass_context
def demo(ctx: click.Context, reset: bool, data: Path | None, no_score: bool) -> None:
    """Load the Kamakura demo register, score its risk and make one account per role (idempotent: a second
    run changes nothing).

    The accounts' passwords are generated and printed once, or all set to FM_DEMO_PASSWORD.
    """
    started = time.perf_counter()
    with progress_bar("fm demo"):
        with open_database(ctx).session() as session:
            counts = demo_app.load_demo(session, reset=reset, folder=data)
            accounts = demo_app.demo_accounts(
                session, password=os.environ.get("FM_DEMO_PASSWORD") or None, actor=cli_actor()
            )
        scored = None
        if not no_score:
            with open_database(ctx).session() as session:
                scored = demo_app.score_demo(session, actor=cli_actor())
    if counts:
        click.echo(
            ", ".join(f"{name} {count:,}" for name, count in counts.items())
            + f" loaded in {time.perf_counter() - started:.1f} s"
        )
    else:
        click.echo("demo data already loaded: nothing to do (use --reset to load it afresh)")
    if scored:
        click.echo(
            f"risk scored for {scored['computed_on']}: {scored['assets']:,} assets "
            f"(`fm score --top 5`, `fm duties --overdue`, the risk map)"
        )
    if accounts:
        click.echo(
            "\nDemo accounts (sign in at http://127.0.0.1:5000/sign-in). The passwords are shown only "
            "now; change one with `fm users set-password NAME`:"
        )
        click.echo(tabulate(accounts, headers="keys"))
