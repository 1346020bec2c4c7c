"""`fm kpi` and `fm targets`: the indicators, the records behind them, their targets."""

from __future__ import annotations

import click
import pandas as pd
from tabulate import tabulate

from fm.app import kpi as kpi_app
from fm.app.conventions import CONVENTIONS, cli_actor, fiscal_year_label
from fm.app.kpi import INDICATORS
from fm.cli.context import (
    fiscal_year_option,
    indicator_number,
    open_database,
    print_frame,
)
from fm.serialize import to_json


@click.command()
@fiscal_year_option()
@click.option(
    "--records",
    "indicator",
    type=click.Choice(list(INDICATORS)),
    metavar="INDICATOR",
    help="Print the records INDICATOR counted (needs --fiscal-year): " + ", ".join(INDICATORS) + ".",
)
@click.option(
    "--convention",
    type=click.Choice(CONVENTIONS),
    default="fiscal-year",
    show_default=True,
    help="Depreciation convention of the aging ratio.",
)
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@click.option("--lang", type=click.Choice(["ja", "en"]), default="ja", show_default=True)
@click.pass_context
def kpi(
    ctx: click.Context, fiscal_year: int | None, indicator: str | None, convention: str, fmt: str, lang: str
) -> None:
    """The facility-management indicators per fiscal year, with targets and trend.

    Without --fiscal-year: every year with data. JSON is the body of GET /api/kpi.
    """
    with open_database(ctx).session() as session:
        if indicator:
            if fiscal_year is None:
                raise click.UsageError("--records needs --fiscal-year")
            print_frame(kpi_app.kpi_records(session, indicator, fiscal_year=fiscal_year, convention=convention), fmt)
            return
        report = kpi_app.kpi_report(session, fiscal_year=fiscal_year, convention=convention)
    if fmt == "json":
        click.echo(to_json(report))
        return
    if fmt == "csv":
        flat = [
            {
                **{k: v for k, v in row.items() if k not in ("breakdown", "target")},
                "target_value": (row["target"] or {}).get("value"),
                "target_year": (row["target"] or {}).get("fiscal_year"),
            }
            for row in report["indicators"]
        ]
        columns = [k for k in (report["indicators"][0] if flat else {}) if k not in ("breakdown", "target")]
        frame = pd.DataFrame(
            flat, columns=(columns or ["indicator", "fiscal_year", "value"]) + ["target_value", "target_year"]
        )
        click.echo(frame.astype({"target_year": "Int64"}).to_csv(index=False, lineterminator="\n"), nl=False)
        return
    if not report["indicators"]:
        click.echo("no data: load records first (fm demo)")
        return
    label = "name" if lang == "ja" else "name_en"
    track = {True: "○", False: "×", None: "－"} if lang == "ja" else {True: "yes", False: "no", None: "-"}
    headers = (
        ("年度", "指標", "値", "単位", "前年差", "目標", "順調")
        if lang == "ja"
        else ("FY", "indicator", "value", "unit", "change", "target", "on track")
    )
    table = [
        (
            fiscal_year_label(row["fiscal_year"], lang),
            row[label],
            indicator_number(row["value"], row["indicator"]),
            row["unit"],
            ""
            if row["change"] is None
            else "+" * (row["change"] > 0) + indicator_number(row["change"], row["indicator"]),
            _target_text(row["target"], row["direction"]),
            track[row["on_track"]],
        )
        for row in report["indicators"]
    ]
    click.echo(tabulate(table, headers=headers, disable_numparse=True, colalign=("left", "left", "right")))


def _target_text(target: dict | None, direction: str) -> str:
    arrow = "↑" if direction == "up" else "↓"
    if not target or target["value"] is None:
        return arrow
    return f"{arrow} {target['value']:g} ({target['fiscal_year']})"


@click.group(invoke_without_command=True)
@click.pass_context
def targets(ctx: click.Context) -> None:
    """List the indicator targets (data a city edits), or change one with `fm targets set`."""
    if ctx.invoked_subcommand is None:
        with open_database(ctx).session() as session:
            click.echo(tabulate(kpi_app.targets(session).drop(columns="id"), headers="keys", showindex=False))


@targets.command("set")
@click.argument("indicator", type=click.Choice(list(INDICATORS)))
@fiscal_year_option(required=True)
@click.option("--value", type=float, help="Target value; leave out to remove the target of that year.")
@click.option("--source", help="Where the target comes from (plan, decision).")
@click.pass_context
def targets_set(ctx: click.Context, indicator: str, fiscal_year: int, value: float | None, source: str | None) -> None:
    """Set the target of INDICATOR for a fiscal year."""
    with open_database(ctx).session() as session:
        kpi_app.set_target(session, indicator, fiscal_year=fiscal_year, value=value, source=source, actor=cli_actor())
    click.echo(f"{indicator} FY{fiscal_year}: " + ("removed" if value is None else f"target {value:g}"))
