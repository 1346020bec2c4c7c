"""Duties first: the measures the law requires after Ⅲ / Ⅳ are scheduled before anything is chosen by risk.

A pre-pass over the candidates of :mod:`fm.domain.plan.benefit`, before the solvers of
:mod:`fm.domain.plan.optimise` spend what is left:

- the duties are taken by deadline year, Ⅳ before Ⅲ, then by deadline and code;
- each gets the measure that discharges it in fm's condition model: a Ⅳ (the worst state) a
  renewal, a Ⅲ the cheaper of a preventive repair and a renewal; in the earliest year of the
  horizon, up to its deadline year, whose budget still has room (a deadline already past counts
  as the first year);
- a duty no such year has room for is **unmet**; the **shortfall** of a year is what the unmet
  duties due that year cost beyond what is left of its budget after the duties met: with that
  much more in each year, every duty would be met;
- the assets whose duty was scheduled leave the candidates; the solvers get the rest of each
  year's budget. Duties due after the horizon are left to the solvers.

Money is integer yen throughout.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

DUTY_COLUMNS = ("asset", "code", "soundness", "deadline", "deadline_year")


@dataclass(frozen=True)
class DutySchedule:
    """What the pre-pass decided: rows of the candidates chosen, the budgets left, the shortfall."""

    chosen: np.ndarray  # bool mask over the candidates: the duties' measures
    decided: np.ndarray  # bool mask over the candidates: every candidate of an asset whose duty was scheduled
    remaining: np.ndarray  # yen left in each year for the solvers (int64)
    spent: np.ndarray  # yen spent on duties in each year (int64)
    shortfall: np.ndarray  # yen missing in each year to meet every duty due (int64)
    unmet: pd.DataFrame  # the duties left unmet: DUTY_COLUMNS + cost (yen, NA when it cannot be costed), reason
    later: int  # duties due after the horizon, left to the solvers


def schedule_duties(candidates: pd.DataFrame, duties: pd.DataFrame, budgets: np.ndarray) -> DutySchedule:
    """Schedule each duty's measure before its deadline from each year's budget (see the module).

    ``candidates``: asset, year, action, cost (yen), benefit; ``duties``: asset (the candidates'
    asset label), code, soundness (3 or 4), deadline, deadline_year (0 = the first year of the
    horizon; negative when already past); ``budgets``: yen per year.

    Examples
    --------
    Two Ⅳ duties of ¥60 and ¥50 due in the first year, ¥100 a year: the first fits, the second is
    unmet and the first year is ¥10 short (¥50 due, ¥40 left).

    >>> c = pd.DataFrame({"asset": [0, 1, 2], "year": 0, "action": "renewal", "cost": [60, 50, 5],
    ...                   "benefit": [1.0, 1.0, 9.0]})
    >>> d = pd.DataFrame({"asset": [0, 1], "code": ["A", "B"], "soundness": 4,
    ...                   "deadline": pd.Timestamp("2026-05-01"), "deadline_year": 0})
    >>> s = schedule_duties(c, d, np.array([100]))
    >>> s.chosen.tolist(), s.remaining.tolist(), s.shortfall.tolist(), s.unmet["code"].tolist()
    ([True, False, False], [40], [10], ['B'])
    """
    years = len(budgets)
    remaining = np.asarray(budgets).astype("int64").copy()
    spent = np.zeros(years, "int64")
    chosen = np.zeros(len(candidates), bool)
    due_unmet = np.zeros(years, "int64")
    unmet: list[dict[str, object]] = []
    within = duties[duties["deadline_year"] < years].copy()
    within["due_year"] = within["deadline_year"].clip(lower=0).astype(int)
    within = within.sort_values(["due_year", "soundness", "deadline", "code"], ascending=[True, False, True, True])
    asset = candidates["asset"].to_numpy()
    year = candidates["year"].to_numpy()
    cost = candidates["cost"].to_numpy().astype("int64")
    action = candidates["action"].to_numpy()
    scheduled: set[object] = set()
    for duty in within.itertuples():
        allowed = ("renewal",) if int(duty.soundness) == 4 else ("preventive", "renewal")
        options = np.flatnonzero((asset == duty.asset) & np.isin(action, allowed) & (year <= duty.due_year))
        row = {column: getattr(duty, column) for column in DUTY_COLUMNS}
        if not len(options):
            unmet.append({**row, "cost": pd.NA, "reason": "no measure to cost: the asset has no replacement cost"})
            continue
        best = options[np.lexsort((year[options], cost[options]))]  # cheapest, then earliest
        fits = [i for i in best if cost[i] <= remaining[year[i]]]
        if fits:
            pick = fits[0]
            chosen[pick] = True
            remaining[year[pick]] -= cost[pick]
            spent[year[pick]] += cost[pick]
            scheduled.add(duty.asset)
        else:
            cheapest = int(cost[best[0]])
            due_unmet[duty.due_year] += cheapest
            unmet.append({**row, "cost": cheapest, "reason": "the budget up to its deadline year cannot cover it"})
    shortfall = np.maximum(due_unmet - remaining, 0) * (due_unmet > 0)
    return DutySchedule(
        chosen=chosen,
        decided=pd.Series(asset).isin(scheduled).to_numpy(),
        remaining=remaining,
        spent=spent,
        shortfall=shortfall.astype("int64"),
        unmet=pd.DataFrame(unmet, columns=[*DUTY_COLUMNS, "cost", "reason"]),
        later=int((duties["deadline_year"] >= years).sum()),
    )
