"""The quantitative evaluation (一次評価) of N synthetic buildings: the domain function alone (frames in memory),
and the card's per-building sharing of services' figures. Prints seconds; run with the project's venv:

    .venv/bin/python bench/portfolio.py --buildings 10000
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buildings", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
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
