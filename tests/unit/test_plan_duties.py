"""Duties first in the maintenance plan, on hand-made candidates: covered, short (worked out by hand), and
the case where risk alone would choose another asset."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fm.domain.plan.duties import schedule_duties
from fm.domain.plan.optimise import solve_exact, solve_greedy


def candidates(*rows: tuple) -> pd.DataFrame:
    """rows: (asset, action, cost, benefit), offered in every year of a two-year horizon."""
    return pd.DataFrame(
        [
            {"asset": a, "year": y, "action": action, "cost": cost, "benefit": benefit}
            for a, action, cost, benefit in rows
            for y in (0, 1)
        ]
    )


TABLE = candidates(
    (0, "renewal", 80, 3.0),  # A: Ⅳ, due in year 0
    (0, "preventive", 8, 0.1),  # a repair does not discharge a Ⅳ (the worst state needs a renewal)
    (1, "renewal", 50, 2.0),  # B: Ⅳ, due in year 0
    (2, "preventive", 30, 0.5),  # C: Ⅲ, due in year 1: the cheaper measure
    (2, "renewal", 300, 0.9),
    (3, "preventive", 90, 0.4),  # D: Ⅲ, due in year 1
    (4, "preventive", 10, 9.0),  # E: no duty, the best risk per yen by far
)
DUTIES = pd.DataFrame(
    {
        "asset": [0, 1, 2, 3],
        "code": ["A", "B", "C", "D"],
        "soundness": [4, 4, 3, 3],
        "deadline": pd.to_datetime(["2026-05-01", "2026-06-01", "2027-07-01", "2027-08-01"]),
        "deadline_year": [-3, 0, 1, 1],  # A's deadline passed before the plan starts: year 0
    }
)


def chosen(schedule, table=TABLE) -> dict[int, tuple[int, str]]:
    picked = table[schedule.chosen]
    return {int(r.asset): (int(r.year), r.action) for r in picked.itertuples()}


def test_a_budget_that_covers_the_duties_schedules_each_before_its_deadline_earliest_first():
    schedule = schedule_duties(TABLE, DUTIES, np.array([200, 200]))
    # A 80 and B 50 in year 0 (70 left), C's repair 30 too (40 left); D's 90 only fits in year 1.
    assert chosen(schedule) == {0: (0, "renewal"), 1: (0, "renewal"), 2: (0, "preventive"), 3: (1, "preventive")}
    assert schedule.spent.tolist() == [160, 90] and schedule.remaining.tolist() == [40, 110]
    assert schedule.shortfall.tolist() == [0, 0] and schedule.unmet.empty and schedule.later == 0
    assert set(TABLE.loc[schedule.decided, "asset"]) == {0, 1, 2, 3}  # E is left to the solvers


def test_a_budget_short_of_the_duties_says_by_how_much_each_year_and_which_are_unmet():
    schedule = schedule_duties(TABLE, DUTIES, np.array([100, 100]))
    # Year 0: A 80 (20 left); B 50 does not fit in year 0, its deadline year: unmet, 50 due.
    # Year 1: C 30 does not fit in year 0 (20), fits in year 1 (70 left); D 90 fits nowhere: unmet, 90 due.
    # Shortfall: year 0 50 − 20 = 30; year 1 90 − 70 = 20. With 130 and 120, A, B, C and D all fit.
    assert chosen(schedule) == {0: (0, "renewal"), 2: (1, "preventive")}
    assert schedule.remaining.tolist() == [20, 70]
    assert schedule.shortfall.tolist() == [30, 20]
    assert schedule.unmet[["code", "cost"]].values.tolist() == [["B", 50], ["D", 90]]
    covered = schedule_duties(TABLE, DUTIES, np.array([100, 100]) + schedule.shortfall)
    assert covered.unmet.empty


def test_duties_after_the_horizon_and_without_a_cost_are_reported():
    table = TABLE[TABLE["asset"] != 1]  # B has no replacement cost: no candidate
    duties = DUTIES.assign(deadline_year=[0, 0, 1, 5])
    schedule = schedule_duties(table, duties, np.array([500, 500]))
    assert schedule.later == 1 and schedule.unmet["code"].tolist() == ["B"]
    assert schedule.unmet["cost"].isna().all() and "no replacement cost" in schedule.unmet["reason"].iloc[0]
    assert schedule.shortfall.tolist() == [0, 0]


def test_risk_alone_would_choose_another_asset_than_the_duty():
    table = pd.DataFrame({"asset": [0, 1], "year": 0, "action": "preventive", "cost": [60, 60], "benefit": [1.0, 5.0]})
    duty = DUTIES.iloc[[2]].assign(asset=0, deadline_year=0)  # asset 0 is judged Ⅲ, due this year
    budget = np.array([100])
    by_risk = table.loc[solve_exact(table, budget.astype(float)), "asset"].tolist()
    assert by_risk == [1]  # risk prefers asset 1, five times the benefit for the same cost
    schedule = schedule_duties(table, duty, budget)
    rest = table[~schedule.decided]
    then = rest.loc[solve_exact(rest, schedule.remaining.astype(float)), "asset"].tolist()
    assert table.loc[schedule.chosen, "asset"].tolist() == [0] and then == []  # 40 left: asset 1 waits
    assert rest.loc[solve_greedy(rest, schedule.remaining.astype(float)), "asset"].tolist() == []
