"""Planner, benefits and life-cycle cost on small cases worked out by hand."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy.linalg import expm

from fm.domain.plan.benefit import candidates, worst_ahead
from fm.domain.plan.lcc import discounted, expected_costs, simulated_totals
from fm.domain.plan.optimise import solve_exact, solve_greedy
from fm.domain.plan.options import load_interventions, repair

SETTINGS = {"reactive": {"emergency_premium": 0.3, "failure_cost_share": 0.2}, "preventive": {"min_state": 2}}


def test_three_assets_where_greedy_is_not_optimal_and_the_repair_pass_mends_it():
    # Budget 10 in one year. Benefit per yen: A 1.2, B 1.125, C 1.0. Greedy takes A (5), then B (8)
    # no longer fits, then C (2): 8.0. The optimum is B + C: 11.0 (A + C = 8, A + B = 13 > budget);
    # the repair pass gives A back for B.
    plan = pd.DataFrame({"asset": [0, 1, 2], "year": 0, "cost": [5, 8, 2], "benefit": [6.0, 9.0, 2.0]})
    budget = np.array([10])
    best = max(
        (
            sum(plan.benefit[list(s)])
            for r in range(4)
            for s in itertools.combinations(range(3), r)
            if sum(plan.cost[list(s)]) <= 10
        ),
        default=0,
    )
    assert best == 11.0
    assert plan.benefit[solve_exact(plan, budget)].sum() == best
    assert plan.benefit[solve_greedy(plan, budget, passes=0)].sum() == 8.0
    assert plan.benefit[solve_greedy(plan, budget)].sum() == best


def test_one_intervention_per_asset_and_yearly_budgets():
    plan = pd.DataFrame(
        {"asset": [0, 0, 1, 1], "year": [0, 1, 0, 1], "cost": [4, 4, 4, 4], "benefit": [5.0, 1.0, 3.0, 2.0]}
    )  # 5 + 2 beats 1 + 3
    chosen = solve_exact(plan, np.array([4, 4]))
    assert chosen.tolist() == [True, False, False, True]  # asset 0 in year 0, asset 1 in year 1


def test_benefit_of_a_renewal_by_hand():
    # Two states, hazard ln 2: the worst state is reached within a year with probability ½.
    # An asset in state 1 with consequence 1, horizon 2 years:
    # no action: P(worst) at the end of years 1 and 2 = ½ and ¾ → risk 1.25;
    # renewal at the start of year 2: year 2 risk ½ instead of ¾ → benefit ¼.
    assets = pd.DataFrame({"id": [1], "category": ["x"], "consequence": [1.0], "replacement_cost": [100.0]}, index=[7])
    models = pd.DataFrame({"theta": [np.array([np.log(2)])]}, index=["x"])
    table, baseline = candidates(
        assets, {"x": (pd.Index([7]), np.array([[1.0, 0.0]]))}, models, load_interventions(), years=2
    )
    assert baseline.sum() == pytest.approx(1.25)
    renewals = table[table["action"] == "renewal"].set_index("year")["benefit"]
    assert renewals[1] == pytest.approx(0.25)
    assert 0 not in renewals.index  # renewing an asset already as new removes nothing: not a candidate
    assert table.query("action == 'preventive'").empty  # two states: nothing short of failure to repair


def test_worst_ahead_matches_the_matrix_exponential():
    theta = np.array([0.3, 0.2])
    q = np.diag([-0.3, -0.2, 0.0]) + np.diag(theta, 1)
    assert np.allclose(worst_ahead(theta, 3)[3], np.linalg.matrix_power(expm(q), 3)[:, -1])


def test_reactive_life_cycle_cost_over_ten_years_by_hand():
    # Two states, hazard 0.1: failure within a year p = 1 − e^−0.1; each failure costs
    # 1,000 × (1 + 0.3 + 0.2) and the asset starts again as new, so every year costs p × 1,500.
    p = 1 - np.exp(-0.1)
    costs = expected_costs(
        np.array([0.1]), np.array([[1.0, 0.0]]), np.array([1000.0]), 0.1, SETTINGS, years=10, strategy="reactive"
    )
    assert costs == pytest.approx(np.full(10, p * 1500))
    annuity = (1 - 1.04**-10) / 0.04
    assert discounted(costs, 0.04) == pytest.approx(p * 1500 * annuity)


def test_preventive_life_cycle_cost_over_two_years_by_hand():
    theta = np.array([0.5, 0.4])  # three states
    one = expm(np.diag([-0.5, -0.4, 0.0]) + np.diag(theta, 1))
    d = np.array([1.0, 0.0, 0.0]) @ one
    year1 = d[2] * 1500 + (d[1]) * 100  # failures renewed; state 2 repaired to state 1 (¥100)
    d = np.array([1.0, 0.0, 0.0]) * (d[0] + d[1] + d[2])  # everything is back in state 1
    d = d @ one
    year2 = d[2] * 1500 + d[1] * 100
    costs = expected_costs(
        theta, np.array([[1.0, 0.0, 0.0]]), np.array([1000.0]), 0.1, SETTINGS, years=2, strategy="preventive"
    )
    assert costs == pytest.approx([year1, year2])


def test_monte_carlo_agrees_with_the_expectation():
    theta = np.array([0.3, 0.2])
    expected = discounted(
        expected_costs(
            theta, np.array([[1.0, 0, 0]]), np.array([1000.0]), 0.1, SETTINGS, years=20, strategy="preventive"
        ),
        0.04,
    )
    paths = simulated_totals(
        theta,
        np.array([[1.0, 0, 0]]),
        np.array([1000.0]),
        0.1,
        SETTINGS,
        years=20,
        strategy="preventive",
        paths=20_000,
        seed=3,
        rate=0.04,
    )
    assert paths.mean() == pytest.approx(expected, rel=0.03)


def test_repair_keeps_probability():
    d = np.array([[0.1, 0.2, 0.3, 0.4]])
    assert repair(d, 2).sum() == pytest.approx(1.0)
    assert repair(d, 3).tolist() == [[0.1, 0.5, 0.0, 0.4]]  # the failed share waits for a renewal


def test_monte_carlo_starts_from_the_same_distribution():
    theta, start = np.array([0.3, 0.2]), np.array([[0.2, 0.5, 0.3]])
    expected = discounted(
        expected_costs(theta, start, np.array([1000.0]), 0.1, SETTINGS, years=15, strategy="reactive"), 0.04
    )
    paths = simulated_totals(
        theta, start, np.array([1000.0]), 0.1, SETTINGS, years=15, strategy="reactive", paths=20_000, seed=5, rate=0.04
    )
    assert paths.mean() == pytest.approx(expected, rel=0.03)


def test_the_solvers_keep_to_each_budget_to_the_yen():
    # Two renewals of ¥1,000,000,000,000 against a budget one yen short of both. The MILP works in floats (costs ÷
    # the largest: 1 + 1 ≤ 1.999999999999) and its feasibility tolerance (~10⁻⁷) accepted both, a yen over budget;
    # the plan is now checked in whole yen and the one removing less risk given back. The greedy compares integers.
    table = pd.DataFrame({"asset": [0, 1], "year": 0, "cost": [10**12, 10**12], "benefit": [2.0, 1.0]})
    budget = np.array([2 * 10**12 - 1])
    assert solve_exact(table, budget).tolist() == [True, False]
    assert solve_greedy(table, budget).tolist() == [True, False]
    assert solve_exact(table, budget + 1).tolist() == [True, True]
    with pytest.raises(ValueError, match="budgets must be whole numbers"):
        solve_greedy(table, np.array([1.5e12]) + 0.5)
