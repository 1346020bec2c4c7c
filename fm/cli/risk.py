"""`fm score` and `fm inspections`: the risk engine."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import click
import pandas as pd

from fm.app import risk as risk_app
from fm.app.conventions import cli_actor
from fm.app.conventions import fiscal_year as fiscal_year_of
from fm.cli.context import fiscal_year_option, open_database, print_frame, risk_config
from fm.cli.progress import progress_bar
from fm.serialize import to_json


@click.command()
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), help="Score for this day (default: today).")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Risk settings (TOML) over the defaults; env FM_RISK_CONFIG. See docs/risk.md.",
)
@click.option("--top", type=click.IntRange(1), metavar="N", help="List the N worst of the latest run.")
@click.option("--explain", "code", metavar="CODE", help="Say why asset CODE ranks where it does.")
@click.option(
    "--model",
    "show_model",
    is_flag=True,
    help="Per category: pairs used and dropped, hazards (95 % intervals) beside the default, years, curve by age.",
)
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@click.option("--lang", type=click.Choice(["ja", "en"]), default="ja", show_default=True)
@click.pass_context
def score(
    ctx: click.Context,
    as_of,
    config_path: Path | None,
    top: int | None,
    code: str | None,
    show_model: bool,
    fmt: str,
    lang: str,
) -> None:
    """Score every asset's risk (probability × consequence) and store the run.

    With --top, --explain or --model it reads instead of computing.
    """
    config = risk_config(config_path)
    with open_database(ctx).session() as session:
        if show_model:
            models = risk_app.risk_models(session, config=config)
            if fmt == "json":
                click.echo(to_json(models))
            elif fmt == "csv":
                print_frame(pd.DataFrame([row for m in models for row in _state_rows(m)]), fmt)
            else:
                for m in models:
                    dropped = ", ".join(f"{why} {n}" for why, n in m["dropped"].items()) or "none"
                    click.echo(
                        f"\n{m['category']} ({m['name']}): {m['pairs']} pairs used, dropped: {dropped}; "
                        f"{m['years_to_worst']:g} years from state 1 to the worst"
                    )
                    print_frame(pd.DataFrame(_state_rows(m)).drop(columns=["category"]), fmt)
                    if m["by_age"]:
                        click.echo("by age: observed share of inspections in each state (model)")
                        print_frame(
                            pd.DataFrame(
                                [
                                    {
                                        "age": f"{band['age_from']}–{band['age_to']}",
                                        "inspections": band["inspections"],
                                        **{
                                            f"state {k + 1}": f"{o:.2f} ({p:.2f})"
                                            for k, (o, p) in enumerate(
                                                zip(band["observed"], band["model"], strict=True)
                                            )
                                        },
                                    }
                                    for band in m["by_age"]
                                ]
                            ),
                            fmt,
                        )
            return
        if code:
            explained = risk_app.risk_explanation(session, code, lang=lang)
            if fmt == "json":
                click.echo(to_json(explained))
            else:
                click.echo(
                    f"{explained['code']} {explained['name']}: {explained['risk_class']} "
                    f"(score {explained['score']:.3f} = P {explained['probability']:.3f} × "
                    f"C {explained['consequence']:.3f}), #{explained['rank']} of {explained['of']} "
                    f"on {explained['computed_on']}"
                )
                for reason in explained["reasons"]:
                    click.echo(f"  - {reason}")
            return
        if top:
            ranking = risk_app.risk_ranking(session, top=top, lang=lang)
            if fmt == "json":
                click.echo(to_json(ranking))
            else:
                print_frame(
                    pd.DataFrame(
                        [
                            {k: ("; ".join(v) if k == "reasons" else v) for k, v in row.items() if k != "components"}
                            for row in ranking["scores"]
                        ]
                    ),
                    fmt,
                )
            return
        day = as_of.date() if as_of else date.today()
        started = time.perf_counter()
        with progress_bar("fm score", enabled=fmt != "json"):
            summary = risk_app.compute_risk(session, config=config, as_of=day, actor=cli_actor())
    if fmt == "json":
        click.echo(to_json(summary))
    else:
        click.echo(
            f"{summary['assets']:,} assets scored for {day} in {time.perf_counter() - started:.1f} s: "
            + ", ".join(f"{k} {v:,}" for k, v in summary["by_class"].items())
            + (
                " (deterioration models reused: no inspection or repair changed since they were fitted)"
                if summary["models"] == "reused"
                else ""
            )
        )


@click.command()
@click.option(
    "--overdue",
    is_flag=True,
    required=True,
    expose_value=False,
    help="List inspections overdue or due (required: the only listing there is).",
)
@fiscal_year_option()
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Risk settings with the inspection cycles (TOML).",
)
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@click.pass_context
def inspections(ctx: click.Context, fiscal_year: int | None, config_path: Path | None, fmt: str) -> None:
    """Inspections overdue or due in a fiscal year (default: the current one), worst risk first.

    Bridges and tunnels are due every 5 years by statute; other categories by the configured cycles.
    """
    year = fiscal_year or fiscal_year_of(date.today())
    with open_database(ctx).session() as session:
        print_frame(risk_app.inspections_due(session, fiscal_year=year, config=risk_config(config_path)), fmt)


def _state_rows(model: dict) -> list[dict]:
    """One row per state a category's assets can leave: hazard, 95 % credible interval, default, years."""
    return [
        {
            "category": model["category"],
            "state": k + 1,
            "hazard": model["theta"][k],
            "lower_95": model["theta_lower"][k],
            "upper_95": model["theta_upper"][k],
            "default": model["theta_default"],
            "expected_years": model["expected_years"][k],
        }
        for k in range(model["states"] - 1)
    ]
