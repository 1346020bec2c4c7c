"""Scenarios (施設再編の案): close, merge, convert or sell buildings, and see the figures side by side with doing
nothing (docs/portfolio.md#scenarios).

A scenario is a list of actions, each on one held building from a fiscal year Y (taking effect on 1 April of Y):

- ``close``: the building closes; the services it houses end there (a service housed elsewhere too goes on in
  its other buildings, with its users and cost); its site becomes unused land until it is sold or put to use.
- ``merge``: as ``close``, but its services move into ``target``, which must have room for them (its floor area
  less what its own services occupy and what other merges already move in).
- ``convert``: the building is kept (floor area, renewal) and put to another use (``new_use``, a kind of
  service); the services it housed end there.
- ``sell``: the building's site (its land parcel) is sold in Y; a building not closed by the scenario closes in
  that year too.

:func:`apply` turns the register into the register the scenario leaves; every figure of :func:`figures` is one of
fm's existing functions run on a register: the renewal projection (:func:`fm.domain.renewal.projection.
project_renewal`, each closed building counted until its closure), the operating cost (:func:`fm.domain.portfolio.
usage.building_usage`), the aging ratio's what-if (:func:`fm.domain.kpi.whatif.aging_whatif`) and the underused
land indicator (:func:`fm.domain.kpi.measures.underused_land`). Money is integer yen throughout.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from fm.domain.fiscal import fiscal_year_start
from fm.domain.geo import PLANE_CRS
from fm.domain.kpi.measures import KpiData, half_up, measure
from fm.domain.kpi.whatif import aging_whatif
from fm.domain.money import total
from fm.domain.portfolio.usage import building_usage
from fm.domain.renewal.projection import project_renewal

ACTIONS = ("close", "merge", "convert", "sell")
CLOSING = ("close", "merge")
"""Actions that close the building (``sell`` closes it too when nothing else does)."""
HORIZON = 40
"""Years of renewal and operating cost counted (fm renewal's horizon)."""
WHATIF_YEARS = 10
"""Years of the aging ratio and the underused land, year by year."""
SITE_USE = "旧施設跡地"
"""``current_use`` of a closed building's site in the changed register."""
ACTION_COLUMNS = ("building", "action", "fiscal_year", "target", "new_use", "parcel", "works_cost")


@dataclass(frozen=True)
class Register:
    """What a scenario changes and its figures read.

    ``buildings``: the held buildings (id, code, name, category, floor_area_m2, status and the renewal
    projection's columns); ``housed``: service_id, asset_id, floor_area_m2; ``usage``: service_id, fiscal_year,
    users, operating_cost; ``kpi``: the indicators' records (assets, parcels, parcel uses, work orders …);
    ``costs``: the renewal unit costs; ``sites``: asset_id → the id of the land parcel it stands on.
    """

    buildings: pd.DataFrame
    housed: pd.DataFrame
    usage: pd.DataFrame
    kpi: KpiData
    costs: dict[str, Any]
    sites: pd.Series = field(default_factory=lambda: pd.Series(dtype="int64"))
    closed: pd.Series = field(default_factory=lambda: pd.Series(dtype="int64"))
    """asset_id → the fiscal year it closes (in a changed register)."""
    works_cost: int = 0


def find_sites(buildings: gpd.GeoDataFrame, parcels: gpd.GeoDataFrame) -> pd.Series:
    """asset_id → id of the held land parcel each building stands on (its geometry intersects the parcel's, in
    EPSG:6677; of several, the parcel with the lowest code). Buildings on no parcel are left out.

    >>> from shapely import box, Point
    >>> parcels = gpd.GeoDataFrame({"id": [7, 8], "code": ["P2", "P1"], "disposed_on": [None, None]},
    ...                            geometry=[box(0, 0, 10, 10), box(5, 5, 20, 20)], crs=PLANE_CRS)
    >>> buildings = gpd.GeoDataFrame({"id": [1, 2, 3]}, geometry=[Point(6, 6), Point(1, 1), Point(50, 50)],
    ...                              crs=PLANE_CRS)
    >>> find_sites(buildings, parcels).to_dict()
    {1: 8, 2: 7}
    """
    if buildings.empty or parcels.empty:
        return pd.Series(dtype="int64", name="parcel_id")
    held = parcels[pd.to_datetime(parcels["disposed_on"]).isna()]
    left = buildings[["id", buildings.geometry.name]].dropna().to_crs(PLANE_CRS)
    right = held[["id", "code", held.geometry.name]].to_crs(PLANE_CRS).rename(columns={"id": "parcel_id"})
    joined = gpd.sjoin(left, right, predicate="intersects").sort_values(["id", "code"])
    first = joined.drop_duplicates("id")
    return pd.Series(first["parcel_id"].astype("int64").to_numpy(), index=first["id"].astype("int64"), name="parcel_id")


def _text(value: Any) -> str | None:
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) or value == "" else str(value)


