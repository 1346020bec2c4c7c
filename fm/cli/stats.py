"""`fm stats`: counts of the register."""

from __future__ import annotations

import click
from tabulate import tabulate

from fm.app import stats as stats_app
from fm.cli.context import open_database
from fm.serialize import to_json


@click.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="table for people, json for programs (same body as GET /api/stats).",
)
@click.option(
    "--lang", type=click.Choice(["ja", "en"]), default="ja", show_default=True, help="Language of the table's labels."
)
@click.pass_context
def stats(ctx: click.Context, fmt: str, lang: str) -> None:
    """Count the assets the city holds, by category and by district."""
    with open_database(ctx).session() as session:
        counts = stats_app.asset_stats(session)
    if fmt == "json":
        click.echo(to_json(counts))
        return
    label = "name" if lang == "ja" else "name_en"
    headers = {"ja": ("区分", "件数", "地域", "合計"), "en": ("Category", "Assets", "District", "Total")}[lang]
    click.echo(
        tabulate(
            [(row[label], row["count"]) for row in counts["by_category"]] + [(headers[3], counts["total"])],
            headers=headers[:2],
            colalign=("left", "right"),
        )
    )
    click.echo()
    click.echo(
        tabulate(
            [(row[label], row["count"]) for row in counts["by_district"]] + [(headers[3], counts["total"])],
            headers=(headers[2], headers[1]),
            colalign=("left", "right"),
        )
    )
