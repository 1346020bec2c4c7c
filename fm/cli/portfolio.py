"""`fm portfolio`: the portfolio review (施設と機能の分離): the quantitative evaluation and the facility card."""

from __future__ import annotations

from pathlib import Path

import click
from tabulate import tabulate

from fm.app import portfolio as portfolio_app
from fm.cli.context import fiscal_year_option, open_database, print_frame
from fm.serialize import to_json


@click.group("portfolio")
def portfolio() -> None:
    """Review the portfolio: which buildings to keep, improve, repurpose or merge, or consider closing."""


@portfolio.command("evaluate")
@fiscal_year_option()
@click.option(
    "--settings",
    "settings_path",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Weights and thresholds (TOML) over the packaged ones (env FM_PORTFOLIO; docs/portfolio.md).",
)
@click.option("--quadrant", type=click.Choice(portfolio_app.QUADRANTS), help="Only the buildings of this quadrant.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@click.pass_context
def evaluate(ctx: click.Context, fiscal_year: int | None, settings_path: Path | None, quadrant: str | None, fmt: str):
    """The quantitative evaluation (一次評価): each building on two axes (performance, use) and its quadrant."""
    settings = portfolio_app.load_settings(settings_path)
    with open_database(ctx).session() as session:
        frame = portfolio_app.evaluation_frame(session, settings=settings, fiscal_year=fiscal_year)
    if quadrant:
        frame = frame[frame["quadrant"] == quadrant]
    if fmt == "table":
        frame = frame[["code", "name", "kind", "floor_area_m2", "age", "users", "performance", "use", "quadrant"]]
    print_frame(frame, fmt)


@portfolio.command("card")
@click.argument("code")
@click.option("--service", is_flag=True, help="CODE is a service's (when a building has the same code).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--lang", type=click.Choice(["ja", "en"]), default="ja", show_default=True)
@click.pass_context
def card(ctx: click.Context, code: str, service: bool, fmt: str, lang: str) -> None:
    """The facility card (施設カルテ) of a building or a service: age, condition, risk, usage, costs, renewal."""
    with open_database(ctx).session() as session:
        found = portfolio_app.card(session, code, service=service, lang=lang)
    if fmt == "json":
        click.echo(to_json(found))
        return
    click.echo(f"{found['code']}  {found['name']}")
    facts = [("type", found["type"]), ("floor_area_m2", found["floor_area_m2"])]
    if found["type"] == "building":
        facts += [
            ("age / life", f"{found['age']} / {found['useful_life_years']}"),
            ("condition", found["condition"]["text"]),
            ("risk", (found["risk"] or {}).get("risk_class")),
            ("aging_ratio %", found["aging_ratio"]),
            ("services", ", ".join(f"{s['name']} ({s['share']} %)" for s in found["services"])),
            ("plan_status", found["plan_status"]),
        ]
    else:
        facts += [("buildings", ", ".join(f"{b['code']} {b['name']}" for b in found["buildings"]))]
    renewal = found["renewal"]
    facts += [
        (f"renewal FY{renewal['start']}+10", f"{renewal['next_10_years']:,}"),
        (f"renewal FY{renewal['start']}+40", f"{renewal['next_40_years']:,}"),
    ]
    click.echo(tabulate(facts, tablefmt="plain", disable_numparse=True))
    click.echo()
    years = [{**row, "fiscal_year": str(row["fiscal_year"])} for row in found["years"]]
    click.echo(tabulate(years, headers="keys", floatfmt=",.2f", intfmt=",", disable_numparse=True))