def check(
    register: Register,
    actions: pd.DataFrame,
    *,
    current_year: int,
    kinds: tuple[str, ...],
) -> list[str]:
    """Every problem of ``actions`` (columns of :data:`ACTION_COLUMNS`, codes of buildings and parcels), each
    naming the action (its number, from 1), the building and the field; an empty list when they can be applied.

    >>> register = Register(pd.DataFrame({"id": [1, 2], "code": ["A", "B"], "floor_area_m2": [100.0, 150.0]}),
    ...     pd.DataFrame({"service_id": [1, 2], "asset_id": [1, 2], "floor_area_m2": [80.0, 100.0]}),
    ...     pd.DataFrame(), None, {})  # type: ignore[arg-type]
    >>> actions = pd.DataFrame({"building": ["A", "A", "C"], "action": ["merge", "close", "close"],
    ...     "fiscal_year": [2027, 2027, 2020], "target": ["B", None, None]})
    >>> for problem in check(register, actions, current_year=2026, kinds=("library",)): print(problem)
    ... # doctest: +ELLIPSIS
    action 1 (A), target: B has 50.0 m² free, 80.0 m² would move in (floor area 150.0 m², its services ...)
    action 2 (A), building: A is closed twice (actions 1 and 2)
    action 3 (C), building: no held building has the code 'C'
    action 3 (C), fiscal_year: 2020 is in the past (the current fiscal year is 2026)
    """
    actions = actions.reindex(columns=list(ACTION_COLUMNS))
    buildings = register.buildings.set_index("code")
    parcels = set() if register.kpi is None else set(register.kpi.parcels["code"])
    problems: list[str] = []
    closed_by: dict[str, int] = {}
    once: dict[tuple[str, str], int] = {}
    room: dict[str, float] = {}
    rows = list(actions.itertuples(index=False))
    # the buildings each action closes, first, so that a merge into a building closed later is found too
    for n, row in enumerate(rows, start=1):
        if row.action in CLOSING and _text(row.building) and row.building not in closed_by:
            closed_by[row.building] = n
    for n, row in enumerate(rows, start=1):
        code = _text(row.building)

        def problem(field: str, text: str, n: int = n, code: str | None = code) -> None:
            problems.append(f"action {n} ({code or '?'}), {field}: {text}")

        if code is None:
            problem("building", "a building code is required")
            continue
        if code not in buildings.index:
            problem("building", f"no held building has the code {code!r}")
        if row.action not in ACTIONS:
            problem("action", f"{row.action!r} is not one of {', '.join(ACTIONS)}")
            continue
        year = row.fiscal_year
        if year is None or pd.isna(year) or int(year) != year:
            problem("fiscal_year", "a fiscal year is required")
        elif int(year) < current_year:
            problem("fiscal_year", f"{int(year)} is in the past (the current fiscal year is {current_year})")
        key = ("close" if row.action in CLOSING else row.action, code)
        if key in once:
            what = "closed" if key[0] == "close" else "converted" if key[0] == "convert" else "sold"
            problem("building", f"{code} is {what} twice (actions {once[key]} and {n})")
        else:
            once[key] = n
        cost = row.works_cost
        if cost is not None and not pd.isna(cost) and (int(cost) != cost or cost < 0):
            problem("works_cost", f"{cost!r} is not a whole number of yen, 0 or more")
        parcel = _text(row.parcel)
        if parcel is not None and parcel not in parcels:
            problem("parcel", f"no land parcel has the code {parcel!r}")
        if row.action == "convert":
            if _text(row.new_use) not in kinds:
                problem("new_use", f"{row.new_use!r} is not a kind of service ({', '.join(kinds)})")
            if code in closed_by:
                problem("building", f"{code} is closed by action {closed_by[code]}: it cannot be converted")
        if row.action == "sell":
            if (
                code in closed_by
                and year is not None
                and not pd.isna(year)
                and int(year) < int(rows[closed_by[code] - 1].fiscal_year or 0)
            ):
                problem("fiscal_year", f"the sale ({int(year)}) comes before the closure (action {closed_by[code]})")
            if parcel is None and code in buildings.index and int(buildings.at[code, "id"]) not in register.sites.index:
                problem("parcel", f"no land parcel is known under {code}: give the parcel sold")
        if row.action == "merge":
            target = _text(row.target)
            if target is None:
                problem("target", "a merge needs the building its services move into")
            elif target not in buildings.index:
                problem("target", f"no held building has the code {target!r}")
            elif target == code:
                problem("target", "a building cannot be merged into itself")
            elif target in closed_by:
                problem("target", f"{target} is itself closed (action {closed_by[target]})")
            elif code in buildings.index:
                moved = _occupied(register, code)
                free = _free(register, target) - room.get(target, 0.0)
                if moved > free + 1e-9:
                    problem(
                        "target",
                        f"{target} has {free:.1f} m² free, {moved:.1f} m² would move in (floor area "
                        f"{float(buildings.at[target, 'floor_area_m2']):.1f} m², its services "
                        f"{_occupied(register, target):.1f} m², merged in by earlier actions "
                        f"{room.get(target, 0.0):.1f} m²)",
                    )
                room[target] = room.get(target, 0.0) + moved
    return problems


