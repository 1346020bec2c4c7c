"""`fm map`: a map as one standalone HTML file."""

from __future__ import annotations

from pathlib import Path

import click

from fm import progress
from fm.cli.context import open_database, risk_config, without_collector
from fm.cli.progress import progress_bar


@click.command("map")
@click.argument("kind", type=click.Choice(["risk", "plans", "land", "districts", "repairs"]))
@click.argument("out", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--district", metavar="IDS", help="risk, plans: only these district ids (comma-separated).")
@click.option("--class", "cls", metavar="CLASSES", help="risk, plans: only these classes (comma-separated).")
@click.option("--condition", metavar="STATES", help="risk, plans: only these latest states, 1–5 (comma-separated).")
@click.option("--category", metavar="CODES", help="risk, plans: only these categories (comma-separated).")
@click.option(
    "--fiscal-year",
    "fiscal_year",
    metavar="YEAR",
    help="plans, land, districts, repairs: the fiscal year (default: the current one).",
)
@click.option(
    "--indicator",
    default="risk",
    show_default=True,
    type=click.Choice(["risk", "aging_ratio", "plan_coverage", "reactive_repairs"]),
    help="districts: the indicator.",
)
@click.option("--years", metavar="N", help="repairs: fiscal years back from --fiscal-year.  [default: 5]")
@click.option(
    "--basemap",
    envvar="FM_BASEMAP",
    default="gsi",
    show_default=True,
    help="gsi, none, or an XYZ tile URL (env FM_BASEMAP).",
)
@click.option("--basemap-attribution", envvar="FM_BASEMAP_ATTRIBUTION", help="Credit of an XYZ tile URL.")
@click.option("--lang", type=click.Choice(["ja", "en"]), default="ja", show_default=True)
@click.pass_context
def map_export(
    ctx: click.Context,
    kind: str,
    out: Path,
    district: str | None,
    cls: str | None,
    condition: str | None,
    category: str | None,
    fiscal_year: str | None,
    indicator: str,
    years: str | None,
    basemap: str,
    basemap_attribution: str | None,
    lang: str,
) -> None:
    """Write map KIND as one standalone HTML file OUT that opens offline (e.g. to send to the council).

    Leaflet, fm's script and every feature are inlined; only the background tiles come from
    the tile server (none with --basemap none).
    """
    with without_collector():  # the map's modules (Folium, GeoPandas) and its millions of objects
        from fm.app import maps
        from fm.app.maps import basemap as tile_layers

        tiles = tile_layers(basemap, basemap_attribution)
        given = {
            "district": district,
            "class": cls,
            "condition": condition,
            "category": category,
            "fiscal_year": fiscal_year,
            "indicator": indicator if kind == "districts" else None,
            "years": years,
        }
        args = {key: value for key, value in given.items() if value is not None}
        with progress_bar("fm map"):
            progress.report("reading and drawing the map", 0, 3)
            with open_database(ctx).session() as session:
                m = maps.build_map(
                    session, kind, args, tiles=tiles, static=None, urls=None, config=risk_config(None), lang=lang
                )
            progress.report("writing the page", 1, 3)
            page = m.get_root().render().encode()  # once: megabytes of inlined data
            partial = out.with_name(out.name + ".partial")
            partial.write_bytes(page)
            partial.replace(out)
    click.echo(f"wrote {out} ({len(page) / 1e6:.1f} MB)")
