"""Deterioration fit alone at 1,000,000 assets: 1,280,000 inspections in 19 categories, 570,000 reactive repairs.

    python bench/risk_fit.py

Synthetic inspections (280,000 assets inspected twice, 3–6 years apart, the rest once) and completed
reactive work orders on random days; prints the time of ``deterioration.fit`` (all 19 categories).
Runs against the code before issue 18 as well (it passes ``min_pairs`` there), for comparison.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from fm.domain.risk import deterioration


def main() -> None:
    rng = np.random.default_rng(0)
    n_assets, per = 1_000_000, 19
    cats = pd.DataFrame(
        {
            "code": [f"c{k}" for k in range(per)],
            "condition_scale": ["soundness" if k < 3 else "score" for k in range(per)],
            "useful_life_years": rng.integers(20, 80, per),
        }
    )
    # 1.28 M inspections: 280,000 assets inspected twice, 720,000 once
    twice = 280_000
    asset = np.concatenate([np.repeat(np.arange(twice), 2), np.arange(twice, n_assets)])
    category = asset % per
    first = pd.Timestamp("2014-04-01") + pd.to_timedelta(rng.integers(0, 1800, n_assets), unit="D")
    gap = pd.to_timedelta(rng.integers(3 * 365, 6 * 365, n_assets), unit="D")
    on = np.where(
        np.r_[np.tile([True, False], twice), np.ones(n_assets - twice, bool)], first[asset], (first + gap)[asset]
    )
    state = rng.integers(1, 4, len(asset))
    state[1 : 2 * twice : 2] = np.maximum(state[0 : 2 * twice : 2], state[1 : 2 * twice : 2])
    states = pd.DataFrame(
        {
            "asset_id": asset,
            "category": cats["code"].to_numpy()[category],
            "inspected_on": pd.to_datetime(on),
            "state": state,
        }
    )
    work = pd.DataFrame(
        {
            "asset_id": rng.integers(0, n_assets, 570_000),
            "kind": "reactive",
            "completed_on": pd.Timestamp("2016-04-01") + pd.to_timedelta(rng.integers(0, 3000, 570_000), unit="D"),
        }
    )
    print(len(states), "inspections")
    started = time.perf_counter()
    if "min_pairs" in deterioration.fit.__code__.co_varnames:
        models = deterioration.fit(states, work[["asset_id", "completed_on"]], cats, min_pairs=30)
    else:
        models = deterioration.fit(states, work, cats)
    print(
        f"fit: {time.perf_counter() - started:.1f} s, {len(models)} categories, "
        f"{int(models['pairs'].sum()):,} pairs used"
    )


if __name__ == "__main__":
    main()