def _occupied(register: Register, code: str) -> float:
    """The floor area the services of building ``code`` occupy (the building's own where none is stated)."""
    building = register.buildings.set_index("code").loc[code]
    here = register.housed[register.housed["asset_id"] == int(building["id"])]["floor_area_m2"]
    if here.empty:
        return 0.0
    stated = here.dropna()
    return float(stated.sum()) if len(stated) == len(here) else float(building["floor_area_m2"])


def _free(register: Register, code: str) -> float:
    building = register.buildings.set_index("code").loc[code]
    return float(building["floor_area_m2"]) - _occupied(register, code)


def apply(register: Register, actions: pd.DataFrame) -> Register:
    """The register ``actions`` (checked by :func:`check`) leave, the actions taking effect on 1 April of their
    fiscal years: closed buildings disposed of (``disposed_on``) and out of the held buildings, their services
    ended or moved into the merge target, converted buildings emptied of their services, unused sites
    (``parcel_uses`` rows of :data:`SITE_USE` once every building on the parcel is closed) and sold parcels
    (``disposed_on``). The input is not changed."""
    actions = actions.reindex(columns=list(ACTION_COLUMNS))
    ids = register.buildings.set_index("code")["id"].astype("int64")
    parcel_ids = register.kpi.parcels.set_index("code")["id"] if len(register.kpi.parcels) else pd.Series()
    closed: dict[int, int] = {}
    sold: dict[int, int] = {}
    sites = register.sites.copy()
    housed = register.housed.copy()
    for row in actions.sort_values("fiscal_year", kind="stable").itertuples(index=False):
        asset, year = int(ids[row.building]), int(row.fiscal_year)
        if _text(row.parcel):
            sites.loc[asset] = int(parcel_ids[row.parcel])
        if row.action in CLOSING or (row.action == "sell" and asset not in closed):
            closed[asset] = year
        if row.action == "sell" and asset in sites.index:
            sold[int(sites[asset])] = year
        if row.action == "merge":
            housed.loc[housed["asset_id"] == asset, "asset_id"] = int(ids[row.target])
        elif row.action in ("close", "sell", "convert"):
            housed = housed[housed["asset_id"] != asset]
    housed = (
        housed.groupby(["service_id", "asset_id"], as_index=False, sort=False)["floor_area_m2"]
        .sum(min_count=1)
        .astype({"service_id": "int64", "asset_id": "int64"})
    )
    kpi = register.kpi
    assets = kpi.assets.copy()
    leaving = assets["id"].isin(list(closed))
    when = assets.loc[leaving, "id"].map(lambda a: pd.Timestamp(fiscal_year_start(closed[int(a)])))
    assets.loc[leaving, "disposed_on"] = when.dt.date
    parcels = kpi.parcels.copy()
    for parcel, year in sold.items():
        parcels.loc[parcels["id"] == parcel, "disposed_on"] = fiscal_year_start(year)
    # a site is unused from the year the last building on it closes (one still standing keeps it in use)
    on_site = register.sites
    unused = []
    for parcel, standing in on_site.groupby(on_site.to_numpy()).groups.items() if len(on_site) else []:
        standing = [int(a) for a in standing]
        if all(a in closed for a in standing):
            unused.append((int(parcel), max(closed[a] for a in standing)))
    for asset, year in closed.items():  # a site given with the action, not found under the building
        if asset in sites.index and asset not in on_site.index:
            unused.append((int(sites[asset]), year))
    uses = kpi.parcel_uses
    if unused:
        added = pd.DataFrame(
            {
                "parcel_id": [p for p, _ in unused],
                "valid_from": [fiscal_year_start(y) for _, y in unused],
                "current_use": SITE_USE,
                "utilisation": "unused",
            }
        )
        uses = pd.concat([uses, added.reindex(columns=uses.columns)], ignore_index=True)
    works = total(pd.to_numeric(actions["works_cost"], errors="coerce").dropna().astype("int64"))
    return Register(
        buildings=register.buildings,
        housed=housed.reset_index(drop=True),
        usage=register.usage,
        kpi=dataclasses.replace(kpi, assets=assets, parcels=parcels, parcel_uses=uses),
        costs=register.costs,
        sites=sites,
        closed=pd.Series(closed, dtype="int64"),
        works_cost=register.works_cost + works,
    )


