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

from collections.abc import Callable
from functools import lru_cache

import numpy as np
import pandas as pd

THETA_BOUNDS = (1e-4, 5.0)  # per year: from 10,000 years to ~2.4 months in a state


def generator(theta: np.ndarray) -> np.ndarray:
    """The generator matrix Q: ``Q[i, i] = −θ_i``, ``Q[i, i+1] = θ_i``, the worst state absorbing."""
    rates = np.append(np.asarray(theta, float), 0.0)
    return np.diag(-rates) + np.diag(rates[:-1], 1)


def coefficients(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """``(C, rates)`` with P(z)[i, j] = Σ_k C[i, j, k] exp(−rates[k] z), or None when the closed form is
    ill-conditioned (hazards equal or nearly so: the eigenvectors then cancel each other out). Kept for the latest
    hazards asked (read-only arrays): scoring asks again for each category's three or four times."""
    return _coefficients(tuple(np.asarray(theta, float).tolist()))


@lru_cache(maxsize=256)
def _coefficients(theta: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray] | None:
    q = generator(np.array(theta))
    rates = -np.diag(q)
    values, vectors = np.linalg.eig(q)
    order = [int(np.argmin(np.abs(values - (-rate)))) for rate in rates]  # eigenvalue k is −rates[k]
    vectors = vectors.real[:, order]
    if len(set(order)) < len(order) or np.linalg.cond(vectors) > 1e6:
        return None
    c = np.einsum("ik,kj->ijk", vectors, np.linalg.inv(vectors))
    c.flags.writeable = rates.flags.writeable = False
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
    """Expected years until the worst state from each row of state probabilities (memoryless per state). Each
    row's sum is taken in the same order however many rows there are (a matrix product takes another path for one
    row, whose last bit differs), so that scoring the assets in parts gives the whole's figures."""
    remaining = np.append(np.cumsum((1.0 / np.asarray(theta))[::-1])[::-1], 0.0)
    return (np.asarray(distribution) * remaining).sum(axis=-1)


def pairs(inspections: pd.DataFrame, repairs: pd.DataFrame | None = None) -> pd.DataFrame:
    """The usable consecutive inspection pairs of each asset: ``asset_id, start, end, years``.

    The rows of :func:`pair_table` that are not dropped.
    """
    table = pair_table(inspections, repairs)
    kept = table[table["dropped"].isna()]
    return kept[["asset_id", "start", "end", "years"]].reset_index(drop=True)


def pair_table(inspections: pd.DataFrame, work: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every consecutive inspection pair of each asset, ``asset_id, start, end, years, dropped``.

    ``inspections`` has ``asset_id``, ``inspected_on`` and ``state``; ``work`` (``asset_id``,
    ``completed_on``, optionally ``kind`` and ``state_after``) is the completed work that changes
    condition. ``dropped`` says why a pair cannot show deterioration, else it is missing:

    - ``"work:<kind>"``: work was completed between the two inspections. When the latest such work
      records the condition after it (``state_after``), the pair is **split** at the work instead:
      it becomes the pair (state after the work, completion day) → (second inspection), kept unless it
      improved; the part before the work is not a deterioration pair and is not counted.
    - ``"improved"``: the condition got better with no work recorded (an unrecorded repair or an
      inspection error).
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
    frame = frame.reset_index(drop=True)
    frame["dropped"] = pd.Series(pd.NA, index=frame.index, dtype="object")
    if work is not None and len(work):
        done = work.assign(completed_on=pd.to_datetime(work["completed_on"])).dropna(subset=["completed_on"])
        done = done.assign(
            kind=done["kind"] if "kind" in done else "repair",
            state_after=pd.to_numeric(done["state_after"], errors="coerce") if "state_after" in done else np.nan,
        )
        joined = frame[["asset_id", "from_on", "to_on"]].assign(row=frame.index)
        joined = joined.merge(done[["asset_id", "completed_on", "kind", "state_after"]], on="asset_id")
        between = joined[(joined["completed_on"] > joined["from_on"]) & (joined["completed_on"] <= joined["to_on"])]
        latest = between.sort_values(["row", "completed_on"]).drop_duplicates("row", keep="last").set_index("row")
        frame.loc[latest.index, "dropped"] = "work:" + latest["kind"].astype(str)
        split = latest[latest["state_after"].notna()]
        frame.loc[split.index, "start"] = split["state_after"]
        frame.loc[split.index, "from_on"] = split["completed_on"]
        frame.loc[split.index, "dropped"] = pd.NA
    frame["years"] = (frame["to_on"] - frame["from_on"]).dt.days / 365.25
    frame.loc[frame["dropped"].isna() & (frame["end"] < frame["start"]), "dropped"] = "improved"
    frame = frame[frame["years"] > 0]
    return frame.astype({"start": int, "end": int})[["asset_id", "start", "end", "years", "dropped"]].reset_index(
        drop=True
    )


def pair_log_probability(
    theta: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    years: np.ndarray,
    groups: list[tuple[int, int, np.ndarray]] | None = None,
) -> np.ndarray:
    """``log P(years)[start, end]`` for a stack of hazard vectors at once: ``theta`` (K, J−1) → (K, n pairs).

    The closed form of 津田 et al. (2005), state by state: for i ≤ j (counted from 0),
    ``P(z)[i, j] = Π_{m=i}^{j−1} θ_m · Σ_{k=i}^{j} exp(−θ_k z) / Π_{m=i…j, m≠k} (θ_m − θ_k)`` with
    θ of the worst state 0. Used to weigh posterior samples, which have distinct hazards almost surely;
    hazards closer than 10⁻³ (relative) are spread apart by that much first, so the terms never cancel.
    """
    theta = np.atleast_2d(np.asarray(theta, float))
    rates = np.concatenate([theta, np.zeros((len(theta), 1))], axis=1)  # (K, J)
    # Hazards within 10⁻³ of each other (the optimiser at a bound, a state the data do not inform) would make
    # the terms cancel: spread those samples' hazards by 10⁻³ (relative), far below any sampling error.
    ordered = np.sort(theta, axis=1)
    close = np.any(np.diff(ordered, axis=1) < 1e-3 * ordered[:, 1:], axis=1)
    if close.any():
        rates[close, :-1] *= 1 + 2e-3 * np.arange(theta.shape[1])
    out = np.empty((len(theta), len(start)))
    for i, j, rows in groups or pair_groups(start, end):
        z = years[rows]
        if i == j:
            out[:, rows] = -np.outer(rates[:, i], z)
            continue
        span = rates[:, i : j + 1]  # (K, terms)
        diff = span[:, :, None] - span[:, None, :]  # θ_m − θ_k
        np.einsum("kii->ki", diff)[:] = 1.0
        weights = np.prod(rates[:, i:j], axis=1)[:, None] / np.prod(diff, axis=1)  # (K, terms)
        prob = np.einsum("kt,ktn->kn", weights, np.exp(-span[:, :, None] * z[None, None, :]))
        out[:, rows] = np.log(np.clip(np.nan_to_num(prob, nan=0.0), 1e-300, 1.0))
    return out


def pair_groups(start: np.ndarray, end: np.ndarray) -> list[tuple[int, int, np.ndarray]]:
    """The pairs by (start, end) states (from 0): ``(i, j, rows)``, computed once for many evaluations."""
    start, end = np.asarray(start, int), np.asarray(end, int)
    return [
        (int(i), int(j), np.flatnonzero((start == i) & (end == j)))
        for i, j in sorted({(int(a), int(b)) for a, b in zip(start, end, strict=True)})
    ]


def gamma_prior(default: np.ndarray, shape: float) -> tuple[np.ndarray, np.ndarray]:
    """Independent Gamma(α, β) priors on each θ with mean ``default``: ``(α, β = α / default)``.

    α is the prior's weight in transitions: the prior counts as α state changes seen over α / θ₀
    asset-years in each state."""
    default = np.asarray(default, float)
    return np.full(default.shape, float(shape)), float(shape) / default


def posterior(
    start: np.ndarray,
    end: np.ndarray,
    years: np.ndarray,
    n_states: int,
    default: np.ndarray,
    *,
    prior_shape: float = 1.0,
    samples: int = 3000,
    level: float = 0.95,
    seed: int = 0,
) -> dict[str, np.ndarray | float]:
    """Bayesian updating of the hazards: Gamma priors (mean ``default``) × the Markov likelihood of the pairs.

    States are counted from 1. The posterior is found in log θ: its mode (L-BFGS-B) and curvature
    there (the Laplace approximation) give a multivariate Student-t proposal (scipy.stats, 5 degrees
    of freedom), and importance sampling from it corrects for the posterior's skew, which matters
    exactly where data are sparse (a state never seen to leave has a posterior close to its likelihood
    bound, far from a normal shape). A hazard that only pairs staying in their state inform (or none) has
    an exact Gamma posterior, used as such. Returns the posterior ``mean`` (used for scoring), ``lower`` and
    ``upper`` (equal-tailed ``level`` credible interval), ``sd``, the ``mode`` (which is the maximum
    likelihood estimate as the data grow) and ``ess`` (effective sample size of the weights).

    Examples
    --------
    No pair at all: the posterior is the prior, Gamma(1, 1/0.1), mean 0.1.

    >>> none = np.array([], int)
    >>> post = posterior(none, none, np.array([]), 2, np.array([0.1]))
    >>> round(float(post["mean"][0]), 2)
    0.1
    """
    start, end = np.asarray(start, int) - 1, np.asarray(end, int) - 1
    years = np.asarray(years, float)
    if np.any(end < start) or np.any(years <= 0):
        raise ValueError("posterior: pairs need end >= start and years > 0")
    if len(start):
        unique, counts = np.unique(np.column_stack([start, end, years]), axis=0, return_counts=True)
        start, end, years = unique[:, 0].astype(int), unique[:, 1].astype(int), unique[:, 2]
        weight = counts.astype(float)
    else:
        weight = np.zeros(0)
    alpha, beta = gamma_prior(default, prior_shape)
    n = n_states - 1
    # Which hazards each pair depends on: θ_start … θ_end (θ of the worst state is 0).
    moves = start < end
    mixed = np.array([bool(np.any(moves & (start <= k) & (end >= k))) for k in range(n)], bool)
    # A hazard that only pairs staying in its state inform has a Gamma posterior exactly (the likelihood of
    # staying z years is exp(−θ z)): Gamma(α, β + years in the state). The same with no pair: the prior.
    stays = np.array([float(weight[(start == k) & (end == k)] @ years[(start == k) & (end == k)]) for k in range(n)])
    shape, rate = alpha.copy(), beta + stays
    # scipy takes half a second to load: only where it is needed
    from scipy.stats import gamma

    tail = (1 - level) / 2
    mean = shape / rate
    lower = gamma.ppf(tail, shape, scale=1 / rate)
    upper = gamma.ppf(1 - tail, shape, scale=1 / rate)
    sd = np.sqrt(shape) / rate
    mode = np.maximum(shape - 1, 0) / rate
    ess = float(samples)
    if mixed.any():
        keep = np.isin(start, np.flatnonzero(mixed)) | np.isin(end, np.flatnonzero(mixed))
        drawn = _importance_sample(
            start[keep], end[keep], years[keep], weight[keep], alpha / beta, mixed, alpha, beta, samples, level, seed
        )
        for key, values in (("mean", mean), ("lower", lower), ("upper", upper), ("sd", sd), ("mode", mode)):
            values[mixed] = drawn[key]
        ess = float(drawn["ess"])
    return {"mean": mean, "lower": lower, "upper": upper, "sd": sd, "mode": mode, "ess": ess}


def _importance_sample(
    start: np.ndarray,
    end: np.ndarray,
    years: np.ndarray,
    weight: np.ndarray,
    base: np.ndarray,
    free: np.ndarray,
    alpha: np.ndarray,
    beta: np.ndarray,
    samples: int,
    level: float,
    seed: int,
) -> dict[str, np.ndarray]:
    """The posterior of the hazards ``free`` (the others held at ``base``; no pair here depends on them):
    Laplace approximation in log θ, then importance sampling from a Student-t around it."""
    from scipy.optimize import minimize
    from scipy.stats import multivariate_t

    groups = pair_groups(start, end)
    lo, hi = np.log(THETA_BOUNDS)
    a, b = alpha[free], beta[free]

    def full(theta_free: np.ndarray) -> np.ndarray:
        theta = np.tile(base, (len(theta_free), 1))
        theta[:, free] = theta_free
        return theta

    def log_post(u: np.ndarray) -> float:
        """log posterior density of u = log θ (the Jacobian e^u included), up to a constant."""
        theta = np.exp(u)[None, :]
        return float(
            np.sum(a * u - b * theta[0]) + pair_log_probability(full(theta), start, end, years, groups)[0] @ weight
        )

    guess = np.log(base[free]) + 0.01 * np.arange(int(free.sum()))  # distinct hazards to start
    found = minimize(lambda u: -log_post(u), guess, method="L-BFGS-B", bounds=[(lo, hi)] * len(guess))
    mode = found.x
    hessian = _hessian(lambda u: -log_post(u), mode)
    try:
        cov = np.linalg.inv(hessian)
        np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        cov = np.diag(1.0 / np.maximum(np.abs(np.diag(hessian)), 1e-6))
    proposal = multivariate_t(loc=mode, shape=cov, df=5, allow_singular=True)
    rng = np.random.default_rng(seed)
    u = np.clip(proposal.rvs(size=samples, random_state=rng).reshape(samples, len(mode)), lo, hi)
    theta = np.exp(u)
    log_target = (a * u - b * theta).sum(axis=1) + pair_log_probability(full(theta), start, end, years, groups) @ weight
    log_w = log_target - proposal.logpdf(u).reshape(samples)
    w = np.exp(log_w - log_w.max())
    w /= w.sum()
    mean = w @ theta
    tail = (1 - level) / 2
    order = np.argsort(theta, axis=0)
    bounds = []
    for q in (tail, 1 - tail):
        column = []
        for k in range(theta.shape[1]):
            cdf = np.cumsum(w[order[:, k]])
            column.append(theta[order[:, k], k][min(int(np.searchsorted(cdf, q)), samples - 1)])
        bounds.append(np.array(column))
    return {
        "mean": mean,
        "lower": bounds[0],
        "upper": bounds[1],
        "sd": np.sqrt(w @ (theta - mean) ** 2),
        "mode": np.exp(mode),
        "ess": np.array(1.0 / np.sum(w**2)),
    }


def _hessian(f: Callable[[np.ndarray], float], x: np.ndarray, step: float = 1e-3) -> np.ndarray:
    """Central-difference Hessian of a smooth function of a few variables (here ≤ 4 log-hazards)."""
    n = len(x)
    h = np.zeros((n, n))
    e = np.eye(n) * step
    for i in range(n):
        for j in range(i, n):
            h[i, j] = h[j, i] = (f(x + e[i] + e[j]) - f(x + e[i] - e[j]) - f(x - e[i] + e[j]) + f(x - e[i] - e[j])) / (
                4 * step * step
            )
    return h
