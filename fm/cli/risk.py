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
    "--model", "show_model", is_flag=True, help="Per category: deterioration hazards and expected years in each state."
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
            else:
                frame = pd.DataFrame(
                    [
                        {
                            "category": m["category"],
                            "pairs": m["pairs"],
                            "expected_years": " / ".join(f"{y:g}" for y in m["expected_years"]),
                            "source": m["source"],
                        }
                        for m in models
                    ]
                )
                print_frame(frame, fmt)
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
        summary = risk_app.compute_risk(session, config=config, as_of=day, actor=cli_actor())
    if fmt == "json":
        click.echo(to_json(summary))
    else:
        click.echo(
            f"{summary['assets']:,} assets scored for {day} in {time.perf_counter() - started:.1f} s: "
            + ", ".join(f"{k} {v:,}" for k, v in summary["by_class"].items())
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
