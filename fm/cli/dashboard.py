"""`fm report` and `fm whatif`: the indicator dashboard's yearly page and the aging what-if."""

from __future__ import annotations

from pathlib import Path

import click
import pandas as pd
from tabulate import tabulate

from fm.app.conventions import CONVENTIONS, fiscal_year_label
from fm.cli.context import fiscal_year_option, indicator_number, open_database
from fm.serialize import to_json


@click.command()
@fiscal_year_option(required=True)
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--lang", type=click.Choice(["ja", "en"]), default="ja", show_default=True)
@click.pass_context
def report(ctx: click.Context, fiscal_year: int, output: Path, lang: str) -> None:
    """Write the one-page yearly report to OUTPUT (.html, or .pdf printed by headless Chromium)."""
    from fm.web.report import write_report

    open_database(ctx).dispose()
    ctx.obj.prepare_instance()
    write_report(ctx.obj, output, fiscal_year=fiscal_year, lang=lang)
    click.echo(f"wrote {output}", err=True)


@click.command()
@fiscal_year_option(required=True)
@click.option("--years", type=click.IntRange(1, 50), default=10, show_default=True, help="Fiscal years ahead.")
@click.option("--convention", type=click.Choice(CONVENTIONS), default="fiscal-year", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@click.pass_context
def whatif(ctx: click.Context, fiscal_year: int, years: int, convention: str, fmt: str) -> None:
    """The aging ratio after the fiscal year: planned renewals and disposals carried out against doing nothing.

    JSON is the body of GET /api/kpi/aging_ratio/whatif.
    """
    from fm.app import dashboard

    with open_database(ctx).session() as session:
        result = dashboard.whatif(session, fiscal_year=fiscal_year, years=years, convention=convention)
    if fmt == "json":
        click.echo(to_json(result))
        return
    frame = pd.DataFrame(result["years"])
    if fmt == "csv":
        click.echo(frame.to_csv(index=False, lineterminator="\n"), nl=False)
        return
    click.echo(
        tabulate(
            [
                (
                    fiscal_year_label(row["fiscal_year"]),
                    indicator_number(row["planned_value"], "aging_ratio"),
                    indicator_number(row["nothing_value"], "aging_ratio"),
                )
                for row in result["years"]
            ],
            headers=("年度", "計画実施 %", "何もしない %"),
            disable_numparse=True,
            colalign=("left", "right", "right"),
        )
    )
    click.echo(f"planned: {len(result['renewals'])} renewals, {len(result['disposals'])} disposals")
