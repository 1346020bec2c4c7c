"""The facility-location optimiser against brute-force enumeration of every subset of sites, on small seeded random
cases in EPSG:6677, and its answer when some area no site reaches."""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pytest
from shapely import Point, box

from fm.domain.geo import PLANE_CRS
from fm.domain.portfolio.location import optimise_sites
from fm.errors import ValidationError


def _case(seed: int, n_sites: int, n_areas: int) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, dict[str, int]]:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 5000, (n_sites, 2))
    sites = gpd.GeoDataFrame(
        {"code": [f"S{i:02d}" for i in range(n_sites)], "name": [f"site {i}" for i in range(n_sites)]},
        geometry=[Point(x, y) for x, y in xy],
        crs=PLANE_CRS,
    )
    centres = rng.uniform(0, 5000, (n_areas, 2))
    areas = gpd.GeoDataFrame(
        {
            "code": [f"D{i:02d}" for i in range(n_areas)],
            "name": [f"area {i}" for i in range(n_areas)],
            "population": rng.integers(0, 3000, n_areas),
        },
        geometry=[box(x - 50, y - 50, x + 50, y + 50) for x, y in centres],
        crs=PLANE_CRS,
    )
    costs = {
        code: int(c) for code, c in zip(sites["code"], rng.integers(1, 40, n_sites) * 250_000_000 + 7, strict=True)
    }
    return sites, areas, costs


def _brute_force(sites, areas, costs, distance, fixed=()):
    s = np.column_stack([sites.geometry.x, sites.geometry.y])
    a = np.column_stack([areas.geometry.centroid.x, areas.geometry.centroid.y])
    within = np.hypot(s[:, None, 0] - a[None, :, 0], s[:, None, 1] - a[None, :, 1]) <= distance
    need = (areas["population"].to_numpy() > 0) & within.any(axis=0)
    best = None
    for size in range(len(sites) + 1):
        for chosen in itertools.combinations(range(len(sites)), size):
            if not {sites["code"].iloc[j] for j in chosen} >= set(fixed):
                continue
            if within[list(chosen)][:, need].any(axis=0).all() if chosen else not need.any():
                total = sum(costs[sites["code"].iloc[j]] for j in chosen)
                best = total if best is None else min(best, total)
    return best


@pytest.mark.parametrize("seed", range(8))
def test_the_optimum_equals_enumeration(seed: int) -> None:
    n_sites = 5 + seed % 5  # 5–9 sites: 32–512 subsets
    sites, areas, costs = _case(seed, n_sites, 12)
    distance = 1500.0 + 250 * seed
    found = optimise_sites(sites, areas, distance, costs)
    assert found.optimal
    assert found.cost == _brute_force(sites, areas, costs, distance)
    assert found.cost + found.saving == sum(costs.values())
    assert sorted(found.keep + found.close) == sorted(costs)
    # every area with people that some site reaches is within the distance of a kept site
    reachable = areas.assign(within=found.areas["sites_within"].to_numpy())
    wanted = (reachable["population"] > 0) & (reachable["within"] > 0)
    assert found.areas.loc[wanted.to_numpy(), "covered"].all()
    assert set(found.uncovered) == set(areas["code"][(areas["population"] > 0) & (reachable["within"] == 0)])


@pytest.mark.parametrize("seed", range(3))
def test_sites_kept_whatever_and_the_optimum_around_them_equal_enumeration(seed: int) -> None:
    sites, areas, costs = _case(100 + seed, 7, 12)
    fixed = [max(costs, key=costs.get)]  # the dearest site stays
    found = optimise_sites(sites, areas, 2000.0, costs, fixed=fixed)
    assert fixed[0] in found.keep
    assert found.cost == _brute_force(sites, areas, costs, 2000.0, fixed)
    with pytest.raises(ValidationError, match="^keep: 'NOPE' is not one of these sites"):
        optimise_sites(sites, areas, 2000.0, costs, fixed=["NOPE"])


def test_an_area_no_site_reaches_is_reported_and_the_rest_answered() -> None:
    sites = gpd.GeoDataFrame(
        {"code": ["A", "B"], "name": ["a", "b"]}, geometry=[Point(0, 0), Point(500, 0)], crs=PLANE_CRS
    )
    areas = gpd.GeoDataFrame(
        {"code": ["NEAR", "FAR", "EMPTY"], "name": ["n", "f", "e"], "population": [100, 50, 0]},
        geometry=[box(240, -10, 260, 10), box(9990, -10, 10010, 10), box(20000, 0, 20010, 10)],
        crs=PLANE_CRS,
    )
    found = optimise_sites(sites, areas, 300, {"A": 10, "B": 7})
    assert found.uncovered == ["FAR"]  # EMPTY has no people: it needs no site
    assert found.keep == ["B"] and found.close == ["A"]
    assert (found.cost, found.saving) == (7, 10)
    assert found.areas.set_index("code")["covered"].to_dict() == {"NEAR": True, "FAR": False, "EMPTY": False}


@pytest.mark.parametrize(
    ("distance", "costs", "message"),
    [
        (-5, {"A": 1, "B": 1}, "^distance: "),
        (None, {"A": 1, "B": 1}, "^distance: "),
        (100, {"A": 1}, "^costs: site B"),
        (100, {"A": 1, "B": -2}, "^costs: site B"),
        (100, {"A": 1, "B": 2.5}, "^costs: site B"),
    ],
)
def test_bad_parameters_are_refused_naming_the_field(distance, costs, message) -> None:
    sites, areas, _costs = _case(1, 2, 3)
    sites["code"] = ["A", "B"]
    with pytest.raises(ValidationError, match=message):
        optimise_sites(sites, areas, distance, costs)
