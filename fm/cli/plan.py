"""`fm plan` and `fm lcc`: preventive maintenance planning and life-cycle cost."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click
import pandas as pd
from tabulate import tabulate

from fm.app import plan as plan_app
from fm.app.conventions import cli_actor
from fm.app.conventions import fiscal_year as fiscal_year_of
from fm.cli.context import open_database, risk_config
from fm.cli.progress import progress_bar
from fm.serialize import to_json


def _budgets(raw: str, start: int, years: int) -> list[int]:
    """``--budget`` as one figure for every year, or ``2026=5e8,2027=4e8`` per fiscal year."""
    try:
        if "=" not in raw:
            given = dict.fromkeys(range(start, start + years), int(float(raw)))
        else:
            given = {int(k): int(float(v)) for k, v in (part.split("=") for part in raw.split(","))}
    except (ValueError, OverflowError):
        raise click.BadParameter(
            f"{raw!r}: give yen, e.g. 500000000, or FY=yen pairs like 2026=5e8,2027=4e8", param_hint="--budget"
        ) from None
    negative = [f"{year}: {value:,}" for year, value in given.items() if value < 0]
    if negative:
        raise click.BadParameter(f"budgets must not be negative ({', '.join(negative)})", param_hint="--budget")
    missing = [y for y in range(start, start + years) if y not in given]
    if missing:
        raise click.BadParameter(f"no budget for fiscal year(s) {', '.join(map(str, missing))}", param_hint="--budget")
    return [given[y] for y in range(start, start + years)]


@click.command()
@click.option("--budget", required=True, metavar="YEN|FY=YEN,…", help="Annual budget, one figure or per year.")
@click.option("--start", type=click.IntRange(1900, 2200), help="First fiscal year (default: the next one).")
@click.option("--years", type=click.IntRange(0, 50), default=5, show_default=True, help="Horizon in fiscal years.")
@click.option(
    "--method",
    type=click.Choice(["auto", "exact", "greedy"]),
    default="auto",
    show_default=True,
    help="exact: MILP (HiGHS); greedy: risk removed per yen; auto: exact up to 100,000 candidates.",
)
@click.option(
    "--interventions",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Intervention costs and effects (TOML) over fm/plan/interventions.toml.",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Risk settings (TOML).",
)
@click.option(
    "--ignore-duties",
    is_flag=True,
    help="Choose by risk alone, as if no measure were required by law (for comparison).",
)
@click.option(
    "--duties",
    "duties_path",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Duty settings (TOML) over fm/domain/duties.toml; env FM_DUTIES.",
)
@click.option(
    "--create-work-orders",
    is_flag=True,
    help="Write the first year's interventions as planned work orders (running again adds none twice).",
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json", "csv", "xlsx"]), default="table", show_default=True
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Write csv or xlsx here (xlsx needs it).",
)
@click.pass_context
def plan(
    ctx: click.Context,
    budget: str,
    start: int | None,
    years: int,
    method: str,
    interventions: Path | None,
    config_path: Path | None,
    ignore_duties: bool,
    duties_path: Path | None,
    create_work_orders: bool,
    fmt: str,
    output: Path | None,
) -> None:
    """Plan preventive repairs and renewals for the next years within the budget.

    First the measures the law requires after an inspection judged Ⅲ or Ⅳ, each before its deadline
    (see `fm duties`); when the budget cannot cover them it says so, with the shortfall per year.
    Then what removes the most risk with what is left.
    """
    from fm.app.duties import load_settings as load_duty_settings
    from fm.app.plan import load_interventions

    if years == 0:
        raise click.BadParameter("the horizon must be at least one fiscal year", param_hint="--years")
    if fmt == "xlsx" and output is None:
        raise click.UsageError("--format xlsx needs --output FILE.xlsx")
    first = start or fiscal_year_of(date.today()) + 1
    budgets = _budgets(budget, first, years)
    with progress_bar("fm plan", enabled=fmt != "json"):
        with open_database(ctx).session() as session:
            result = plan_app.maintenance_plan(
                session,
                start=first,
                budgets=budgets,
                method=method,
                settings=load_interventions(interventions),
                config=risk_config(config_path),
                ignore_duties=ignore_duties,
                duty_settings=load_duty_settings(duties_path),
            )
            created = (
                plan_app.create_planned_work_orders(session, result, actor=cli_actor()) if create_work_orders else None
            )
    rows = pd.DataFrame(result["plan"])
    if fmt == "json":
        click.echo(to_json(result))
    elif fmt == "xlsx":
        with pd.ExcelWriter(output, engine="openpyxl") as writer:
            pd.DataFrame(result["per_year"]).to_excel(writer, sheet_name="years", index=False)
            rows.to_excel(writer, sheet_name="plan", index=False)
            pd.DataFrame(result["backlog"]).to_excel(writer, sheet_name="backlog", index=False)
    elif fmt == "csv":
        text = rows.to_csv(index=False, lineterminator="\n")
        output.write_text(text, encoding="utf-8") if output else click.echo(text, nl=False)
    else:
        click.echo(
            tabulate(
                [
                    (
                        str(y["fiscal_year"]),
                        f"{y['budget']:,}",
                        f"{y['spent']:,}",
                        y["used_percent"],
                        y["interventions"],
                        f"{y['risk_without_plan']:.2f}",
                        f"{y['risk_with_plan']:.2f}",
                    )
                    for y in result["per_year"]
                ],
                headers=(
                    "FY",
                    "budget (yen)",
                    "spent (yen)",
                    "used %",
                    "interventions",
                    "risk without",
                    "risk with plan",
                ),
                disable_numparse=True,
                colalign=("left",) + ("right",) * 6,
            )
        )
        click.echo(
            f"{len(rows):,} interventions ({result['method']}, {result['candidates']:,} candidates): "
            f"risk removed {result['risk_removed']:.3f} of {result['risk_without_plan']:.3f}"
            + (
                f"; greedy would remove {result['greedy_risk_removed']:.3f} ({result['greedy_gap_percent']} % less)"
                if result["greedy_gap_percent"] is not None
                else ""
            )
        )
        click.echo(f"backlog: {result['backlog_assets']:,} assets that would benefit are left for later")
        _echo_duties(result)
        if len(rows):
            shown = rows.head(20).assign(
                fiscal_year=rows["fiscal_year"].astype(str),
                cost=rows["cost"].map("{:,}".format),
                duty=rows["duty"].fillna(""),
                deadline=rows["deadline"].fillna("").astype(str),
            )
            click.echo(tabulate(shown, headers="keys", showindex=False, disable_numparse=True))
    if created is not None:
        click.echo(f"{created} planned work orders created for FY{first}", err=True)


def _echo_duties(result: dict) -> None:
    """What the plan does about the statutory duties, and what the budget cannot cover."""
    duties = result["duties"]
    if not duties["considered"]:
        click.echo("duties ignored (--ignore-duties): chosen by risk alone")
        return
    click.echo(
        f"duties first: {duties['scheduled']:,} measures required after Ⅲ/Ⅳ scheduled before their deadlines"
        + (f"; {duties['due_after_horizon']:,} due after the horizon" if duties["due_after_horizon"] else "")
    )
    if not duties["unmet"]:
        return
    short = [y for y in result["per_year"] if y["duty_shortfall"]]
    click.echo(
        f"the budget cannot cover the statutory duties: {len(duties['unmet']):,} left unmet, short "
        + ", ".join(f"FY{y['fiscal_year']} ¥{y['duty_shortfall']:,}" for y in short)
        + (f" (¥{duties['shortfall']:,} in all)" if short else ""),
        err=True,
    )
    click.echo(
        tabulate(
            [
                (
                    u["code"],
                    u["name"],
                    u["soundness"],
                    str(u["deadline"]),
                    "—" if u["cost"] is None else f"{u['cost']:,}",
                )
                for u in duties["unmet"]
            ],
            headers=("unmet duty", "name", "class", "deadline", "cost (yen)"),
            disable_numparse=True,
        ),
        err=True,
    )


@click.command()
@click.option("--asset", "code", metavar="CODE", help="One asset.")
@click.option("--category", help="One category (e.g. bridge).")
@click.option("--years", type=click.IntRange(1, 200), help="Years simulated (default from the settings: 50).")
@click.option("--discount-rate", type=click.FloatRange(0, 1), help="Default from the settings: 0.04.")
@click.option("--monte-carlo", type=click.IntRange(1, 100_000), metavar="N", help="Also simulate N histories.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--interventions", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@click.pass_context
def lcc(
    ctx: click.Context,
    code: str | None,
    category: str | None,
    years: int | None,
    discount_rate: float | None,
    monte_carlo: int | None,
    seed: int,
    interventions: Path | None,
    config_path: Path | None,
    fmt: str,
) -> None:
    """Life-cycle cost of preventive against reactive maintenance (one asset, a category, or all)."""
    from fm.app.plan import load_interventions

    if code and category:
        raise click.UsageError("give --asset or --category, not both")
    settings = load_interventions(interventions)
    years = years or settings["lcc_years"]
    rate = settings["discount_rate"] if discount_rate is None else discount_rate
    with open_database(ctx).session() as session:
        result = plan_app.life_cycle_cost(
            session,
            code=code,
            category=category,
            years=years,
            rate=rate,
            settings=settings,
            config=risk_config(config_path),
            monte_carlo=monte_carlo,
            seed=seed,
            as_of=date.today(),
        )
    if fmt == "json":
        click.echo(to_json(result))
        return
    yearly = pd.DataFrame(
        {"year": range(1, years + 1), **{s: result["strategies"][s]["yearly"] for s in ("preventive", "reactive")}}
    )
    if fmt == "csv":
        click.echo(yearly.to_csv(index=False, lineterminator="\n"), nl=False)
        return
    for strategy, data in result["strategies"].items():
        extra = (
            f"; Monte Carlo p5/p50/p95 ¥{data['monte_carlo']['p5']:,} / ¥{data['monte_carlo']['p50']:,} / "
            f"¥{data['monte_carlo']['p95']:,}"
            if "monte_carlo" in data
            else ""
        )
        click.echo(
            f"{strategy:10s} total ¥{data['total']:,}, discounted ({rate:.0%}) ¥{data['discounted_total']:,}" + extra
        )
    saving = result["saving"]
    click.echo(
        f"preventive saves ¥{saving['discounted_total']:,} discounted ({saving['percent']} %) over {years} "
        f"years on {result['assets']:,} assets: repairs one state before failure avoid emergency "
        "renewals and failure costs"
    )
