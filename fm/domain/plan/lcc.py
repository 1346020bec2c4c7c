"""Life-cycle cost of a preventive strategy against a reactive one, with the deterioration model.

Each year the condition deteriorates by the one-year transition matrix. Then:

- failure (the worst state) is met by emergency renewal: replacement cost × (1 + emergency
  premium) plus the cost of the failure itself (a share of the replacement cost), and the
  asset starts again in the best state — under both strategies;
- preventive strategy only: an asset one state short of the worst gets a preventive repair
  (cost share of the replacement cost) that improves it by one state.

Costs fall in the year they happen (1 … years) and are discounted by (1 + rate)^year.
Expected values by default; Monte Carlo paths give percentiles.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fm.domain.risk import markov

STRATEGIES = ("preventive", "reactive")


def expected_costs(
    theta: np.ndarray,
    start: np.ndarray,
    replacement_cost: np.ndarray,
    preventive_share: float,
    settings: dict[str, Any],
    *,
    years: int,
    strategy: str,
) -> np.ndarray:
    """Expected cost per year (``years``) summed over assets; ``start`` is (n, J), costs (n,).

    Examples
    --------
    Two states, hazard ln 2 (half fail each year), ¥100 replacement, premium 0.3, failure 0.2:
    each year ½ × 100 × 1.5 = 75.

    >>> s = {"reactive": {"emergency_premium": 0.3, "failure_cost_share": 0.2}, "preventive": {"min_state": 2}}
    >>> expected_costs(np.array([np.log(2)]), np.array([[1.0, 0.0]]), np.array([100.0]), 0.1, s,
    ...                years=3, strategy="reactive").round(6).tolist()
    [75.0, 75.0, 75.0]
    """
    one = markov.transition(theta, 1.0)
    failure = replacement_cost * (
        1 + settings["reactive"]["emergency_premium"] + settings["reactive"]["failure_cost_share"]
    )
    distribution, out = start.astype(float).copy(), np.zeros(years)
    worst = distribution.shape[1] - 1
    for year in range(years):
        distribution = distribution @ one
        out[year] += distribution[:, worst] @ failure
        distribution[:, 0] += distribution[:, worst]
        distribution[:, worst] = 0.0
        if strategy == "preventive" and worst - 1 >= settings["preventive"]["min_state"] - 1:
            at_risk = distribution[:, worst - 1].copy()
            out[year] += at_risk @ (replacement_cost * preventive_share)
            distribution[:, worst - 2] += at_risk
            distribution[:, worst - 1] = 0.0
    return out


def simulated_totals(
    theta: np.ndarray,
    start: np.ndarray,
    replacement_cost: np.ndarray,
    preventive_share: float,
    settings: dict[str, Any],
    *,
    years: int,
    strategy: str,
    paths: int,
    seed: int,
    rate: float,
) -> np.ndarray:
    """Discounted total cost of each of ``paths`` simulated histories (summed over assets).

    Each path draws every asset's starting state from its row of ``start`` (n, J), the same
    distribution :func:`expected_costs` starts from.
    """
    rng = np.random.default_rng(seed)
    start_state = (rng.random((paths, len(start)))[..., None] > np.cumsum(start, axis=1)).sum(axis=-1)
    cumulative = np.cumsum(markov.transition(theta, 1.0), axis=1)
    failure = replacement_cost * (
        1 + settings["reactive"]["emergency_premium"] + settings["reactive"]["failure_cost_share"]
    )
    worst = len(theta)
    state = start_state.clip(max=len(theta))  # (paths, n), states from 0
    totals = np.zeros(paths)
    for year in range(1, years + 1):
        draw = rng.random(state.shape)
        state = (draw[..., None] > cumulative[state]).sum(axis=-1).clip(max=worst)
        cost = np.where(state == worst, failure, 0.0)
        state = np.where(state == worst, 0, state)
        if strategy == "preventive" and worst - 1 >= settings["preventive"]["min_state"] - 1:
            repaired = state == worst - 1
            cost = cost + np.where(repaired, replacement_cost * preventive_share, 0.0)
            state = np.where(repaired, worst - 2, state)
        totals += cost.sum(axis=1) / (1 + rate) ** year
    return totals


def discounted(costs: np.ndarray, rate: float) -> float:
    """Σ cost_t / (1 + rate)^t for t = 1 … len(costs)."""
    return float(np.sum(costs / (1 + rate) ** np.arange(1, len(costs) + 1)))
