"""`fm portfolio catchment` and `fm portfolio optimise`: catchments of a kind of service and the sites to keep so
that everyone stays within a distance at the least 40-year cost (docs/portfolio.md)."""

from __future__ import annotations

from pathlib import Path

import click
from tabulate import tabulate

from fm.app import catchments as catchments_app
from fm.cli.context import fiscal_year_option, open_database
from fm.cli.portfolio import portfolio
from fm.serialize import to_json

_kind = click.argument("kind", metavar="KIND")
_network = click.option("--network", is_flag=True, help="Measure along the road lines fm holds, not straight.")
_cell = click.option(
    "--cell", "cell", type=float, metavar="M", help="Cut the districts into M-metre grid cells (population by area)."
)
_format = click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)


def _yen(value: int) -> str:
    return f"¥{value:,}"


@portfolio.command("catchment")
@_kind
@click.option("--distance", "distance", type=float, metavar="M", help="Distance in metres for overlaps and --close.")
@_network
@click.option("--close", "close", metavar="CODE", help="Which areas would lose their site within --distance.")
@fiscal_year_option()
@_cell
@_format
@click.option(
    "--map",
    "map_file",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    metavar="FILE",
    help="Also write the map as one standalone HTML file that opens offline.",
)
@click.option("--basemap", envvar="FM_BASEMAP", default="gsi", show_default=True, help="--map: gsi, none or XYZ URL.")
@click.option("--lang", type=click.Choice(["ja", "en"]), default="ja", show_default=True, help="--map's language.")
@click.pass_context
def catchment(ctx, kind, distance, network, close, fiscal_year, cell, fmt, map_file, basemap, lang) -> None:
    """Which population each site of KIND serves (nearest site), overlaps within --distance, and with --close
    the districts a closure would leave beyond it. KIND: library, community_centre, child_care, …"""
    if map_file is not None:
        with open_database(ctx).session() as session:
            html = catchments_app.catchment_map_html(
                session,
                kind,
                distance_m=distance,
                use_network=network,
                close=close,
                fiscal_year=fiscal_year,
                cell_m=cell,
                basemap_setting=basemap,
                lang=lang,
            )
        partial = map_file.with_name(map_file.name + ".partial")
        partial.write_text(html, encoding="utf-8")
        partial.replace(map_file)
        click.echo(f"wrote {map_file} ({len(html.encode()) / 1e6:.1f} MB)", err=fmt == "json")
    with open_database(ctx).session() as session:
        found = catchments_app.catchment(
            session, kind, distance_m=distance, use_network=network, close=close, fiscal_year=fiscal_year, cell_m=cell
        )
    if fmt == "json":
        click.echo(to_json(found))
        return
    how = "along the network" if found["method"] == "network" else "straight-line"
    click.echo(f"{kind}: population of FY{found['fiscal_year']}, distances {how}")
    site_columns = ["code", "name", "areas", "population", "age_0_14", "age_15_64", "age_65_over"]
    site_columns += ["overlap_population"] if distance is not None else []
    site_columns += ["users", "users_per_resident"]
    click.echo(tabulate([[s[c] for c in site_columns] for s in found["sites"]], headers=site_columns, intfmt=","))
    click.echo()
    area_columns = ["code", "name", "population", "nearest", "distance_m"]
    area_columns += ["sites_within", "overlap", "beyond"] if distance is not None else []
    area_columns += ["nearest_after", "distance_after_m", "loses"] if close else []
    click.echo(tabulate([[a[c] for c in area_columns] for a in found["areas"]], headers=area_columns, intfmt=","))
    click.echo()
    click.echo(tabulate(found["summary"].items(), tablefmt="plain", intfmt=","))


@portfolio.command("optimise")
@_kind
@click.option("--distance", "distance", type=float, required=True, metavar="M", help="Every area within M metres.")
@click.option("--keep", "keep", multiple=True, metavar="CODE", help="A site that stays whatever (repeat for more).")
@_network
@fiscal_year_option()
@_cell
@_format
@click.pass_context
def optimise(ctx, kind, distance, keep, network, fiscal_year, cell, fmt) -> None:
    """The sites of KIND to keep so that every district's population stays within --distance of one, at the least
    40-year cost (operating + renewal); the others could close."""
    with open_database(ctx).session() as session:
        found = catchments_app.optimise(
            session, kind, distance_m=distance, keep=keep, use_network=network, fiscal_year=fiscal_year, cell_m=cell
        )
    if fmt == "json":
        click.echo(to_json(found))
        return
    click.echo(
        f"{kind} within {found['distance_m']:,.0f} m: keep {len(found['keep'])}, close {len(found['close'])}; "
        f"{found['years']}-year cost {_yen(found['cost'])}, saving {_yen(found['saving'])}"
        + ("" if found["optimal"] else " (not proven optimal: the solver stopped at its time limit)")
    )
    if found["uncovered"]:
        click.echo(f"no site reaches within the distance, whatever is kept: {', '.join(found['uncovered'])}")
    rows = [
        [
            s["code"],
            s["name"],
            "keep" if s["keep"] else "close",
            _yen(s["operating"]),
            _yen(s["renewal"]),
            _yen(s["cost"]),
            s["areas_covered"],
            s["population_covered"],
        ]
        for s in found["sites"]
    ]
    headers = ["code", "name", "", "operating", "renewal", "cost", "areas_within", "population_within"]
    click.echo(tabulate(rows, headers=headers, intfmt=",", disable_numparse=True))
