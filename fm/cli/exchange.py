"""`fm import` and `fm export`: records in and out as files."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click

from fm.app import exchange
from fm.app.exchange import EXPORTABLE, IMPORTABLE, Rejected
from fm.cli.context import open_database, without_collector
from fm.cli.progress import progress_bar
from fm.serialize import to_json


@click.command("import")
@click.argument("kind", type=click.Choice(IMPORTABLE))
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--layer", help="GeoPackage layer (default: the only one, or the one named KIND).")
@click.option("--sheet", help="Excel sheet (default: the only one, or the one named KIND).")
@click.option("--crs", type=int, metavar="EPSG", help="CRS of a file that states none (e.g. 6677).")
@click.option("--encoding", help="CSV encoding (default: UTF-8 with or without BOM, else cp932).")
@click.option(
    "--fiscal-year",
    "fiscal_year",
    type=click.IntRange(1900, 2200),
    help="ledger: the fiscal year at whose end its figures stand (default: the last one closed).",
)
@click.option(
    "--dry-run", is_flag=True, help="Check and count what would be added, updated and left alone; write nothing."
)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_context
def import_(
    ctx: click.Context,
    kind: str,
    file: Path,
    layer: str | None,
    sheet: str | None,
    crs: int | None,
    encoding: str | None,
    fiscal_year: int | None,
    dry_run: bool,
    fmt: str,
) -> None:
    """Import FILE (.gpkg, .geojson, .csv, .xlsx) as KIND, all or nothing; existing codes are updated.

    The fixed-asset ledger (固定資産台帳, KIND ledger) is a CSV (UTF-8 or cp932) or Excel table; its figures
    stand at the end of --fiscal-year. Plans come as one workbook (a sheet each: 計画, 対象資産, 工事, 予算)
    or a folder of CSV files.

    Every problem is listed, one a line, with its row, column, value and what is wrong;
    then nothing is written. Columns: docs/import-export.md.
    """
    try:
        # the collector off: the file's rows and checked records live until the command ends
        with progress_bar("fm import", enabled=fmt != "json"), without_collector():
            with open_database(ctx).session() as session:
                result = exchange.import_records(
                    session,
                    kind,
                    file,
                    layer=layer,
                    sheet=sheet,
                    crs=crs,
                    encoding=encoding,
                    dry_run=dry_run,
                    **({"fiscal_year": fiscal_year} if fiscal_year is not None else {}),
                )
    except Rejected as exc:
        if fmt != "json":
            raise
        click.echo(to_json({"kind": kind, "file": file.name, "problems": [asdict(p) for p in exc.details]}))
        ctx.exit(1)
    if fmt == "json":
        click.echo(to_json(result))
        return
    click.echo(
        f"{result['file']} ({result['kind']}): {result['added']:,} added, {result['updated']:,} updated, "
        f"{result['unchanged']:,} unchanged" + (" (dry run: nothing written)" if dry_run else "")
    )
    for sheet, count in result.get("lines", {}).items():
        click.echo(f"  {sheet}: {count:,} lines")
    for move in result.get("moves", []):
        click.echo(f"{move['row']}: work order {move['code']} moved from asset {move['from']} to {move['to']}")
    if result.get("moved", 0) > len(result.get("moves", [])):
        click.echo(f"… {result['moved'] - len(result['moves']):,} more work orders moved to another asset")


@click.command("export")
@click.argument("kind", type=click.Choice(EXPORTABLE))
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--lang", type=click.Choice(["ja", "en"]), default="ja", show_default=True, help="Header language.")
@click.option("--crs", type=int, metavar="EPSG", help="CRS of the geometry (default 4326; 6677 for survey work).")
@click.option(
    "--category",
    multiple=True,
    help="Only assets of this category (repeatable); also for their inspections and work orders.",
)
@click.option("--district", multiple=True, help="Only records in this district (code, repeatable).")
@click.pass_context
def export(
    ctx: click.Context,
    kind: str,
    file: Path,
    lang: str,
    crs: int | None,
    category: tuple[str, ...],
    district: tuple[str, ...],
) -> None:
    """Write KIND to FILE (.gpkg, .geojson, .csv, .xlsx) in the documented column format.

    Plans: FILE.xlsx (a sheet each) or a folder of CSV files (FILE without an extension)."""
    with progress_bar("fm export"):
        with open_database(ctx).session() as session:
            result = exchange.export_records(
                session, kind, file, lang=lang, crs=crs, categories=category, districts=district
            )
    click.echo(
        f"wrote {result['records']:,} {kind} to {file} ({result['format']}"
        + (f", {result['crs']}" if result["crs"] else "")
        + f", {lang} headers)"
    )
