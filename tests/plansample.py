"""Small random registers whose best plan is known by enumeration: the heuristic's test and bench/plan.py."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fm.domain.plan.benefit import candidates
from fm.domain.plan.options import load_interventions


def random_register(rng: np.random.Generator, *, assets: int, years: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Candidates of a small register (the planner's own benefit model) and yearly budgets of 20–60 % of
    what renewing everything would cost, where renewals are often worth their cost."""
    theta = rng.uniform(0.05, 0.4, size=3)  # soundness Ⅰ–Ⅳ
    models = pd.DataFrame({"theta": [theta]}, index=["bridge"])
    frame = pd.DataFrame(
        {
            "id": range(assets),
            "category": "bridge",
            "consequence": rng.uniform(0.2, 1.0, assets),
            "replacement_cost": rng.integers(10, 200, assets) * 1_000_000,
        }
    )
    now = rng.dirichlet(np.full(4, 0.6), size=assets)
    table, _ = candidates(frame, {"bridge": (frame.index, now)}, models, load_interventions(), years=years)
    # whole yen, as budgets are (the floor of the share drawn: the same plans fit as under the fraction)
    budgets = np.full(years, int(float(frame["replacement_cost"].sum()) * rng.uniform(0.2, 0.6) / years))
    return table.reset_index(drop=True), budgets


def enumerate_best(table: pd.DataFrame, budgets: np.ndarray) -> float:
    """The exact optimum by trying every combination of one candidate (or none) per asset (all at once:
    an array of every combination's spending per year and benefit)."""
    options = [np.append(group.index.to_numpy(), -1) for _, group in table.groupby("asset")]
    cost, benefit, year = table["cost"].to_numpy(), table["benefit"].to_numpy(), table["year"].to_numpy()
    combos = np.stack([g.reshape(-1) for g in np.meshgrid(*options, indexing="ij")], axis=1)
    some = combos >= 0
    picked = np.where(some, combos, 0)
    spent = np.zeros((len(combos), len(budgets)))
    rows = np.arange(len(combos))
    for k in range(combos.shape[1]):
        np.add.at(spent, (rows, year[picked[:, k]]), np.where(some[:, k], cost[picked[:, k]], 0.0))
    value = np.where(some, benefit[picked], 0.0).sum(axis=1)
    fits = np.all(spent <= budgets, axis=1)
    return float(value[fits].max()) if fits.any() else 0.0
