"""Use cases of catchments and the facility-location optimiser (`fm portfolio catchment|optimise`,
`/api/portfolio/catchments`, `/api/portfolio/optimise`, `/portfolio/catchments`). docs/portfolio.md.

The sites of a kind of service are the held buildings housing at least one service of that kind; the areas are the
districts (or grid cells cut from them) with their population of the fiscal year chosen; the network is the road and
tunnel assets held plus the emergency transport roads (`network_lines`), railways left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from fm.app.portfolio import _buildings, _last_year, _renewal
from fm.app.renewal import city_unit_costs
from fm.domain.fiscal import fiscal_year as fiscal_year_of
from fm.domain.geo import STORAGE_CRS
from fm.domain.maps.basemap import basemap
from fm.domain.maps.build import caption
from fm.domain.maps.catchment import catchment_map as build_map
from fm.domain.portfolio import card as cards
from fm.domain.portfolio.catchment import AGE_CLASSES, Catchments, catchments, check_distance, grid_cells
from fm.domain.portfolio.location import LocationResult, optimise_sites
from fm.domain.portfolio.usage import building_usage
from fm.errors import ValidationError
from fm.io import store
from fm.model.portfolio import SERVICE_KINDS
from fm.serialize import records

NETWORK_CATEGORIES = ("road", "tunnel")
NETWORK_KINDS = ("emergency_road",)
YEARS = 40
"""The optimiser weighs 40 years of cost: renewal over the next 40 fiscal years and 40 × the latest year's
operating cost."""
CELLS = (250, 500, 1000)
"""Grid sizes (m) offered by the page; the CLI and API take any size from 50 m."""


def check_kind(kind: str) -> str:
    if kind not in SERVICE_KINDS:
        raise ValidationError(f"kind: {kind!r} is not a kind of service; choose from {', '.join(SERVICE_KINDS)}")
    return kind


def sites(session: Session, kind: str) -> gpd.GeoDataFrame:
    """The held buildings housing a service of ``kind``: asset id, code, name, services (their names), the floor
    area those services occupy, geometry (EPSG:4326)."""
    check_kind(kind)
    services = store.read_table(session, "services", ("id", "code", "name", "kind"))
    services = services[services["kind"] == kind]
    housed = store.read_table(session, "service_buildings", ("service_id", "asset_id", "floor_area_m2"))
    housed = housed[housed["service_id"].isin(services["id"])]
    if housed.empty:
        raise ValidationError(f"kind: no building houses a service of the kind {kind!r}")
    ids = sorted({int(a) for a in housed["asset_id"]})
    held = _buildings(session, ids=ids)
    shapes = store.read_assets(session, columns=("code", "name", "floor_area_m2", "geom"), ids=held["id"].tolist())
    shapes = shapes[shapes["geom"].notna()]
    names = housed.merge(services.rename(columns={"id": "service_id"}), on="service_id")
    by_asset = names.groupby("asset_id")
    frame = gpd.GeoDataFrame(
        {
            "asset_id": shapes["id"].to_numpy(),
            "code": shapes["code"].to_numpy(),
            "name": shapes["name"].to_numpy(),
            "services": shapes["id"].map(by_asset["name"].agg(lambda n: "・".join(sorted(n)))).to_numpy(),
            "occupied_m2": shapes["id"].map(by_asset["floor_area_m2"].sum(min_count=1)).to_numpy(),
            "floor_area_m2": shapes["floor_area_m2"].to_numpy(),
        },
        geometry=shapes["geom"].to_numpy(),
        crs=STORAGE_CRS,
    )
    if frame.empty:
        raise ValidationError(f"kind: no held building with a location houses a service of the kind {kind!r}")
    return frame.sort_values("code", kind="stable").reset_index(drop=True)


def kinds_with_sites(session: Session) -> list[str]:
    """The kinds of service housed in at least one held building (the page's choices), in SERVICE_KINDS order."""
    services = store.read_table(session, "services", ("id", "kind"))
    housed = store.read_table(session, "service_buildings", ("service_id", "asset_id"))
    held = _buildings(session, ids=sorted({int(a) for a in housed["asset_id"]})) if len(housed) else None
    if held is None or held.empty:
        return []
    kinds = set(services["kind"][services["id"].isin(housed.loc[housed["asset_id"].isin(held["id"]), "service_id"])])
    return [k for k in SERVICE_KINDS if k in kinds]


def population_years(session: Session) -> list[dict[str, Any]]:
    """The fiscal years with population, oldest first, each with ``projected``."""
    people = store.read_table(session, "district_population", ("fiscal_year", "projected"))
    years = people.groupby("fiscal_year")["projected"].max()
    return [{"fiscal_year": int(y), "projected": bool(p)} for y, p in years.items()]


def areas(
    session: Session, *, fiscal_year: int | None = None, cell_m: float | None = None, today: date | None = None
) -> gpd.GeoDataFrame:
    """The districts with their population of ``fiscal_year`` (default: the latest counted, not projected, up to
    the current year), or the grid cells of ``cell_m`` cut from them."""
    people = store.read_table(session, "district_population", ("district_id", "fiscal_year", *AGE_CLASSES, "projected"))
    if people.empty:
        raise ValidationError("fiscal_year: there is no population by district (fm import population)")
    year = fiscal_year if fiscal_year is not None else _default_year(people, today or date.today())
    chosen = people[people["fiscal_year"] == year]
    if chosen.empty:
        known = ", ".join(str(y) for y in sorted(set(people["fiscal_year"])))
        raise ValidationError(f"fiscal_year: there is no population for FY{year}; the years held are {known}")
    districts = store.read_table(session, "districts", ("id", "code", "name", "name_en", "geom"))
    frame = districts.merge(chosen, left_on="id", right_on="district_id")
    frame = gpd.GeoDataFrame(frame, geometry="geom", crs=STORAGE_CRS).rename_geometry("geometry")
    frame = frame[["code", "name", "name_en", *AGE_CLASSES, "projected", "fiscal_year", "geometry"]]
    if cell_m is not None:
        cells = grid_cells(frame, float(cell_m)).to_crs(STORAGE_CRS)
        cells["fiscal_year"] = year
        return cells
    frame = frame.assign(district=frame["code"])
    return frame.reset_index(drop=True)


def _default_year(people: pd.DataFrame, today: date) -> int:
    counted = people[~people["projected"].astype(bool) & (people["fiscal_year"] <= fiscal_year_of(today))]
    return int((counted if len(counted) else people)["fiscal_year"].max())


def network(session: Session) -> gpd.GeoDataFrame:
    """The lines to measure along: held road and tunnel assets and the emergency transport roads."""
    assets = store.read_assets(session, columns=("status", "geom"), categories=NETWORK_CATEGORIES)
    assets = assets[(assets["status"] != "disposed") & assets["geom"].notna()]
    lines = store.read_table(session, "network_lines", ("kind", "geom"))
    lines = lines[lines["kind"].isin(NETWORK_KINDS)]
    geoms = [*assets["geom"], *lines["geom"]]
    if not geoms:
        raise ValidationError("network: fm holds no road lines to measure along; measure straight-line instead")
    return gpd.GeoDataFrame(geometry=geoms, crs=STORAGE_CRS)


def check_cell(cell_m: Any) -> float | None:
    if cell_m is None or cell_m == "":
        return None
    try:
        value = float(cell_m)
    except (TypeError, ValueError):
        raise ValidationError(f"cell: must be a number of metres (50 or more), got {cell_m!r}") from None
    if not np.isfinite(value) or value < 50:
        raise ValidationError(f"cell: must be a number of metres (50 or more), got {cell_m!r}")
    return value


def catchment_result(
    session: Session,
    kind: str,
    *,
    distance_m: float | None = None,
    use_network: bool = False,
    close: str | None = None,
    fiscal_year: int | None = None,
    cell_m: float | None = None,
    today: date | None = None,
) -> tuple[Catchments, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """The catchments of ``kind`` with the sites and areas they were computed on (for the map)."""
    check_kind(kind)
    distance = check_distance(distance_m)
    cell = check_cell(cell_m)
    found_sites = sites(session, kind)
    found_areas = areas(session, fiscal_year=fiscal_year, cell_m=cell, today=today)
    lines = network(session) if use_network else None
    result = catchments(found_sites, found_areas, distance_m=distance, network=lines, close=close)
    served = result.sites.merge(found_sites[["code", "services"]], on="code", how="left")
    usage = _kind_usage(session, kind, found_sites, today=today or date.today())
    served["fiscal_year_usage"] = usage["year"]
    served["users"] = served["code"].map(usage["users"]).astype("Int64")
    served["users_per_resident"] = (
        served["users"].astype(float) / served["population"].where(served["population"] > 0)
    ).round(2)
    result = Catchments(
        method=result.method,
        distance_m=result.distance_m,
        closed=result.closed,
        areas=result.areas.assign(district=found_areas["district"].to_numpy()),
        sites=served,
        summary=result.summary,
    )
    return result, found_sites, found_areas


def catchment(
    session: Session,
    kind: str,
    *,
    distance_m: float | None = None,
    use_network: bool = False,
    close: str | None = None,
    fiscal_year: int | None = None,
    cell_m: float | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """`fm portfolio catchment KIND --format json` and `/api/portfolio/catchments`."""
    result, _sites, found_areas = catchment_result(
        session,
        kind,
        distance_m=distance_m,
        use_network=use_network,
        close=close,
        fiscal_year=fiscal_year,
        cell_m=cell_m,
        today=today,
    )
    return {
        "kind": kind,
        "fiscal_year": int(found_areas["fiscal_year"].iloc[0]),
        "method": result.method,
        "distance_m": result.distance_m,
        "cell_m": check_cell(cell_m),
        "closed": result.closed,
        "summary": result.summary,
        "sites": records(result.sites),
        "areas": records(result.areas),
    }


def _kind_usage(session: Session, kind: str, found: gpd.GeoDataFrame, *, today: date) -> dict[str, Any]:
    """Users and operating cost of the services of ``kind`` in each site (asset code), in the latest recorded
    fiscal year: each service's figures shared over its buildings by floor area (as the facility card)."""
    services = store.read_table(session, "services", ("id", "kind"))
    ids = services.loc[services["kind"] == kind, "id"]
    housed = store.read_table(session, "service_buildings", ("service_id", "asset_id", "floor_area_m2"))
    housed = housed[housed["service_id"].isin(ids)]
    usage = store.read_table(session, "service_usage", ("service_id", "fiscal_year", "users", "operating_cost"))
    usage = usage[usage["service_id"].isin(ids)]
    year = _last_year(usage, today)
    figures = building_usage(housed, usage[usage["fiscal_year"] == year]).set_index("asset_id")
    by_code = found.set_index("code")["asset_id"]
    return {
        "year": year,
        "users": by_code.map(figures["users"]) if len(figures) else by_code.map(lambda _a: None),
        "operating_cost": by_code.map(figures["operating_cost"]) if len(figures) else by_code.map(lambda _a: None),
    }


def site_costs(session: Session, kind: str, found: gpd.GeoDataFrame, *, today: date | None = None) -> pd.DataFrame:
    """Each site's 40-year cost of housing the services of ``kind``, in whole yen: ``operating`` = 40 × the latest
    recorded year's operating cost shared to the building (0 when none is recorded), ``renewal`` = the building's
    renewal due in the next 40 fiscal years (`fm renewal`'s simple renewal, as the facility card) × the floor area
    the kind's services occupy ÷ the building's, half up to the yen; ``cost`` = their sum. By site code."""
    today = today or date.today()
    usage = _kind_usage(session, kind, found, today=today)
    held = _buildings(session, ids=found["asset_id"].tolist())
    totals = _renewal(held, fiscal_year_of(today) + 1, city_unit_costs(session))
    rows = []
    for site in found.itertuples(index=False):
        occupied = 0.0 if pd.isna(site.occupied_m2) else float(site.occupied_m2)
        share = (round(100 * occupied), round(100 * float(site.floor_area_m2)))
        renewal = cards.renewal_due(totals[int(site.asset_id)], share=share)["next_40_years"]
        yearly = usage["operating_cost"].get(site.code)
        operating = 0 if yearly is None or pd.isna(yearly) else YEARS * int(yearly)
        rows.append({"code": site.code, "operating": operating, "renewal": renewal, "cost": operating + renewal})
    return pd.DataFrame(rows).set_index("code")


def optimise_result(
    session: Session,
    kind: str,
    *,
    distance_m: float | None,
    keep: Sequence[str] = (),
    use_network: bool = False,
    fiscal_year: int | None = None,
    cell_m: float | None = None,
    today: date | None = None,
) -> tuple[LocationResult, pd.DataFrame, gpd.GeoDataFrame]:
    check_kind(kind)
    distance = check_distance(distance_m)
    if distance is None:
        raise ValidationError("distance: give the distance (m) every area must stay within, e.g. --distance 1500")
    cell = check_cell(cell_m)
    found_sites = sites(session, kind)
    found_areas = areas(session, fiscal_year=fiscal_year, cell_m=cell, today=today)
    costs = site_costs(session, kind, found_sites, today=today)
    lines = network(session) if use_network else None
    result = optimise_sites(found_sites, found_areas, distance, costs["cost"].to_dict(), network=lines, fixed=keep)
    return result, costs, found_areas


def optimise(
    session: Session,
    kind: str,
    *,
    distance_m: float | None,
    keep: Sequence[str] = (),
    use_network: bool = False,
    fiscal_year: int | None = None,
    cell_m: float | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """`fm portfolio optimise KIND --distance M --format json` and `/api/portfolio/optimise`."""
    result, costs, found_areas = optimise_result(
        session,
        kind,
        distance_m=distance_m,
        keep=keep,
        use_network=use_network,
        fiscal_year=fiscal_year,
        cell_m=cell_m,
        today=today,
    )
    site_rows = result.sites.merge(costs[["operating", "renewal"]], left_on="code", right_index=True)
    return {
        "kind": kind,
        "fiscal_year": int(found_areas["fiscal_year"].iloc[0]),
        "method": result.method,
        "distance_m": result.distance_m,
        "cell_m": check_cell(cell_m),
        "years": YEARS,
        "fixed": list(dict.fromkeys(keep)),
        "keep": result.keep,
        "close": result.close,
        "cost": result.cost,
        "saving": result.saving,
        "optimal": result.optimal,
        "uncovered": result.uncovered,
        "sites": records(
            site_rows[["code", "name", "keep", "operating", "renewal", "cost", "areas_covered", "population_covered"]]
        ),
        "areas": records(result.areas),
    }


TEXT = {
    "ja": {
        "title": "利用圏",
        "areas": "地域",
        "sites": "施設",
        "loses": "閉鎖で距離内の施設を失う地域",
        "unserved": "到達できる施設なし",
        "colours": "色は最寄りの施設（地域・施設を指すと名称を表示）。",
        "area": "地域",
        "population": "人口",
        "nearest": "最寄りの施設",
        "distance": "距離 (m)",
        "after": "閉鎖後の最寄り",
        "closing": "{code} を閉鎖した場合",
        "code": "コード",
        "name": "名称",
        "services": "機能",
        "served": "利用圏の人口",
        "note": "{year}年度の人口、{how}",
        "straight": "直線距離",
        "network": "道路網に沿った距離",
    },
    "en": {
        "title": "Catchments",
        "areas": "Areas",
        "sites": "Sites",
        "loses": "Areas a closure leaves beyond the distance",
        "unserved": "No site reached",
        "colours": "Colour: the nearest site (point at an area or a site for its name).",
        "area": "Area",
        "population": "Population",
        "nearest": "Nearest site",
        "distance": "Distance (m)",
        "after": "Nearest after closing",
        "closing": "if {code} closed",
        "code": "Code",
        "name": "Name",
        "services": "Services",
        "served": "Population served",
        "note": "Population of FY{year}, {how}",
        "straight": "straight-line distance",
        "network": "distance along the roads",
    },
}


def catchment_map(
    result: Catchments,
    found_sites: gpd.GeoDataFrame,
    found_areas: gpd.GeoDataFrame,
    *,
    tiles: Any,
    static: Any,
    lang: str = "ja",
) -> Any:
    """The catchment map (a ``folium.Map``) of a :func:`catchment_result`."""
    words = TEXT["en" if lang == "en" else "ja"]
    frame = result.areas.copy()
    frame["population_text"] = frame["population"].map("{:,}".format)
    frame["distance_text"] = frame["distance_m"].map(lambda d: "—" if pd.isna(d) else f"{d:,.0f}")
    area_fields = {"name": words["area"], "population_text": words["population"], "nearest": words["nearest"]}
    area_fields["distance_text"] = words["distance"]
    if result.closed is not None:
        frame["after_text"] = frame["nearest_after"].fillna("—")
        area_fields["after_text"] = words["after"]
    shapes = gpd.GeoDataFrame(frame, geometry=found_areas.geometry.to_numpy(), crs=found_areas.crs)
    served = result.sites.set_index("code")["population"]
    points = found_sites.assign(served=found_sites["code"].map(served).map("{:,}".format))
    site_fields = {"code": words["code"], "name": words["name"], "services": words["services"]}
    site_fields["served"] = words["served"]
    how = words["network" if result.method == "network" else "straight"]
    return build_map(
        shapes,
        points,
        tiles=tiles,
        bounds=tuple(float(v) for v in found_areas.total_bounds),
        static=static,
        title=words["title"],
        area_fields=area_fields,
        site_fields=site_fields,
        closed=result.closed,
        labels=words,
        note=words["note"].format(year=int(found_areas["fiscal_year"].iloc[0]), how=how),
    )


def catchment_map_html(
    session: Session,
    kind: str,
    *,
    distance_m: float | None = None,
    use_network: bool = False,
    close: str | None = None,
    fiscal_year: int | None = None,
    cell_m: float | None = None,
    basemap_setting: str = "gsi",
    attribution: str | None = None,
    lang: str = "ja",
) -> str:
    """The catchment map as one standalone HTML file that opens offline (Leaflet, fm's script and every area
    inlined; only the background tiles come from the tile server, none with ``basemap_setting="none"``), captioned
    with what it shows and the day it was made (`fm portfolio catchment … --map FILE`)."""
    result, found_sites, found_areas = catchment_result(
        session,
        kind,
        distance_m=distance_m,
        use_network=use_network,
        close=close,
        fiscal_year=fiscal_year,
        cell_m=cell_m,
    )
    tiles = basemap(basemap_setting, attribution)
    m = catchment_map(result, found_sites, found_areas, tiles=tiles, static=None, lang=lang)
    words = TEXT["en" if lang == "en" else "ja"]
    shown = [kind, f"FY{int(found_areas['fiscal_year'].iloc[0])}"]
    shown += [f"{result.distance_m:,.0f} m"] if result.distance_m is not None else []
    shown += [words["network" if result.method == "network" else "straight"]]
    shown += [words["closing"].format(code=close)] if close else []
    caption(m, f"{words['title']} · {' · '.join(shown)} · {date.today().isoformat()}")
    m.get_root().title = f"{words['title']} · fm"
    return m.get_root().render()
