"""Choose interventions to remove the most risk within each year's budget: exact MILP or greedy.

Exact: a 0/1 programme (scipy's ``milp``, HiGHS): maximise Σ benefit·x subject to, for each
asset, Σ x ≤ 1 over its candidates, and for each year, Σ cost·x ≤ budget. Heuristic (where the
MILP is too big): take the candidates by benefit per yen, best first, whenever the asset is still
free and the year's budget allows (Dantzig's rule), then repair the plan by switching assets to
candidates that remove more risk (see :func:`solve_greedy`); not optimal in general.
"""

from __future__ import annotations

import itertools
import math
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd

from fm.domain.money import whole
from fm.errors import FmError

LARGE = 2_000_000  # candidates beyond which the heuristic repairs the benefit-per-yen start only (time)
COMBINATIONS = 20_000  # the neighbourhood search's sets: as many assets as have at most this many combinations
EVERY_SET = 500  # registers with at most this many such sets try them all; larger ones the related sets
NEIGHBOURHOODS = 2_000  # larger registers: sets tried per round


def solve_exact(
    candidates: pd.DataFrame, budgets: np.ndarray, *, time_limit: float = 120.0, gap: float = 1e-3
) -> np.ndarray:
    """Boolean mask of the chosen candidates: the optimum within a relative ``gap`` (HiGHS).

    Past ``time_limit`` seconds the best plan found so far is returned.

    Examples
    --------
    Budget 10: benefit per yen takes A (6 for cost 5) and then nothing fits but C; the optimum
    is B + C, which the repair pass finds by giving A back for B.

    >>> c = pd.DataFrame({"asset": [0, 1, 2], "year": 0, "cost": [5, 8, 2], "benefit": [6.0, 9.0, 2.0]})
    >>> solve_exact(c, np.array([10])).tolist(), solve_greedy(c, np.array([10]), passes=0).tolist()
    ([False, True, True], [True, False, True])
    >>> solve_greedy(c, np.array([10])).tolist()
    [False, True, True]
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
    return _within_budgets(result.x > 0.5, candidates, budgets)


def _within_budgets(chosen: np.ndarray, candidates: pd.DataFrame, budgets: np.ndarray) -> np.ndarray:
    """``chosen`` checked against each year's budget in whole yen: the solver works in floating point (costs ÷ the
    largest, within its feasibility tolerance of about 10⁻⁶), so a plan could pass a budget by a few yen. In a year
    that it passes, a chosen candidate is given back until it fits: the one removing least risk among those costing
    at least the excess, or else the one of least benefit per yen.

    >>> c = pd.DataFrame({"asset": [0, 1], "year": 0, "cost": [1_000_000_001, 3], "benefit": [5.0, 1.0]})
    >>> _within_budgets(np.array([True, True]), c, np.array([1_000_000_003])).tolist()
    [True, False]
    >>> _within_budgets(np.array([True, True]), c, np.array([1_000_000_004])).tolist()
    [True, True]
    """
    cost = whole(candidates["cost"], "costs")
    year = candidates["year"].to_numpy()
    limit = whole(budgets, "budgets")
    chosen = chosen.copy()
    spent = np.zeros(len(limit), dtype="int64")
    np.add.at(spent, year[chosen], cost[chosen])
    benefit = candidates["benefit"].to_numpy(dtype=float)
    for y in np.flatnonzero(spent > limit):
        while spent[y] > limit[y]:
            held = np.flatnonzero(chosen & (year == y))
            enough = held[cost[held] >= spent[y] - limit[y]]
            # one given back if one is enough (the one removing least risk), else the least benefit per yen
            i = (
                enough[np.argmin(benefit[enough])]
                if len(enough)
                else held[np.argmin(benefit[held] / np.maximum(cost[held], 1))]
            )
            chosen[i] = False
            spent[y] -= cost[i]
    return chosen


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


def solve_greedy(candidates: pd.DataFrame, budgets: np.ndarray, *, passes: int = 4, search: bool = True) -> np.ndarray:
    """Boolean mask of the candidates the heuristic chooses: benefit per yen, then a repair pass.

    1. **Greedy** (Dantzig's rule): candidates by benefit per yen, best first, taken while the asset is
       free and the year's budget allows.
    2. **Repair pass** (local search over each asset's candidates): the greedy rule never reconsiders an
       asset once its cheap repair is taken, even where the renewal removes far more risk. For every
       candidate that would remove more risk than its asset's current choice, by gain per extra yen:
       switch the asset to it if the budgets allow once its current choice is given back; otherwise
       give back the least efficient interventions of that year (of other assets) while the gain still
       exceeds what they remove, and switch if that makes room. Repeated until a pass changes nothing
       (at most ``passes`` times). Every switch increases the risk removed, so the result is never
       worse than the greedy plan.
    3. The same from two more starts: the candidates by risk removed (largest first), and the
       Lagrangian relaxation of the yearly budgets (a price per yen of each year, adjusted until each
       asset's best candidate at those prices roughly fits: it weighs one asset's candidates against
       each other and across years, which the per-candidate rules cannot). The best of the three plans
       is returned. Beyond ``LARGE`` candidates (the passes are a Python loop over them) only the
       first start is repaired. ``passes=0`` is the plain benefit-per-yen rule.
    4. **Large neighbourhood search** on the best of the three (Shaw 1998; Pisinger & Ropke, "Large
       neighborhood search", Handbook of Metaheuristics, 2010): release the choices of a few assets and
       choose theirs again **exactly**, by enumerating every combination of their candidates (or none)
       within what the others leave of each year's budget; keep it when it removes more risk. That moves
       several assets at once (one renewal to another year, a repair given up, another asset renewed
       instead), which no single switch of the repair pass can do when each step alone would lose. A set
       holds as many assets as have at most ``COMBINATIONS`` combinations (4 assets over 5 years, 6 over
       2). Where there are at most ``EVERY_SET`` such sets every one is tried, round after round, until
       none improves (a register that fits in one set is solved exactly); larger registers try the sets
       that matter (see :func:`_neighbourhood_search`), at most ``NEIGHBOURHOODS`` a round.
       ``search=False`` leaves it out (to measure what it adds).
    """
    n = len(candidates)
    cost = whole(candidates["cost"], "costs")  # yen, and the budgets: compared and subtracted in integers
    budgets = whole(budgets, "budgets")
    benefit = candidates["benefit"].to_numpy(dtype=float)
    ratio = np.where(cost > 0, benefit / np.maximum(cost, 1), np.inf)
    asset_index = np.unique(candidates["asset"].to_numpy(), return_inverse=True)[1].reshape(-1)
    year = candidates["year"].to_numpy()
    best, best_value, best_remaining = np.zeros(0, int), -1.0, budgets.copy()
    starts = ["ratio"] if passes == 0 or n > LARGE else ["ratio", "benefit", "lagrange"]
    for start in starts:
        if start == "lagrange":
            current, remaining = _lagrangian_start(asset_index, year, cost, benefit, ratio, budgets)
        else:
            key = ratio if start == "ratio" else benefit
            current, remaining = _greedy(np.argsort(-key, kind="stable"), asset_index, year, cost, budgets)
        for _ in range(passes):
            if not _repair_pass(asset_index, year, cost, benefit, ratio, current, remaining):
                break
        value = float(benefit[current[current >= 0]].sum())
        if value > best_value:
            best, best_value, best_remaining = current, value, remaining
    if passes and search and len(best):
        _neighbourhood_search(asset_index, year, cost, benefit, ratio, best, best_remaining)
    chosen = np.zeros(n, bool)
    chosen[best[best >= 0]] = True
    return chosen


def _lagrangian_start(
    asset_index: np.ndarray,
    year: np.ndarray,
    cost: np.ndarray,
    benefit: np.ndarray,
    ratio: np.ndarray,
    budgets: np.ndarray,
    iterations: int = 40,
) -> tuple[np.ndarray, np.ndarray]:
    """A start from the Lagrangian relaxation of the yearly budgets (a price λ_y per yen of each year):
    every asset takes its candidate of largest ``benefit − λ_year · cost`` (or none if negative), the
    prices rise in years over budget and fall in years under it; the last choice is trimmed to the
    budgets (least benefit per yen given back first) and filled greedily."""
    n_assets = int(asset_index.max()) + 1 if len(asset_index) else 0
    finite = ratio[np.isfinite(ratio)]
    price = np.full(len(budgets), float(np.median(finite)) if len(finite) else 0.0)
    pick = np.zeros(0, int)
    for step in range(iterations):
        score = benefit - price[year] * cost
        order = np.lexsort((-score, asset_index))
        first = order[np.unique(asset_index[order], return_index=True)[1]]
        pick = first[score[first] > 0]
        spent = np.bincount(year[pick], weights=cost[pick], minlength=len(budgets))
        rate = 0.5 / (1 + step / 10)
        price = price * np.exp(rate * np.clip((spent - budgets) / np.maximum(budgets, 1), -1, 1))
    current = np.full(n_assets, -1)
    remaining = budgets.copy()
    for i in pick[np.argsort(-ratio[pick], kind="stable")]:
        if cost[i] <= remaining[year[i]]:
            current[asset_index[i]] = i
            remaining[year[i]] -= cost[i]
    return _greedy(np.argsort(-ratio, kind="stable"), asset_index, year, cost, budgets, current, remaining)


def _greedy(
    order: np.ndarray,
    asset_index: np.ndarray,
    year: np.ndarray,
    cost: np.ndarray,
    budgets: np.ndarray,
    current: np.ndarray | None = None,
    remaining: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Candidates in ``order``, each taken while its asset is free and its year's budget allows:
    ``(current candidate of each asset or −1, remaining budgets)``, from ``current`` if given."""
    if current is None or remaining is None:
        current = np.full(int(asset_index.max()) + 1 if len(asset_index) else 0, -1)
        remaining = np.asarray(budgets, dtype="int64").copy()
    cheapest = cost.min() if len(cost) else 0
    for i in order:
        a, y = asset_index[i], year[i]
        if current[a] < 0 and cost[i] <= remaining[y]:
            current[a] = i
            remaining[y] -= cost[i]
            if remaining.max() < cheapest:
                break
    return current, remaining


def _repair_pass(
    asset_index: np.ndarray,
    year: np.ndarray,
    cost: np.ndarray,
    benefit: np.ndarray,
    ratio: np.ndarray,
    current: np.ndarray,
    remaining: np.ndarray,
) -> bool:
    """One pass of switches (see :func:`solve_greedy`); changes ``current`` and ``remaining`` in place."""
    held = np.where(current[asset_index] >= 0, benefit[np.maximum(current[asset_index], 0)], 0.0)
    gain = benefit - held
    better = np.flatnonzero(gain > 1e-12)
    if not len(better):
        return False
    extra = np.maximum(cost[better], 1)
    better = better[np.argsort(-(gain[better] / extra), kind="stable")]
    # per year, the interventions held, least efficient first (entries go stale as assets switch)
    taken = current[current >= 0]
    by_year = {
        int(y): taken[year[taken] == y][np.argsort(ratio[taken[year[taken] == y]], kind="stable")].tolist()
        for y in np.unique(year[taken])
    }
    head: dict[int, int] = {}  # per year, where the first intervention still held may be
    # Python lists: scalar access in the loop is several times faster than on numpy arrays
    owner, when, price, value = asset_index.tolist(), year.tolist(), cost.tolist(), benefit.tolist()
    now, left = current.tolist(), remaining.tolist()
    changed = False
    for i in better.tolist():
        a, y = owner[i], when[i]
        c = now[a]
        have = value[c] if c >= 0 else 0.0
        if value[i] <= have + 1e-12:
            continue
        room = left[y] + (price[c] if c >= 0 and when[c] == y else 0)
        given: list[int] = []
        if price[i] > room:
            held_y = by_year.get(y, [])
            at = head.get(y, 0)
            while at < len(held_y) and now[owner[held_y[at]]] != held_y[at]:
                at += 1  # given back or switched since: skipped for good
            head[y] = at
            lost, need = 0.0, value[i] - have
            for k in range(at, len(held_y)):
                j = held_y[k]
                if now[owner[j]] != j or owner[j] == a:
                    continue  # stale, or the asset itself
                if lost + value[j] >= need:
                    break
                given.append(j)
                lost += value[j]
                room += price[j]
                if price[i] <= room:
                    break
            if price[i] > room:
                continue
        for j in given:
            now[owner[j]] = -1
            left[when[j]] += price[j]
        if c >= 0:
            left[when[c]] += price[c]
        now[a] = i
        left[y] -= price[i]
        by_year.setdefault(y, []).append(i)  # appended last: not given back again in this pass
        changed = True
    current[:] = now
    remaining[:] = left
    return changed


def _neighbourhood_search(
    asset_index: np.ndarray,
    year: np.ndarray,
    cost: np.ndarray,
    benefit: np.ndarray,
    ratio: np.ndarray,
    current: np.ndarray,
    remaining: np.ndarray,
    *,
    rounds: int = 4,
) -> None:
    """Large neighbourhood search (see :func:`solve_greedy`); changes ``current`` and ``remaining`` in place.

    Each neighbourhood is a set of assets whose interventions are given back and chosen again by enumerating
    every combination of their candidates (or none) that fits the budgets left. Sets hold ``size`` assets,
    as many as have at most ``COMBINATIONS`` combinations of the most options an asset has. Registers with
    at most ``EVERY_SET`` such sets try every one; larger ones, per round, the assets that could gain most
    from another candidate (best first, at most ``NEIGHBOURHOODS``), each with the ``size − 1``
    interventions held in the year of that better candidate that remove the least risk per yen (the ones
    a renewal would push out). Rounds
    repeat while one improves the plan. Never makes the plan worse.
    """
    n_assets = len(current)
    if n_assets == 0 or len(benefit) == 0:
        return
    order = np.argsort(asset_index, kind="stable")
    starts = np.searchsorted(asset_index[order], np.arange(n_assets + 1))
    options = [order[starts[a] : starts[a + 1]] for a in range(n_assets)]
    counts = np.diff(starts)
    active = np.flatnonzero(counts > 0)
    if not len(active):
        return
    size = min(len(active), max(1, int(np.log(COMBINATIONS) / np.log(int(counts.max()) + 1))))
    for _ in range(rounds):
        if math.comb(len(active), size) <= EVERY_SET:
            sets: Iterator[tuple[int, ...]] = itertools.combinations(active.tolist(), size)
        else:
            sets = _related_sets(asset_index, year, benefit, ratio, current, options, size)
        improved = False
        for assets in sets:
            improved |= _reoptimise(list(assets), options, year, cost, benefit, current, remaining)
        if not improved:
            return


def _related_sets(
    asset_index: np.ndarray,
    year: np.ndarray,
    benefit: np.ndarray,
    ratio: np.ndarray,
    current: np.ndarray,
    options: list[np.ndarray],
    size: int,
) -> Iterator[tuple[int, ...]]:
    """Sets of assets worth choosing again together in a large register: an asset with a candidate that
    would remove more risk than its choice (largest gain first) and the assets holding the least efficient
    interventions of that candidate's year (Shaw's related removal)."""
    held = np.where(current[asset_index] >= 0, benefit[np.maximum(current[asset_index], 0)], 0.0)
    gain = benefit - held
    best = np.full(len(current), -1)
    top = np.lexsort((-gain, asset_index))
    first = top[np.unique(asset_index[top], return_index=True)[1]]
    best[asset_index[first]] = first
    wanting = [a for a in np.argsort(-np.where(best >= 0, gain[np.maximum(best, 0)], 0.0)) if best[a] >= 0]
    taken = current[current >= 0]
    by_year = {int(y): taken[year[taken] == y][np.argsort(ratio[taken[year[taken] == y]])] for y in np.unique(year)}
    for a in wanting[:NEIGHBOURHOODS]:
        if gain[best[a]] <= 1e-12:
            return
        weakest = [int(asset_index[i]) for i in by_year.get(int(year[best[a]]), [])[: size + 1]]
        others = [b for b in weakest if b != a][: size - 1]
        yield (int(a), *others)


def _reoptimise(
    assets: list[int],
    options: list[np.ndarray],
    year: np.ndarray,
    cost: np.ndarray,
    benefit: np.ndarray,
    current: np.ndarray,
    remaining: np.ndarray,
) -> bool:
    """Give back the choices of ``assets`` and take the best combination of their candidates (or none) that
    fits the budgets left, by enumeration; True when it removes more risk than before."""
    chosen = current[assets]
    free = remaining.copy()
    for i in chosen[chosen >= 0]:
        free[year[i]] += cost[i]
    before = float(benefit[chosen[chosen >= 0]].sum())
    # each asset's candidates that fit their year's budget left at all, and none (−1)
    fitting = [np.append(options[a][cost[options[a]] <= free[year[options[a]]]], -1) for a in assets]
    grids = np.meshgrid(*fitting, indexing="ij")
    combos = np.stack([g.reshape(-1) for g in grids], axis=1)  # (M, k) candidate indices, −1 for none
    some = combos >= 0
    picked = np.where(some, combos, 0)
    spent = np.zeros((len(combos), len(free)), dtype="int64")
    rows = np.arange(len(combos))
    for k in range(combos.shape[1]):  # one candidate per row and asset: no repeated (row, year) within k
        spent[rows, year[picked[:, k]]] += np.where(some[:, k], cost[picked[:, k]], 0)
    value = np.where(some, benefit[picked], 0.0).sum(axis=1)
    value[np.any(spent > free, axis=1)] = -np.inf
    best = int(np.argmax(value))
    if value[best] <= before + 1e-12:
        return False
    current[assets] = combos[best]
    remaining[:] = free - spent[best]
    return True
