"""`fm portfolio scenario`: scenarios of the portfolio review (施設再編の案): create one, add actions (close,
merge, convert, sell), show it beside doing nothing, compare several, export to Excel, adopt it, delete it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from tabulate import tabulate

from fm.app import scenarios as app
from fm.app.conventions import cli_actor
from fm.cli.context import open_database
from fm.serialize import to_json


@click.group("scenario")
def scenario() -> None:
    """Scenarios: close, merge, convert or sell buildings and see the figures beside doing nothing."""


def _table(result: dict[str, Any]) -> str:
    headers = ["", "doing nothing", *result["scenarios"]]
    rows = []
    for figure in result["figures"]:
        cells = [figure["nothing"], *figure["scenarios"]]
        rows.append([figure["label"], *(f"{c:,}" if isinstance(c, int) else c for c in cells)])
    table = tabulate(rows, headers=headers, disable_numparse=True, colalign=("left", *["right"] * (len(headers) - 1)))
    if result["unsited"]:
        table += "\nno land parcel known under " + ", ".join(result["unsited"]) + ": their sites are not counted"
    return table


@scenario.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_context
def list_(ctx: click.Context, fmt: str) -> None:
    """Every scenario, newest first."""
    with open_database(ctx).session() as session:
        found = app.scenarios(session)
    if fmt == "json":
        click.echo(to_json(found))
        return
    click.echo(tabulate([{k: r[k] for k in ("name", "status", "actions", "created_by")} for r in found], "keys"))


@scenario.command("create")
@click.argument("name")
@click.option("--description", help="What the scenario is for.")
@click.pass_context
def create(ctx: click.Context, name: str, description: str | None) -> None:
    """Create draft scenario NAME."""
    with open_database(ctx).session() as session:
        app.create(session, name, description=description, actor=cli_actor(), source="cli")
    click.echo(f"scenario {name!r} created (draft)")


@scenario.command("add")
@click.argument("name")
@click.argument("action", type=click.Choice(app.ACTIONS))
@click.argument("building")
@click.option("--year", "fiscal_year", type=int, required=True, help="Fiscal year it takes effect (1 April).")
@click.option("--into", "target", metavar="CODE", help="merge: the building the services move into.")
@click.option("--use", "new_use", type=click.Choice(app.SERVICE_KINDS), help="convert: the new kind of service.")
@click.option("--parcel", metavar="CODE", help="The site's land parcel (default: the parcel under the building).")
@click.option("--works-cost", type=int, metavar="YEN", help="Demolition or conversion works, yen.")
@click.option("--notes")
@click.pass_context
def add(ctx: click.Context, name: str, action: str, building: str, **options: Any) -> None:
    """Add ACTION (close, merge, convert, sell) on BUILDING to scenario NAME, checked with its other actions."""
    with open_database(ctx).session() as session:
        app.add_action(session, name, building=building, action=action, actor=cli_actor(), source="cli", **options)
    click.echo(f"{action} {building} added to {name!r}")


@scenario.command("show")
@click.argument("name")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--lang", type=click.Choice(["ja", "en"]), default="ja", show_default=True)
@click.pass_context
def show(ctx: click.Context, name: str, fmt: str, lang: str) -> None:
    """Scenario NAME: its actions and its figures beside doing nothing (JSON = GET /api/portfolio/scenarios/NAME)."""
    with open_database(ctx).session() as session:
        found = app.show(session, name, lang=lang)
    if fmt == "json":
        click.echo(to_json(found))
        return
    summary = found["scenario"]
    click.echo(f"{summary['name']}  ({summary['status']}, {summary['created_by']})")
    if summary["description"]:
        click.echo(summary["description"])
    columns = ("id", "label", "building", "name", "fiscal_year", "target", "new_use", "parcel", "works_cost")
    click.echo(tabulate([{k: a[k] for k in columns} for a in found["actions"]], "keys", disable_numparse=True))
    click.echo()
    click.echo(_table(found["comparison"]))


@scenario.command("compare")
@click.argument("names", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--lang", type=click.Choice(["ja", "en"]), default="ja", show_default=True)
@click.pass_context
def compare(ctx: click.Context, names: tuple[str, ...], fmt: str, lang: str) -> None:
    """Doing nothing and each of NAMES side by side (JSON = GET /api/portfolio/scenarios/compare?name=…)."""
    with open_database(ctx).session() as session:
        found = app.compare(session, list(names), lang=lang)
    click.echo(to_json(found) if fmt == "json" else _table(found))


@scenario.command("export")
@click.argument("names", nargs=-1, required=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), required=True, metavar="FILE.xlsx")
@click.option("--lang", type=click.Choice(["ja", "en"]), default="ja", show_default=True)
@click.pass_context
def export(ctx: click.Context, names: tuple[str, ...], output: Path, lang: str) -> None:
    """Write NAMES side by side with doing nothing, year by year and their actions to an Excel workbook."""
    with open_database(ctx).session() as session:
        body = app.export(session, list(names), lang=lang)
    output.write_bytes(body)
    click.echo(f"wrote {output}")


@scenario.command("adopt")
@click.argument("name")
@click.pass_context
def adopt(ctx: click.Context, name: str) -> None:
    """Adopt NAME: its closures become planned disposals, its sites unused land, its sales parcels disposed of,
    its works planned work orders, in one transaction (audited); a scenario is adopted once."""
    with open_database(ctx).session() as session:
        counts = app.adopt(session, name, actor=cli_actor(), source="cli")
    click.echo(f"scenario {name!r} adopted: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


@scenario.command("remove")
@click.argument("name")
@click.argument("action_id", type=int)
@click.pass_context
def remove(ctx: click.Context, name: str, action_id: int) -> None:
    """Take action ACTION_ID (see `show`) out of draft scenario NAME."""
    with open_database(ctx).session() as session:
        app.remove_action(session, name, action_id, actor=cli_actor(), source="cli")
    click.echo(f"action {action_id} removed from {name!r}")


@scenario.command("delete")
@click.argument("name")
@click.pass_context
def delete(ctx: click.Context, name: str) -> None:
    """Delete draft scenario NAME and its actions (an adopted one is kept)."""
    with open_database(ctx).session() as session:
        app.delete(session, name, actor=cli_actor(), source="cli")
    click.echo(f"scenario {name!r} deleted")