def renewal_years(register: Register, *, start: int, years: int = HORIZON) -> pd.Series:
    """The renewal projection's yearly total (fm renewal, simple renewal) of the register's buildings, from
    ``start``; a closed building's until the year before it closes."""
    buildings = register.buildings
    kept = buildings[~buildings["id"].isin(register.closed.index)]
    table, _ = project_renewal(kept, register.costs, scenario="simple", start=start, years=years)
    out = table["total"].to_numpy().copy()
    for asset, year in register.closed.items():
        one, _ = project_renewal(
            buildings[buildings["id"] == asset], register.costs, scenario="simple", start=start, years=years
        )
        before = max(0, min(years, int(year) - start))
        out[:before] += one["total"].to_numpy()[:before]
    return pd.Series(out, index=np.arange(start, start + years), name="renewal")


def operating_years(
    register: Register, actions: pd.DataFrame, *, start: int, years: int = HORIZON, usage_year: int
) -> pd.Series:
    """Operating cost per fiscal year from ``start``: each year, the ``usage_year`` operating cost of the services
    housed in the register the actions taken effect by then leave (:func:`building_usage`), in integer yen."""
    usage = register.usage[register.usage["fiscal_year"] == usage_year]
    done = pd.to_numeric(actions.reindex(columns=list(ACTION_COLUMNS))["fiscal_year"], errors="coerce")
    out = []
    cache: dict[int, int] = {}
    for year in range(start, start + years):
        effective = actions[(done <= year).to_numpy()]
        if len(effective) not in cache:
            housed = apply(register, effective).housed if len(effective) else register.housed
            cache[len(effective)] = total(building_usage(housed, usage)["operating_cost"].dropna().astype("int64"))
        out.append(cache[len(effective)])
    return pd.Series(out, index=np.arange(start, start + years), name="operating_cost", dtype=object)


def figures(register: Register, actions: pd.DataFrame, *, start: int, usage_year: int) -> dict[str, Any]:
    """The figures of the register ``actions`` leave (none: doing nothing) from ``start`` (the next fiscal year):
    floor area held, renewal in 10 and 40 years, operating cost (a year once every action is done, and over 40
    years), one-off works, and year by year for :data:`WHATIF_YEARS` years the aging ratio (through the
    what-if) and the underused land."""
    operating = operating_years(register, actions, start=start, usage_year=usage_year)
    register = apply(register, actions) if len(actions) else register
    renewal = renewal_years(register, start=start)
    whatif = aging_whatif(register.kpi, fiscal_year=start - 1, years=WHATIF_YEARS).as_dict()
    aging = {row["fiscal_year"]: row["planned_value"] for row in whatif["years"]}
    held = register.buildings
    years = []
    for offset, year in enumerate(range(start, start + WHATIF_YEARS)):
        standing = held[~held["id"].isin([a for a, y in register.closed.items() if int(y) <= year])]
        land = measure("underused_land", register.kpi, fiscal_year=year)
        years.append(
            {
                "fiscal_year": year,
                "buildings": len(standing),
                "floor_area_m2": half_up(float(standing["floor_area_m2"].sum()), 1),
                "renewal": int(renewal.iloc[offset]),
                "operating_cost": int(operating.iloc[offset]),
                "aging_ratio": aging[year],
                "underused_land_m2": half_up(float(land.value or 0.0), 2),
            }
        )
    last = years[-1]
    kept = held[~held["id"].isin(register.closed.index)]
    return {
        "buildings": len(kept),
        "floor_area_m2": half_up(float(kept["floor_area_m2"].sum()), 1),
        "renewal_10_years": total(renewal.iloc[:10]),
        "renewal_40_years": total(renewal),
        "operating_cost_year": int(operating.iloc[-1]),
        "operating_cost_40_years": total(operating),
        "works_cost": register.works_cost,
        "cost_40_years": total(renewal) + total(operating) + register.works_cost,
        "aging_ratio": last["aging_ratio"],
        "underused_land_m2": last["underused_land_m2"],
        "years": years,
    }
