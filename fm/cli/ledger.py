"""`fm ledger`: the fixed-asset ledger (固定資産台帳) beside the register: match, settle, aging ratio."""

from __future__ import annotations

import click

from fm.app import ledger as ledger_app
from fm.app.conventions import cli_actor
from fm.cli.context import open_database, print_frame
from fm.serialize import records, to_json

FORMATS = click.Choice(["table", "json", "csv"])


@click.group("ledger")
def ledger() -> None:
    """The fixed-asset ledger: tie its rows to the register, settle doubtful pairs, compare the aging ratio.

    Import it first with `fm import ledger FILE` (docs/ledger.md)."""


@ledger.command("match")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@click.pass_context
def match(ctx: click.Context, fmt: str) -> None:
    """Tie ledger rows to register assets (ledger number, then name and location); list the doubtful and
    unmatched rows for a person to settle (`fm ledger settle`, or the /ledger page)."""
    with open_database(ctx).session() as session:
        result = ledger_app.match(session, actor=cli_actor())
    if fmt == "json":
        click.echo(to_json({"counts": result["counts"], "rows": records(result["rows"])}))
        return
    if fmt == "table":
        click.echo(", ".join(f"{count:,} {state}" for state, count in result["counts"].items()))
    print_frame(result["rows"], fmt)


@ledger.command("settle")
@click.argument("ledger_no")
@click.argument("asset_code", required=False)
@click.option("--none", "none_", is_flag=True, help="The row is no asset of the register (land, furniture, …).")
@click.pass_context
def settle(ctx: click.Context, ledger_no: str, asset_code: str | None, none_: bool) -> None:
    """Settle LEDGER_NO: it is the register asset ASSET_CODE, or (--none) no asset of the register."""
    if bool(asset_code) == none_:
        raise click.UsageError("give either ASSET_CODE or --none")
    with open_database(ctx).session() as session:
        ledger_app.settle(session, ledger_no, asset_code, actor=cli_actor(), source="cli")
    click.echo(f"{ledger_no}: " + (f"asset {asset_code}" if asset_code else "not in the register"))


@ledger.command("aging")
@click.option("--convention", type=click.Choice(["fiscal-year", "daily"]), default="fiscal-year", show_default=True)
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@click.pass_context
def aging(ctx: click.Context, convention: str, fmt: str) -> None:
    """The aging ratio from the ledger's own figures beside fm's recomputation, the difference per row."""
    with open_database(ctx).session() as session:
        result = ledger_app.aging(session, convention=convention)
    if fmt == "json":
        click.echo(to_json({"totals": result["totals"], "rows": records(result["rows"])}))
        return
    totals = result["totals"]
    if fmt == "table":
        click.echo(
            f"aging ratio: ledger {_pct(totals['ledger_ratio'])}, fm {_pct(totals['fm_ratio'])} "
            f"({totals['convention']}); {totals['rows']:,} rows, {totals['in_register']:,} in the register; "
            f"cost {totals['acquisition_cost']:,} yen, book value {totals['book_value']:,} yen"
        )
    print_frame(result["rows"], fmt)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} %"
