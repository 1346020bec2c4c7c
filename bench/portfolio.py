"""The quantitative evaluation (一次評価) of N synthetic buildings: the domain function alone (frames in memory),
and the card's per-building sharing of services' figures. Prints seconds; run with the project's venv:

    .venv/bin/python bench/portfolio.py --buildings 10000

With ``--location``: the facility-location optimiser (``fm portfolio optimise``) on the demo (loaded into a
temporary SQLite database, or ``--database-url``), whole use case from the database, goal < 5 s; then the domain
function alone on synthetic sites and areas of growing sizes, to show how the time grows:

    .venv/bin/python bench/portfolio.py --location
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from fm.domain.portfolio.evaluation import evaluate, load_settings
from fm.model.portfolio import SERVICE_KINDS


def synthetic(n: int, seed: int = 16) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``n`` buildings, one service each plus a second in one building in ten, and one service in two buildings
    in twenty; seven fiscal years of usage."""
    rng = np.random.default_rng(seed)
    ids = np.arange(1, n + 1)
    buildings = pd.DataFrame(
        {
            "id": ids,
            "code": [f"BL-{i:06d}" for i in ids],
            "name": [f"建物{i}" for i in ids],
            "district_id": rng.integers(1, 6, n),
            "floor_area_m2": rng.uniform(80, 15_000, n).round(1),
            "year_built": rng.integers(1955, 2024, n),
            "useful_life_years": rng.choice([38, 47, 50], n),
            "state": rng.integers(1, 6, n),
            "scale": "score",
            "risk_class": rng.choice(["very_low", "low", "medium", "high", "very_high", None], n),
        }
    )
    second = ids[::10]
    shared = ids[::20]
    housed = pd.concat(
        [
            pd.DataFrame({"service_id": ids, "asset_id": ids, "share": 0.7}),
            pd.DataFrame({"service_id": n + np.arange(1, len(second) + 1), "asset_id": second, "share": 0.3}),
            pd.DataFrame({"service_id": shared, "asset_id": (shared % n) + 1, "share": 0.2}),
        ],
        ignore_index=True,
    )
    kinds = rng.choice(SERVICE_KINDS, housed["service_id"].max() + 1)
    housed["kind"] = kinds[housed["service_id"].to_numpy()]
    area = buildings.set_index("id")["floor_area_m2"]
    housed["floor_area_m2"] = (housed["asset_id"].map(area) * housed["share"]).round(1)
    services = housed["service_id"].unique()
    years = np.arange(2019, 2026)
    usage = pd.DataFrame(
        {
            "service_id": np.repeat(services, len(years)),
            "fiscal_year": np.tile(years, len(services)),
            "users": rng.integers(0, 200_000, len(services) * len(years)),
            "operating_cost": rng.integers(1_000_000, 500_000_000, len(services) * len(years)) // 1000 * 1000,
        }
    )
    return buildings, housed.drop(columns="share"), usage


LOCATION_GOAL_S = 5.0


def location_demo(url: str | None) -> None:
    """``fm portfolio optimise`` on the demo: every kind with at least 4 sites, districts and 500 m cells, straight
    and along the roads; seconds for the whole use case (reading, costs, distances, the MILP)."""
    import tempfile
    from pathlib import Path

    from click.testing import CliRunner

    from fm.app import catchments
    from fm.cli.group import cli
    from fm.db import Database

    if url is None:
        folder = Path(tempfile.mkdtemp(prefix="fm-bench-location-"))
        url = f"sqlite:///{folder / 'demo.sqlite3'}"
        for command in (["db", "upgrade"], ["demo", "--no-score"]):
            done = CliRunner().invoke(cli, ["--database-url", url, *command])
            assert done.exit_code == 0, done.output
    database = Database(url)
    cases = [("community_centre", 1500), ("child_care", 1500), ("school", 2000), ("library", 4000), ("sports", 3000)]
    worst = 0.0
    for kind, distance in cases:
        for cell in (None, 500):
            for network in (False, True):
                with database.session() as session:
                    started = time.perf_counter()
                    found = catchments.optimise(session, kind, distance_m=distance, use_network=network, cell_m=cell)
                    seconds = time.perf_counter() - started
                worst = max(worst, seconds)
                print(
                    f"demo {kind:16} {distance:>5} m {'network ' if network else 'straight'} "
                    f"{'districts' if cell is None else f'{cell} m cells':9} ({len(found['areas']):>3} areas, "
                    f"{len(found['sites']):>2} sites): {seconds:6.2f} s; keep {len(found['keep']):>2}, "
                    f"uncovered {len(found['uncovered'])}, optimal {found['optimal']}"
                )
    print(f"demo: slowest {worst:.2f} s against the goal of {LOCATION_GOAL_S:.0f} s")
    database.dispose()


def location_growth(sizes: list[tuple[int, int]], seed: int = 16) -> None:
    """The domain function alone (straight-line distances + HiGHS) on ``(sites, areas)`` synthetic cases: sites and
    area centres uniform over a 20 km square, the distance such that an area has about 6 sites within reach."""
    import geopandas as gpd
    from shapely import box, points

    from fm.domain.geo import PLANE_CRS
    from fm.domain.portfolio.location import optimise_sites

    rng = np.random.default_rng(seed)
    side = 20_000.0
    for n_sites, n_areas in sizes:
        xy = rng.uniform(0, side, (n_sites, 2))
        sites = gpd.GeoDataFrame(
            {"code": [f"S{i:05d}" for i in range(n_sites)], "name": ""}, geometry=points(xy), crs=PLANE_CRS
        )
        centres = rng.uniform(0, side, (n_areas, 2))
        areas = gpd.GeoDataFrame(
            {"code": [f"A{i:06d}" for i in range(n_areas)], "name": "", "population": rng.integers(1, 5000, n_areas)},
            geometry=box(centres[:, 0] - 50, centres[:, 1] - 50, centres[:, 0] + 50, centres[:, 1] + 50),
            crs=PLANE_CRS,
        )
        costs = dict(zip(sites["code"], (rng.integers(100, 3000, n_sites) * 1_000_000).tolist(), strict=True))
        distance = side * np.sqrt(6 / (np.pi * n_sites))
        started = time.perf_counter()
        found = optimise_sites(sites, areas, distance, costs)
        seconds = time.perf_counter() - started
        print(
            f"{n_sites:>5} sites × {n_areas:>6} areas, {distance:,.0f} m: {seconds:7.2f} s; keep {len(found.keep):>4}, "
            f"uncovered {len(found.uncovered):>3}, optimal {found.optimal}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buildings", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--location", action="store_true", help="The facility-location optimiser instead.")
    parser.add_argument("--database-url", help="With --location: the demo already loaded here.")
    args = parser.parse_args()
    if args.location:
        location_demo(args.database_url)
        sizes = [(25, 200), (50, 1000), (100, 1000), (100, 5000), (200, 5000), (400, 5000), (400, 20000), (800, 20000)]
        location_growth(sizes)
        return
    buildings, housed, usage = synthetic(args.buildings)
    settings = load_settings()
    times = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        found = evaluate(buildings, housed, usage, settings=settings)
        times.append(time.perf_counter() - started)
    counts = found["quadrant"].value_counts().to_dict()
    print(
        f"evaluate {len(found):,} buildings ({len(housed):,} service-building rows, {len(usage):,} usage rows): "
        f"best {min(times):.3f} s, median {sorted(times)[len(times) // 2]:.3f} s; quadrants {counts}"
    )


if __name__ == "__main__":
    main()
