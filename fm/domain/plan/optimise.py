"""Choose interventions to remove the most risk within each year's budget: exact MILP or greedy.

Exact: a 0/1 programme (scipy's ``milp``, HiGHS): maximise Σ benefit·x subject to, for each
asset, Σ x ≤ 1 over its candidates, and for each year, Σ cost·x ≤ budget. Greedy: take the
candidates by benefit per yen, best first, whenever the asset is still free and the year's
budget allows (Dantzig's rule; not optimal in general).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd

from fm.errors import FmError


def solve_exact(
    candidates: pd.DataFrame, budgets: np.ndarray, *, time_limit: float = 120.0, gap: float = 1e-3
) -> np.ndarray:
    """Boolean mask of the chosen candidates: the optimum within a relative ``gap`` (HiGHS).

    Past ``time_limit`` seconds the best plan found so far is returned.

    Examples
    --------
    Budget 10: greedy takes the best ratio (A: 6 for cost 5) and then nothing fits but C;
    the optimum is B + C.

    >>> c = pd.DataFrame({"asset": [0, 1, 2], "year": 0, "cost": [5, 8, 2], "benefit": [6.0, 9.0, 2.0]})
    >>> solve_exact(c, np.array([10])).tolist(), solve_greedy(c, np.array([10])).tolist()
    ([False, True, True], [True, False, True])
    """
    n = len(candidates)
    if n == 0:
        return np.zeros(0, bool)
    # scipy takes half a second to load: only where it is needed, not by every fm command.
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_array, vstack

    scale = max(float(candidates["cost"].max()), 1.0)  # keep the coefficients near 1 for the solver
    assets = pd.factorize(candidates["asset"])[0]
    one_each = coo_array((np.ones(n), (assets, np.arange(n))), shape=(assets.max() + 1, n))
    per_year = coo_array(
        (candidates["cost"].to_numpy() / scale, (candidates["year"].to_numpy(), np.arange(n))), shape=(len(budgets), n)
    )
    constraints = LinearConstraint(
        vstack([one_each, per_year]).tocsr(), -np.inf, np.concatenate([np.ones(assets.max() + 1), budgets / scale])
    )
    with _quiet():  # HiGHS writes progress lines straight to the process's stdout
        result = milp(
            -candidates["benefit"].to_numpy(),
            integrality=np.ones(n),
            bounds=Bounds(0, 1),
            constraints=constraints,
            options={"time_limit": time_limit, "mip_rel_gap": gap},
        )
    if result.x is None:
        raise FmError(f"the MILP found no plan ({result.message}); try --method greedy")
    return result.x > 0.5


@contextmanager
def _quiet() -> Iterator[None]:
    """Send file descriptor 1 to /dev/null for the duration (C libraries print there)."""
    sys.stdout.flush()
    saved = os.dup(1)
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 1)
        try:
            yield
        finally:
            os.dup2(saved, 1)
            os.close(saved)


def solve_greedy(candidates: pd.DataFrame, budgets: np.ndarray) -> np.ndarray:
    """Boolean mask of the candidates the benefit-per-yen rule chooses."""
    cost = candidates["cost"].to_numpy(dtype=float)
    ratio = np.where(cost > 0, candidates["benefit"].to_numpy() / np.maximum(cost, 1e-9), np.inf)
    order = np.argsort(-ratio, kind="stable")
    asset_ids, asset_index = np.unique(candidates["asset"].to_numpy(), return_inverse=True)
    used = np.zeros(len(asset_ids), bool)
    remaining = np.asarray(budgets, float).copy()
    year = candidates["year"].to_numpy()
    chosen = np.zeros(len(candidates), bool)
    cheapest = cost.min() if len(cost) else 0.0
    for i in order:
        a, y = asset_index[i], year[i]
        if not used[a] and cost[i] <= remaining[y]:
            chosen[i], used[a] = True, True
            remaining[y] -= cost[i]
            if remaining.max() < cheapest:
                break
    return chosen
