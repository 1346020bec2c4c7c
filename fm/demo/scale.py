"""A register of any size (up to 1,000,000 assets) for benchmarks, written chunk by chunk.

Same ground, categories and histories as the demo, in the demo's proportions; memory
stays bounded by the chunk size. It is not calibrated to the published figures.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from fm.demo import history, services
from fm.demo.build import PREFIX, TARGETS, _districts
from fm.demo.dataset import TABLES, reference_folder, write_table
from fm.demo.generate import (
    BUILDINGS,
    INFRASTRUCTURE,
    LIFE,
    MEAN_FLOOR,
    REBUILD,
    SEED,
    Ground,
    _build_years,
    _dates_in_years,
    _district_of,
    _place,
    _sample_points,
    _unit_cost_index,
    infrastructure,
    load_ground,
    network_lines,
    to_storage,
)

MAX_ASSETS = 1_000_000
DEMO_SIZE = BUILDINGS + sum(INFRASTRUCTURE.values())


def generate_scaled(count: int, folder: Path, *, seed: int = SEED, chunk: int = 50_000) -> dict[str, int]:
    """Write a ``count``-asset register into ``folder``; return the rows written per table."""
    if not 1 <= count <= MAX_ASSETS:
        raise ValueError(f"--scale must be between 1 and {MAX_ASSETS:,}, got {count:,}")
    rng = np.random.default_rng(seed)
    ground = load_ground(reference_folder())
    folder.mkdir(parents=True, exist_ok=True)
    written = dict.fromkeys(TABLES, 0)
    first = {"assets": 1, "inspections": 1, "work_orders": 1, "traffic_restrictions": 1}
    shares = np.array([BUILDINGS, *INFRASTRUCTURE.values()]) / DEMO_SIZE
    kept: list[pd.DataFrame] = []
    for start in range(0, count, chunk):
        size = min(chunk, count - start)
        counts = rng.multinomial(size, shares)
        assets = pd.concat(
            [
                _buildings(rng, ground, counts[0]),
                infrastructure(rng, ground, dict(zip(INFRASTRUCTURE, counts[1:], strict=True)), reference_parks=False),
            ],
            ignore_index=True,
        )
        assets.insert(0, "id", np.arange(first["assets"], first["assets"] + len(assets)))
        assets.insert(
            1, "code", [f"{PREFIX.get(c, 'BL')}-{i:07d}" for c, i in zip(assets["category"], assets["id"], strict=True)]
        )
        assets["geom"] = to_storage(assets["geom"].to_numpy())
        for flag in ("is_evacuation_shelter", "on_emergency_road", "needs_individual_plan"):
            assets[flag] = assets[flag].fillna(False).astype(bool) if flag in assets else False
        parts = {
            "assets": assets,
            "inspections": history.inspections(rng, assets, first_id=first["inspections"]),
            "work_orders": history.work_orders(
                rng, assets, first_id=first["work_orders"], scale=len(assets) / DEMO_SIZE
            ),
        }
        parts["traffic_restrictions"] = history.restrictions(
            parts["inspections"], parts["work_orders"], first_id=first["traffic_restrictions"]
        )
        for name, frame in parts.items():
            write_table(frame, folder / f"{name}.csv", append=start > 0)
            written[name] += len(frame)
            first[name] = first.get(name, 1) + len(frame)
        if start == 0:
            kept.append(assets.drop(columns="geom"))
    _small_tables(rng, ground, kept[0], folder, written)
    return written


def _buildings(rng, ground: Ground, n: int) -> pd.DataFrame:
    categories = np.array(list(MEAN_FLOOR))
    category = rng.choice(categories, n)
    geoms = shapely.points(_sample_points(rng, n, ground.boundary))
    district = _district_of(ground, geoms)
    year = _build_years(rng, n)
    floor = np.round(np.array([MEAN_FLOOR[c] for c in category]) * rng.lognormal(0, 0.35, n), 1)
    return pd.DataFrame(
        {
            "name": [f"{p}{c}施設" for p, c in zip(_place(rng, district), category, strict=True)],
            "category": category,
            "geom": geoms,
            "district_id": district,
            "year_built": year,
            "structure": "RC",
            "floor_area_m2": floor,
            "acquisition_date": _dates_in_years(rng, year),
            "acquisition_cost": np.round(floor * _unit_cost_index(year) / 1000).astype("int64") * 1000,
            "useful_life_years": [LIFE[c] for c in category],
            "replacement_cost": np.round(floor * [REBUILD[c] for c in category] / 1000).astype("int64") * 1000,
            "annual_users": np.round(floor * rng.uniform(5, 40, n)).astype("int64"),
            "is_evacuation_shelter": category == "school",
            "needs_individual_plan": floor >= 100,
            "status": "in_service",
            "closed_on": None,
            "disposed_on": None,
        }
    )


def _small_tables(rng, ground: Ground, assets: pd.DataFrame, folder: Path, written: dict[str, int]) -> None:
    """Districts, plans, land and usage: as in the demo, over the first chunk's assets."""
    covered = int(assets["needs_individual_plan"].sum() * 0.5)
    tables = {
        "districts": _districts(ground),
        "network_lines": network_lines(ground),
        **history.plans(rng, assets, covered_at_end=covered, coverage_year=2025),
    }
    tables["land_parcels"], tables["parcel_uses"] = history.parcels(
        rng, ground.boundary, lambda g: _district_of(ground, g)
    )
    tables["land_parcels"]["geom"] = to_storage(tables["land_parcels"]["geom"].to_numpy())
    tables.update(services.tables(assets, seed=int(rng.integers(2**31))))
    tables["indicator_targets"] = TARGETS.assign(id=np.arange(1, len(TARGETS) + 1))
    for name, frame in tables.items():
        write_table(frame, folder / f"{name}.csv")
        written[name] = len(frame)
