"""The facility-location optimiser: which sites of a kind to keep so that every area's population stays within a
distance of a kept site, at the least 40-year cost (docs/portfolio.md).

The location set-covering problem (Toregas et al. 1971, LSCP) with a cost per site: binary ``x_j`` (keep site j),

    minimise  Σ_j cost_j · x_j   subject to   Σ_{j : d_ij ≤ D} x_j ≥ 1   for every area i with people,

solved exactly by :func:`scipy.optimize.milp` (HiGHS, branch and cut; relative gap 0). Areas that no site reaches
within D are reported as ``uncovered`` and left out of the constraints, so the rest is still answered. Costs are
whole yen and the optimum's cost is summed in Python integers. Distances are :func:`catchment.distance_matrix`'s
(straight-line in EPSG:6677 or along a network).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_matrix

from fm.domain.portfolio.catchment import AGE_CLASSES, check_distance, distance_matrix
from fm.errors import ValidationError

TIME_LIMIT_S = 60.0
"""The solver stops here and says so (the demo solves in well under a second)."""


@dataclass(frozen=True)
class LocationResult:
    """The optimiser's answer.

    ``keep``/``close``: site codes (code order). ``cost``: the kept sites' 40-year cost, ``saving``: the closed
    sites' (both whole yen). ``sites``: code, name, keep, cost, areas_covered, population_covered (areas within
    the distance of the site). ``areas``: code, name, population, nearest_kept, distance_m, sites_within (all sites,
    kept or not), covered. ``uncovered``: the codes of the areas with people that no site reaches within the
    distance (infeasible whatever is kept). ``optimal``: the solver proved the optimum.
    """

    distance_m: float
    method: str
    keep: list[str]
    close: list[str]
    cost: int
    saving: int
    sites: pd.DataFrame
    areas: pd.DataFrame
    uncovered: list[str]
    optimal: bool
    seconds: float


def population_of(areas: pd.DataFrame) -> pd.Series:
    """The ``population`` column, else the sum of the age classes."""
    if "population" in areas:
        return areas["population"].astype("int64")
    missing = [c for c in AGE_CLASSES if c not in areas]
    if missing:
        raise ValidationError(f"areas: give population or the age classes ({', '.join(missing)} missing)")
    return areas[list(AGE_CLASSES)].sum(axis=1).astype("int64")


def optimise_sites(
    sites: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    distance_m: float,
    costs: Mapping[str, int],
    *,
    network: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    fixed: Iterable[str] = (),
    time_limit_s: float = TIME_LIMIT_S,
) -> LocationResult:
    """The sites to keep so that every area with people is within ``distance_m`` of one, at the least total cost.

    ``sites``: code (unique), name, geometry; ``areas``: code, name, population (or the age classes), geometry;
    ``costs``: each site's 40-year cost in whole yen (every site must have one, ≥ 0); ``network``: lines to
    measure along; ``fixed``: codes of sites that stay whatever (the central library, a site with a lease): the others
    are chosen around them. Equal-cost optima: any one of them.

    >>> from shapely import Point, box
    >>> from fm.domain.geo import PLANE_CRS
    >>> sites = gpd.GeoDataFrame({"code": ["A", "B", "C"], "name": ["a", "b", "c"]},
    ...                          geometry=[Point(0, 0), Point(1000, 0), Point(2000, 0)], crs=PLANE_CRS)
    >>> areas = gpd.GeoDataFrame({"code": ["P", "Q"], "name": ["p", "q"], "population": [10, 20]},
    ...                          geometry=[box(-10, -10, 10, 10), box(1990, -10, 2010, 10)], crs=PLANE_CRS)
    >>> found = optimise_sites(sites, areas, 1000, {"A": 5, "B": 8, "C": 4})
    >>> found.keep, found.cost, found.saving
    (['B'], 8, 9)
    """
    distance = check_distance(distance_m)
    if distance is None:
        raise ValidationError("distance: give the distance (m) every area must stay within")
    if len(sites) == 0:
        raise ValidationError("sites: there is no site to choose from")
    if sites["code"].duplicated().any():
        raise ValidationError(f"sites: codes must be unique, {sites['code'][sites['code'].duplicated()].iloc[0]!r}")
    sites = sites.iloc[np.argsort(sites["code"].to_numpy(), kind="stable")].reset_index(drop=True)
    codes = sites["code"].tolist()
    cost = _costs(codes, costs)
    fixed = list(dict.fromkeys(fixed))
    unknown = [c for c in fixed if c not in set(codes)]
    if unknown:
        raise ValidationError(f"keep: {', '.join(map(repr, unknown))} is not one of these sites ({', '.join(codes)})")
    must = np.isin(np.array(codes, dtype=object), np.array(fixed, dtype=object))
    people = population_of(areas)
    if (people < 0).any():
        raise ValidationError(f"area {areas['code'][(people < 0).to_numpy()].iloc[0]}: population must be 0 or more")
    started = time.perf_counter()
    matrix = distance_matrix(sites, areas, network=network)
    within = matrix <= distance
    needs = (people.to_numpy() > 0) & within.any(axis=0)
    uncovered = areas["code"][(people.to_numpy() > 0) & ~within.any(axis=0)].tolist()
    keep, optimal = _solve(within[:, needs].T, cost, must, time_limit_s)
    seconds = time.perf_counter() - started
    kept_codes = [c for c, k in zip(codes, keep, strict=True) if k]
    closed = [c for c, k in zip(codes, keep, strict=True) if not k]
    site_rows = pd.DataFrame(
        {
            "code": codes,
            "name": sites["name"] if "name" in sites else codes,
            "keep": keep,
            "cost": [int(c) for c in cost],
            "areas_covered": within.sum(axis=1),
            "population_covered": (within * people.to_numpy()[None, :]).sum(axis=1).astype("int64"),
        }
    )
    kept_matrix = np.where(keep[:, None], matrix, np.inf)
    best = kept_matrix.argmin(axis=0)
    best_distance = kept_matrix[best, np.arange(matrix.shape[1])]
    reach = np.isfinite(best_distance)
    area_rows = pd.DataFrame(
        {
            "code": areas["code"].to_numpy(),
            "name": areas["name"].to_numpy() if "name" in areas else areas["code"].to_numpy(),
            "population": people.to_numpy(),
            "nearest_kept": np.where(reach, np.array(codes, dtype=object)[best], None),
            "distance_m": np.where(reach, np.round(best_distance, 1), np.nan),
            "sites_within": within.sum(axis=0),
            "covered": best_distance <= distance,
        }
    )
    kept_cost = sum(int(c) for c, k in zip(cost, keep, strict=True) if k)
    return LocationResult(
        distance_m=distance,
        method="straight" if network is None else "network",
        keep=kept_codes,
        close=closed,
        cost=kept_cost,
        saving=sum(int(c) for c in cost) - kept_cost,
        sites=site_rows,
        areas=area_rows,
        uncovered=uncovered,
        optimal=optimal,
        seconds=seconds,
    )


def _costs(codes: list[str], costs: Mapping[str, int]) -> list[int]:
    problems = []
    out = []
    for code in codes:
        value = costs.get(code)
        if value is None or isinstance(value, bool) or int(value) != value or value < 0:
            problems.append(f"costs: site {code} needs a 40-year cost in whole yen, 0 or more, got {value!r}")
            out.append(0)
        else:
            out.append(int(value))
    if problems:
        raise ValidationError(problems)
    return out


def _solve(cover: np.ndarray, cost: list[int], must: np.ndarray, time_limit_s: float) -> tuple[np.ndarray, bool]:
    """``cover``: areas × sites, True where the site covers the area; ``must``: sites kept whatever. The kept sites
    (bool) and whether proven optimal."""
    n = len(cost)
    if cover.shape[0] == 0:
        return must.copy(), True
    # Yen up to ~10¹¹ a site: scaled to millions for the solver (its tolerances are relative), exact in the answer.
    c = np.array(cost, dtype=float) / 1e6
    constraint = LinearConstraint(csr_matrix(cover.astype(float)), lb=1, ub=np.inf)
    found = milp(
        c,
        constraints=[constraint],
        integrality=np.ones(n),
        bounds=Bounds(must.astype(float), 1),
        options={"time_limit": time_limit_s, "mip_rel_gap": 0.0, "disp": False},
    )
    if found.x is None:
        raise ValidationError(f"optimise: the solver found no answer in {time_limit_s:g} s ({found.message})")
    keep = np.round(found.x).astype(bool) | must
    return _drop_redundant(keep, cover, cost, must), found.status == 0


def _drop_redundant(keep: np.ndarray, cover: np.ndarray, cost: list[int], must: np.ndarray) -> np.ndarray:
    """Sites whose areas are all covered by other kept sites closed (a zero-cost site the solver kept for nothing;
    dearest first), so the answer keeps no site it does not need."""
    keep = keep.copy()
    for j in sorted(np.flatnonzero(keep & ~must), key=lambda j: -cost[j]):
        keep[j] = False
        if not (cover[:, keep].sum(axis=1) >= 1).all():
            keep[j] = True
    return keep
