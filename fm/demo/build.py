"""Assemble the demo register and calibrate it so the indicators give the published figures.

Calibration changes records, never results: the acquisition costs of assets bought
since 2000 (aging ratio), which facilities the first phase of a plan covers (plan
coverage), the FY2024 executed amounts (execution rate) and the size of the parcels
flagged underused (land area). :func:`build` checks every published figure with the
indicator functions themselves before it returns.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from fm.demo import history, places, services
from fm.demo.generate import (
    PUBLISHED,
    SEED,
    Ground,
    _district_of,
    buildings,
    infrastructure,
    load_ground,
    network_lines,
    to_storage,
)
from fm.domain.depreciation import accumulated_depreciation
from fm.domain.fiscal import fiscal_year_end
from fm.domain.geo import STORAGE_CRS
from fm.domain.kpi.measures import KpiData, measure

PREFIX = {
    "bridge": "BR",
    "tunnel": "TN",
    "road": "RD",
    "sewer_pipe": "SW",
    "river": "RV",
    "retention_pond": "PD",
    "park": "PK",
}
TARGETS = pd.DataFrame(
    [
        {
            "indicator": "plan_coverage",
            "target_year": 2030,
            "target_value": 100.0,
            "source": "鎌倉市の2030年に向けた計画の指標（FY2025 実績 52.3 %、目標 100 %）",
        },
        {
            "indicator": "execution_rate",
            "target_year": 2030,
            "target_value": 100.0,
            "source": "鎌倉市の2030年に向けた計画の指標（FY2024 実績 48.0 %、目標 100 %）",
        },
    ]
)


def _round_half_up(value: float, places_: int) -> float:
    return float(Decimal(repr(value)).quantize(Decimal(1).scaleb(-places_), ROUND_HALF_UP))


def build(seed: int = SEED, reference: Path | None = None) -> dict[str, pd.DataFrame]:
    """Every table of the demo register as a frame (geometry: shapely, EPSG:4326), calibrated."""
    from fm.demo.dataset import reference_folder

    rng = np.random.default_rng(seed)
    ground = load_ground(reference or reference_folder())
    assets = _assets(rng, ground)
    tables = {"districts": _districts(ground), "network_lines": network_lines(ground), "assets": assets}
    tables["inspections"] = history.inspections(rng, assets)
    tables["work_orders"] = history.work_orders(rng, assets)
    tables["traffic_restrictions"] = history.restrictions(tables["inspections"], tables["work_orders"])
    _calibrate_aging(assets)
    tables.update(_plans(rng, assets))
    _calibrate_execution(tables)
    parcels, uses = history.parcels(rng, ground.boundary, lambda g: _district_of(ground, g))
    tables["land_parcels"], tables["parcel_uses"] = _calibrate_land(parcels, uses)
    tables.update(services.tables(assets, seed=seed))
    tables["indicator_targets"] = TARGETS.assign(id=np.arange(1, len(TARGETS) + 1))
    check_published(tables)
    return tables


def kpi_data(tables: dict[str, pd.DataFrame]) -> KpiData:
    """The frames the indicators read, from the demo tables."""
    codes = tables["assets"]["category"].unique()
    categories = pd.DataFrame({"code": codes, "name": codes, "name_en": codes, "useful_life_years": 1})
    return KpiData(
        assets=tables["assets"],
        categories=categories,
        plans=tables.get("individual_plans"),
        plan_assets=tables.get("plan_assets"),
        budget_items=tables.get("plan_budget_items"),
        parcels=gpd.GeoDataFrame(tables["land_parcels"], geometry="geom", crs=STORAGE_CRS)
        if "land_parcels" in tables
        else None,
        parcel_uses=tables.get("parcel_uses"),
        work_orders=tables.get("work_orders"),
    )


def check_published(tables: dict[str, pd.DataFrame]) -> None:
    """Raise unless the indicators, run on ``tables``, give every published figure."""
    data = kpi_data(tables)
    for indicator, (year, published) in PUBLISHED.items():
        got = measure(indicator, data, fiscal_year=year).rounded()
        if got != published:
            raise AssertionError(f"demo calibration: {indicator} FY{year} is {got}, published {published}")


def _districts(ground: Ground) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "id": np.arange(1, 6),
            "code": ground.districts["code"],
            "name": ground.districts["name"],
            "name_en": ground.districts["name_en"],
            "population": [places.POPULATION[c] for c in ground.districts["code"]],
            "population_on": pd.Timestamp("2025-01-01").date(),
            "geom": to_storage(np.array(ground.districts.geometry, dtype=object)),
        }
    )
    return frame


def _assets(rng, ground: Ground) -> pd.DataFrame:
    built = buildings(rng, ground)
    infra = infrastructure(rng, ground)
    assets = pd.concat([built, infra], ignore_index=True)
    assets.insert(0, "id", np.arange(1, len(assets) + 1))
    counters: dict[str, int] = {}
    codes = []
    for category in assets["category"]:
        prefix = PREFIX.get(category, "BL")
        counters[prefix] = counters.get(prefix, 0) + 1
        codes.append(f"{prefix}-{counters[prefix]:05d}")
    assets.insert(1, "code", codes)
    assets["geom"] = to_storage(assets["geom"].to_numpy())
    for flag in ("is_evacuation_shelter", "on_emergency_road", "needs_individual_plan"):
        assets[flag] = assets[flag].fillna(False).astype(bool)
    for column in ("closed_on", "disposed_on"):
        assets[column] = assets[column].where(assets[column].notna(), None)
    return assets


def _calibrate_aging(assets: pd.DataFrame) -> None:
    """Scale the costs of assets acquired since 2000 so that the FY2024 aging ratio is the published one."""
    year, target = PUBLISHED["aging_ratio"]
    acquired, disposed = pd.to_datetime(assets["acquisition_date"]), pd.to_datetime(assets["disposed_on"])
    end = pd.Timestamp(fiscal_year_end(year))
    held = (acquired <= end) & (disposed.isna() | (disposed > end))
    young = acquired >= pd.Timestamp("2000-01-01")
    accumulated = accumulated_depreciation(
        assets["acquisition_cost"], acquired, assets["useful_life_years"], fiscal_year_of=year
    )
    cost = assets["acquisition_cost"].where(held, 0)
    accumulated = accumulated.where(held, 0)
    ratio = target / 100
    old_cost, new_cost = cost[~young].sum(), cost[young].sum()
    old_dep, new_dep = accumulated[~young].sum(), accumulated[young].sum()
    factor = (ratio * old_cost - old_dep) / (new_dep - ratio * new_cost)
    if not 0.05 < factor < 50:
        raise AssertionError(f"demo calibration: aging factor {factor:.3f} is implausible")
    scaled = np.round(assets.loc[young, "acquisition_cost"] * factor / 1000).astype("int64") * 1000
    assets.loc[young, "acquisition_cost"] = scaled


def _plans(rng, assets: pd.DataFrame) -> dict[str, pd.DataFrame]:
    year, target = PUBLISHED["plan_coverage"]
    end = pd.Timestamp(fiscal_year_end(year))
    disposed = pd.to_datetime(assets["disposed_on"])
    need = assets["needs_individual_plan"] & (disposed.isna() | (disposed > end))
    while True:
        needed = int(need.sum())
        covered = next((k for k in range(needed + 1) if _round_half_up(100 * k / needed, 1) == target), None)
        if covered is not None:
            break
        # No whole count gives the figure with this many facilities: one small one needs no plan.
        smallest = assets.loc[
            need & (assets["category"] == "other_building") | need & (assets["floor_area_m2"] < 300), "floor_area_m2"
        ].idxmin()
        assets.loc[smallest, "needs_individual_plan"] = False
        need[smallest] = False
    return history.plans(rng, assets, covered_at_end=covered, coverage_year=year)


def _calibrate_execution(tables: dict[str, pd.DataFrame]) -> None:
    year, target = PUBLISHED["execution_rate"]
    items = tables["plan_budget_items"]
    tied = set(tables["individual_plans"].loc[tables["individual_plans"]["under_infrastructure_plan"], "id"])
    rows = items.index[(items["fiscal_year"] == year) & items["plan_id"].isin(tied)]
    planned = int(items.loc[rows, "planned_amount"].sum())
    wanted = int(round(planned * target / 100, -3))
    current = items.loc[rows, "executed_amount"]
    scaled = (np.floor(current * wanted / current.sum() / 1000) * 1000).astype("int64")
    scaled.iloc[int(np.argmax(scaled.to_numpy()))] += wanted - int(scaled.sum())
    items.loc[rows, "executed_amount"] = scaled


def _calibrate_land(parcels: pd.DataFrame, uses: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Resize the parcels flagged at the end of FY2025 so that their area is the published one."""
    year, target = PUBLISHED["underused_land"]
    plane = parcels["geom"].to_numpy().copy()

    def flagged_area(geoms: np.ndarray) -> tuple[float, pd.DataFrame]:
        frame = parcels.assign(geom=to_storage(geoms))
        tables = {"assets": pd.DataFrame({"category": []}), "land_parcels": frame, "parcel_uses": uses}
        result = measure("underused_land", kpi_data(tables), fiscal_year=year)
        return result.value, result.records

    total, records = flagged_area(plane)
    ids = records["id"].to_numpy()
    rows = parcels.index[parcels["id"].isin(ids)]
    # First bring all flagged parcels to about the right total, then fit one of them exactly.
    plane[rows] = [shapely.affinity.scale(g, *(2 * [np.sqrt(target / total)]), origin="centroid") for g in plane[rows]]
    adjuster = rows[-1]
    for _ in range(8):
        total, _records = flagged_area(plane)
        if _round_half_up(total, 2) == target and abs(total - target) < 0.004:
            break
        own = shapely.area(plane[adjuster])
        wanted = own + (target - total)
        plane[adjuster] = shapely.affinity.scale(plane[adjuster], *(2 * [np.sqrt(wanted / own)]), origin="centroid")
    return parcels.assign(geom=to_storage(plane)), uses
