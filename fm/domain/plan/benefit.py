"""Candidate interventions and the risk each one removes over the planning horizon.

Risk in year u is the consequence × the probability of being in the worst state at the end
of year u (the condition part of the risk engine's probability). An intervention at the start
of year t changes the state distribution from then on; its benefit is the risk it removes,
summed over the years t … N of the horizon. Each asset gets at most one intervention in the
horizon, so benefits add up exactly (a second one would depend on the first).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from fm.domain.money import share_of
from fm.domain.plan.options import preventive_share, renew, repair
from fm.domain.risk import markov

ACTIONS = ("preventive", "renewal")


def worst_ahead(theta: np.ndarray, years: int) -> np.ndarray:
    """``W[m, i]``: probability of the worst state m years after being in state i (m = 0 … years)."""
    one = markov.transition(theta, 1.0)
    power, out = np.eye(len(theta) + 1), []
    for _ in range(years + 1):
        out.append(power[:, -1])
        power = power @ one
    return np.array(out)


def candidates(
    assets: pd.DataFrame,
    distributions: dict[str, tuple[pd.Index, np.ndarray]],
    models: pd.DataFrame,
    settings: dict[str, Any],
    *,
    years: int,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Every (asset, year, action) worth doing, with cost and benefit; and the baseline risk per year.

    ``assets`` has ``id``, ``category``, ``consequence`` and ``replacement_cost``; rows without a
    replacement cost are not planned. Returns the candidates (``asset`` = row label, ``year`` =
    0 … years−1, ``action``, ``cost`` in yen, ``benefit``) and the risk per year with no action.
    """
    frames, baseline = [], np.zeros(years)
    for category, (rows, now) in distributions.items():
        w = worst_ahead(models.loc[category, "theta"], years)  # (years+1, J)
        cof = assets.loc[rows, "consequence"].to_numpy()
        yen = assets.loc[rows, "replacement_cost"].astype("Int64").fillna(0).to_numpy(dtype="int64")  # exact; NA → 0
        # distribution at the start of each year t, and the worst-state probability at the end of each year u
        one = markov.transition(models.loc[category, "theta"], 1.0)
        starts = [now]
        for _ in range(years - 1):
            starts.append(starts[-1] @ one)
        risk_base = np.stack([now @ w[u] for u in range(1, years + 1)], axis=1) * cof[:, None]  # (n, years)
        baseline += risk_base.sum(axis=0)
        for action in ACTIONS:
            # the share of the replacement cost an action costs, as written in the settings (0.3 is 3/10 exactly)
            share = (
                preventive_share(settings, category) if action == "preventive" else settings["renewal"]["cost_share"]
            )
            for t in range(years):
                after = (
                    repair(starts[t], settings["preventive"]["min_state"])
                    if action == "preventive"
                    else renew(starts[t])
                )
                ahead = np.stack([after @ w[u - t] for u in range(t + 1, years + 1)], axis=1) * cof[:, None]
                benefit = risk_base[:, t:].sum(axis=1) - ahead.sum(axis=1)
                keep = (benefit > 1e-12) & (yen > 0)  # no replacement cost (missing or 0): not planned
                frames.append(
                    pd.DataFrame(
                        {
                            "asset": rows[keep],
                            "year": t,
                            "action": action,
                            "cost": share_of(yen[keep], share),
                            "benefit": benefit[keep],
                        }
                    )
                )
    table = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=["asset", "year", "action", "cost", "benefit"])
    )
    return table, baseline


def risk_by_year(
    assets: pd.DataFrame,
    distributions: dict[str, tuple[pd.Index, np.ndarray]],
    models: pd.DataFrame,
    settings: dict[str, Any],
    chosen: pd.DataFrame,
    *,
    years: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Risk in each year of the horizon without the plan and with the ``chosen`` candidates done."""
    without, removed = np.zeros(years), np.zeros(years)
    for category, (rows, now) in distributions.items():
        theta = models.loc[category, "theta"]
        w, one = worst_ahead(theta, years), markov.transition(theta, 1.0)
        cof = pd.Series(assets.loc[rows, "consequence"].to_numpy(), index=rows)
        without += np.array([(now @ w[u]) @ cof.to_numpy() for u in range(1, years + 1)])
        position = pd.Series(np.arange(len(rows)), index=rows)
        picked = chosen[chosen["asset"].isin(rows)]
        for (year, action), group in picked.groupby(["year", "action"]):
            start = now[position[group["asset"]].to_numpy()] @ np.linalg.matrix_power(one, int(year))
            after = repair(start, settings["preventive"]["min_state"]) if action == "preventive" else renew(start)
            weight = cof[group["asset"]].to_numpy()
            for u in range(int(year) + 1, years + 1):
                removed[u - 1] += ((start @ w[u - year]) - (after @ w[u - year])) @ weight
    return without, without - removed
