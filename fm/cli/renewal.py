"""`fm renewal`: the 40-year renewal-cost projection."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click
import pandas as pd
from tabulate import tabulate

from fm.app import renewal as renewal_app
from fm.app.conventions import fiscal_year as fiscal_year_of
from fm.cli.context import open_database
from fm.serialize import to_json


@click.command()
@click.option("--start", type=click.IntRange(1900, 2200), help="First fiscal year (default: the next one).")
@click.option("--years", type=click.IntRange(1, 100), default=40, show_default=True)
@click.option(
    "--unit-costs",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help=(
        "Unit costs and cycles (TOML) over the packaged ones (fm/domain/renewal/unit_costs.toml), "
        "instead of the city's (fm import unit-costs): a what-if."
    ),
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json", "csv", "xlsx"]), default="table", show_default=True
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Write the csv or xlsx here (xlsx needs it).",
)
@click.option(
    "--chart",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE.png|svg",
    help="Also draw the annual bars by group with the average lines.",
)
@click.option(
    "--scenario",
    type=click.Choice(["simple", "extended"]),
    default="simple",
    show_default=True,
    help="Scenario the chart and the table's bars show.",
)
@click.option("--lang", type=click.Choice(["ja", "en"]), default="ja", show_default=True)
@click.pass_context
def renewal(
    ctx: click.Context,
    start: int | None,
    years: int,
    unit_costs: Path | None,
    fmt: str,
    output: Path | None,
    chart: Path | None,
    scenario: str,
    lang: str,
) -> None:
    """Project renewal costs per fiscal year (総務省 更新費用試算 style): simple renewal vs life extension."""
    from fm.app.renewal import report as renewal_report

    if fmt == "xlsx" and output is None:
        raise click.UsageError("--format xlsx needs --output FILE.xlsx")
    if chart is not None and chart.suffix.lower() not in (".png", ".svg"):
        raise click.UsageError("--chart must end in .png or .svg")
    first = start or fiscal_year_of(date.today()) + 1
    with open_database(ctx).session() as session:
        costs = renewal_app.city_unit_costs(session, unit_costs)
        result = renewal_app.renewal_projection(session, start=first, years=years, unit_costs=costs)
    if chart is not None:
        renewal_report.chart(result, chart, scenario=scenario, lang=lang)
    if fmt == "json":
        click.echo(to_json(result))
    elif fmt == "xlsx":
        renewal_report.workbook(result, output)
    elif fmt == "csv":
        frames = [pd.DataFrame(data["rows"]).assign(scenario=name) for name, data in result["scenarios"].items()]
        text = pd.concat(frames).to_csv(index=False, lineterminator="\n")
        if output:
            output.write_text(text, encoding="utf-8")
        else:
            click.echo(text, nl=False)
    else:
        simple, extended = (pd.DataFrame(result["scenarios"][n]["rows"]) for n in ("simple", "extended"))
        table = [
            (str(y), f"{s / 1e8:,.2f}", f"{e / 1e8:,.2f}")
            for y, s, e in zip(simple["fiscal_year"], simple["total"], extended["total"], strict=True)
        ]
        headers = (
            ("年度", "単純更新（億円）", "長寿命化（億円）")
            if lang == "ja"
            else ("FY", "simple (100M yen)", "extended (100M yen)")
        )
        click.echo(tabulate(table, headers=headers, disable_numparse=True, colalign=("left", "right", "right")))
        for name in ("simple", "extended"):
            data = result["scenarios"][name]
            click.echo(
                f"{name}: total {data['total'] / 1e8:,.1f} 億円, "
                f"annual average {data['annual_average'] / 1e8:,.2f} 億円"
            )
        click.echo(
            f"life extension saves {result['difference']['total'] / 1e8:,.1f} 億円 "
            f"({result['difference']['annual_average'] / 1e8:,.2f} 億円 a year)"
        )
        if result["not_projected"]:
            click.echo(
                "not projected (outside the method): "
                + ", ".join(f"{k} {v}" for k, v in result["not_projected"].items())
            )
    for written in (output if fmt == "xlsx" else None, chart):
        if written:
            click.echo(f"wrote {written}", err=True)
