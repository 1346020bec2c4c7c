"""`fm duties` and `fm restrictions`: the statutory measures after an inspection judged Ⅲ or Ⅳ."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click
import pandas as pd

from fm.app import duties as duties_app
from fm.app.conventions import cli_actor
from fm.cli.context import open_database, print_frame
from fm.serialize import to_json

DAY = click.DateTime(["%Y-%m-%d"])


@click.command()
@click.option("--as-of", "as_of", type=DAY, help="State of the duties on this day (default: today).")
@click.option("--state", type=click.Choice(duties_app.STATES), help="Only the duties in this state.")
@click.option("--overdue", is_flag=True, help="Only the duties past their deadline with no measure started.")
@click.option(
    "--duties",
    "settings_path",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Duty settings (TOML) over fm/domain/duties.toml; env FM_DUTIES. See docs/duties.md.",
)
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@click.pass_context
def duties(ctx: click.Context, as_of, state: str | None, overdue: bool, settings_path: Path | None, fmt: str) -> None:
    """Measures the law requires after an inspection judged Ⅲ or Ⅳ: deadline, state, days overdue.

    Ⅳ (緊急措置段階): urgent measures at once (repair, or restricting or closing traffic), within the
    configured grace days; Ⅲ (早期措置段階): before the next periodic inspection. Overdue first.
    """
    day = as_of.date() if as_of else date.today()
    settings = duties_app.load_settings(settings_path)
    with open_database(ctx).session() as session:
        rows = duties_app.list_duties(session, as_of=day, state=state, overdue=overdue, settings=settings)
    if fmt == "json":
        click.echo(to_json(rows))
        return
    print_frame(pd.DataFrame(rows, columns=list(duties_app.DUTY_KEYS)), fmt)
    if fmt == "table":
        late = sum(1 for row in rows if row["overdue"] > 0)
        click.echo(f"{len(rows):,} duties, {late:,} overdue, as of {day}")


@click.group("restrictions", invoke_without_command=True)
@click.option("--asset", "asset_code", metavar="CODE", help="Only this asset's restrictions.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@click.pass_context
def restrictions(ctx: click.Context, asset_code: str | None, fmt: str) -> None:
    """Traffic restrictions (通行規制): list them, or `fm restrictions add` one."""
    if ctx.invoked_subcommand is None:
        with open_database(ctx).session() as session:
            print_frame(duties_app.list_restrictions(session, asset_code=asset_code), fmt)


@restrictions.command("add")
@click.argument("code")
@click.option("--asset", "asset_code", required=True, metavar="CODE", help="The restricted asset.")
@click.option("--kind", type=click.Choice(duties_app.RESTRICTION_KINDS), required=True)
@click.option("--from", "starts_on", type=DAY, required=True, help="First day restricted.")
@click.option("--to", "ends_on", type=DAY, help="Last day restricted (leave out while in force).")
@click.option(
    "--inspection",
    "inspected_on",
    type=DAY,
    help="Date of the inspection that required it (default: the latest judged Ⅲ/Ⅳ on or before --from).",
)
@click.option("--notes")
@click.pass_context
def add(ctx: click.Context, code: str, asset_code: str, kind: str, starts_on, ends_on, inspected_on, notes) -> None:
    """Record traffic restriction CODE on an asset (audited)."""
    with open_database(ctx).session() as session:
        duties_app.add_restriction(
            session,
            code=code,
            asset_code=asset_code,
            kind=kind,
            starts_on=starts_on.date(),
            ends_on=ends_on.date() if ends_on else None,
            inspected_on=inspected_on.date() if inspected_on else None,
            notes=notes,
            actor=cli_actor(),
        )
    click.echo(f"restriction {code} recorded on {asset_code}")
