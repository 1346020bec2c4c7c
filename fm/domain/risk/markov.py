"""The Markov deterioration hazard model (津田・貝戸・青木・小林, 土木学会論文集 No.801/I-73, 2005).

Condition moves one state at a time from 1 (best) to J (worst, absorbing); the time an
asset stays in state i is exponential with hazard θ_i, so the generator matrix Q has
``Q[i, i] = -θ_i`` and ``Q[i, i+1] = θ_i``, and the transition probabilities over z
years are ``P(z) = expm(Q z)``. Because Q is bidiagonal with distinct eigenvalues −θ_i,
``P(z)[i, j] = Σ_k C[i, j, k] exp(−θ_k z)`` with constant coefficients C (the closed
form of the paper), which keeps the likelihood vectorised over inspection pairs.

The θ_i are estimated by maximum likelihood over pairs of consecutive inspections of
the same asset at uneven intervals z: log L = Σ log P(z)[i, j]. Expected years in state
i are 1/θ_i.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

THETA_BOUNDS = (1e-4, 5.0)  # per year: from 10,000 years to ~2.4 months in a state


def generator(theta: np.ndarray) -> np.ndarray:
    """The generator matrix Q: ``Q[i, i] = −θ_i``, ``Q[i, i+1] = θ_i``, the worst state absorbing."""
    rates = np.append(np.asarray(theta, float), 0.0)
    return np.diag(-rates) + np.diag(rates[:-1], 1)


def coefficients(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """``(C, rates)`` with P(z)[i, j] = Σ_k C[i, j, k] exp(−rates[k] z), or None when the closed form is
    ill-conditioned (hazards equal or nearly so: the eigenvectors then cancel each other out)."""
    q = generator(theta)
    rates = -np.diag(q)
    values, vectors = np.linalg.eig(q)
    order = [int(np.argmin(np.abs(values - (-rate)))) for rate in rates]  # eigenvalue k is −rates[k]
    vectors = vectors.real[:, order]
    if len(set(order)) < len(order) or np.linalg.cond(vectors) > 1e6:
        return None
    c = np.einsum("ik,kj->ijk", vectors, np.linalg.inv(vectors))
    return c, rates


def transition(theta: np.ndarray, years: float | np.ndarray) -> np.ndarray:
    """Transition matrix (or a stack of them, one per element of ``years``) over ``years``.

    The closed form where it is well-conditioned, the matrix exponential otherwise (equal hazards,
    as the defaults have).

    Examples
    --------
    >>> p = transition(np.array([0.1]), 2.0)  # two states, hazard 0.1 a year
    >>> np.round(p, 4).tolist()
    [[0.8187, 0.1813], [0.0, 1.0]]
    """
    # Intervals repeat (they are whole days): compute each distinct one once.
    z, inverse = np.unique(np.atleast_1d(np.asarray(years, float)), return_inverse=True)
    closed = coefficients(theta)
    if closed is None:
        from scipy.linalg import (
            expm,  # scipy takes half a second to load: only where it is needed
        )

        p = expm(generator(theta)[None, :, :] * z[:, None, None])
    else:
        c, rates = closed
        p = np.einsum("ijk,zk->zij", c, np.exp(-np.outer(z, rates)))
    p = np.clip(p, 0.0, 1.0)[inverse.reshape(-1)]
    return p[0] if np.ndim(years) == 0 else p


def log_likelihood(
    theta: np.ndarray, start: np.ndarray, end: np.ndarray, years: np.ndarray, weight: np.ndarray | None = None
) -> float:
    """Σ weight · log P(years)[start, end] over pairs (states counted from 0)."""
    prob = transition(theta, years)[np.arange(len(years)), start, end]
    logs = np.log(np.clip(prob, 1e-300, None))
    return float(logs.sum() if weight is None else logs @ weight)


def estimate(
    start: np.ndarray, end: np.ndarray, years: np.ndarray, n_states: int, fixed: dict[int, float] | None = None
) -> np.ndarray:
    """Maximum-likelihood hazards θ_1 … θ_{J−1} from inspection pairs (states counted from 1).

    Pairs must have ``end >= start`` and ``years > 0`` (drop the others first). ``fixed``
    maps states (from 1) to hazards held at a given value, for states the pairs say too
    little about.

    Examples
    --------
    Eight assets in state 1 inspected again after 2 years: six still in 1, two in 2.
    With equal intervals the estimate is closed-form, exp(−2θ) = 6/8:

    >>> theta = estimate(np.ones(8, int), np.array([1] * 6 + [2] * 2), np.full(8, 2.0), 2)
    >>> round(float(theta[0]), 4), round(float(np.log(8 / 6) / 2), 4)
    (0.1438, 0.1438)
    """
    start, end = np.asarray(start) - 1, np.asarray(end) - 1
    years = np.asarray(years, float)
    if np.any(end < start) or np.any(years <= 0):
        raise ValueError("estimate: pairs need end >= start and years > 0")
    # Identical pairs (same states, same interval) add the same term: count them once, weighted.
    unique, weight = np.unique(np.column_stack([start, end, years]), axis=0, return_counts=True)
    start, end, years = unique[:, 0].astype(int), unique[:, 1].astype(int), unique[:, 2]

    fixed = {state - 1: value for state, value in (fixed or {}).items()}
    free = [i for i in range(n_states - 1) if i not in fixed]

    def full(log_free: np.ndarray) -> np.ndarray:
        theta = np.empty(n_states - 1)
        theta[free] = np.exp(log_free)
        for i, value in fixed.items():
            theta[i] = value
        return theta

    if not free:
        return full(np.empty(0))
    from scipy.optimize import (
        minimize,  # scipy takes half a second to load: only where it is needed
    )

    guess = np.log(0.1 * (1 + 0.15 * np.arange(len(free))))
    bounds = [tuple(np.log(THETA_BOUNDS))] * len(free)
    result = minimize(
        lambda x: -log_likelihood(full(x), start, end, years, weight), guess, method="L-BFGS-B", bounds=bounds
    )
    return full(result.x)


def expected_years_to_worst(theta: np.ndarray, distribution: np.ndarray) -> np.ndarray:
    """Expected years until the worst state from each row of state probabilities (memoryless per state)."""
    remaining = np.append(np.cumsum((1.0 / np.asarray(theta))[::-1])[::-1], 0.0)
    return np.asarray(distribution) @ remaining


def pairs(inspections: pd.DataFrame, repairs: pd.DataFrame | None = None) -> pd.DataFrame:
    """Consecutive inspection pairs of each asset: ``asset_id, start, end, years``.

    ``inspections`` has ``asset_id``, ``inspected_on`` and ``state``. Pairs whose state
    improved (a repair, or an inspection error) are dropped, as are pairs with a
    completed repair or renewal of that asset in between when ``repairs`` (``asset_id``,
    ``completed_on``) is given: those do not show deterioration.
    """
    # One state per asset and day (the worse of two inspections on the same day).
    ordered = (
        inspections.dropna(subset=["state"])
        .assign(inspected_on=pd.to_datetime(inspections["inspected_on"]))
        .groupby(["asset_id", "inspected_on"], as_index=False)["state"]
        .max()
        .sort_values(["asset_id", "inspected_on"], ignore_index=True)
    )
    nxt = ordered.groupby("asset_id").shift(-1)
    frame = pd.DataFrame(
        {
            "asset_id": ordered["asset_id"],
            "start": ordered["state"],
            "end": nxt["state"],
            "from_on": pd.to_datetime(ordered["inspected_on"]),
            "to_on": pd.to_datetime(nxt["inspected_on"]),
        }
    ).dropna(subset=["end"])
    frame["years"] = (frame["to_on"] - frame["from_on"]).dt.days / 365.25
    frame = frame[(frame["end"] >= frame["start"]) & (frame["years"] > 0)]
    if repairs is not None and len(repairs):
        done = repairs.assign(completed_on=pd.to_datetime(repairs["completed_on"])).dropna(subset=["completed_on"])
        frame = frame.reset_index(drop=True)
        joined = frame.assign(row=frame.index).merge(done[["asset_id", "completed_on"]], on="asset_id")
        between = joined[(joined["completed_on"] > joined["from_on"]) & (joined["completed_on"] <= joined["to_on"])]
        frame = frame.drop(index=between["row"].unique())
    return frame.astype({"start": int, "end": int})[["asset_id", "start", "end", "years"]].reset_index(drop=True)
