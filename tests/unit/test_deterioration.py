"""Deterioration estimates on simulated inspection histories whose truth is known (issue 18).

Each history is drawn from the Markov hazard model itself: exponential sojourns in each state,
inspections at uneven intervals, and work that restores condition at random days.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fm.domain.risk import deterioration, markov
from fm.domain.risk.config import WORK_KINDS, load_config
from fm.errors import ValidationError
from fm.model.assets import WORK_KINDS as MODEL_WORK_KINDS

DAY0 = pd.Timestamp("1990-04-01")


def simulate(theta, *, assets, years=30.0, repaired_share=0.0, seed=1):
    """Inspections (asset_id, inspected_on, state) and completed work (asset_id, kind, completed_on,
    state_after) of ``assets`` assets new in state 1 on DAY0; a ``repaired_share`` of them get one
    reactive repair on a random day that puts them back in state 1."""
    rng = np.random.default_rng(seed)
    theta = np.asarray(theta, float)
    worst = len(theta) + 1
    rows, work = [], []
    for asset in range(assets):
        repair_at = rng.uniform(3, years - 3) if rng.random() < repaired_share else np.inf
        # the path: (time of entering, state), restarted in state 1 at the repair
        path, t, state = [(0.0, 1)], 0.0, 1
        while t < years:
            if state == worst:
                t = np.inf
            else:
                t += rng.exponential(1 / theta[state - 1])
                if t > repair_at and path[-1][0] < repair_at:
                    t, state = repair_at, 1
                    path.append((t, state))
                    repair_at = np.inf
                    continue
                state += 1
            path.append((t, state))
        inspected = np.cumsum(rng.uniform(3.0, 7.0, size=int(years // 3)))
        inspected = np.concatenate([[rng.uniform(0, 4)], inspected])
        inspected = inspected[inspected < years]
        times = np.array([p[0] for p in path])
        states = np.array([p[1] for p in path])
        for at in inspected:
            rows.append((asset, DAY0 + pd.Timedelta(days=round(at * 365.25)), states[times <= at][-1]))
        if any(s == 1 and w > 0 for w, s in path[1:]):
            at = next(w for w, s in path[1:] if s == 1)
            work.append((asset, "reactive", DAY0 + pd.Timedelta(days=round(at * 365.25)), 1))
    inspections = pd.DataFrame(rows, columns=["asset_id", "inspected_on", "state"])
    done = pd.DataFrame(work, columns=["asset_id", "kind", "completed_on", "state_after"])
    return inspections, done


def fit_one(inspections, work, *, states=5, life=50, prior_shape=1.0):
    frame = inspections.assign(category="road")
    categories = pd.DataFrame(
        {"code": ["road"], "condition_scale": ["score" if states == 5 else "soundness"], "useful_life_years": [life]}
    )
    return deterioration.fit(frame, work, categories, prior_shape=prior_shape).loc["road"]


TRUTH = np.array([0.12, 0.2, 0.15, 0.1])


@pytest.fixture(scope="module")
def repaired():
    """1,500 simulated roads, half of them repaired back to state 1 once (drawn once for the module)."""
    return simulate(TRUTH, assets=1500, repaired_share=0.5)


def test_pairs_spanning_repairs_are_dropped_and_the_truth_recovered(repaired):
    inspections, work = repaired
    model = fit_one(inspections, work.drop(columns="state_after"))
    assert model["dropped"].get("work:reactive", 0) > 300
    post_sd = (model["upper"] - model["lower"]) / (2 * 1.96)
    # within sampling error: each hazard within 3 posterior standard deviations, inside its 99 % band
    assert np.all(np.abs(model["theta"] - TRUTH) < 3 * post_sd), (model["theta"], post_sd)
    # keeping the repaired pairs (what the engine did for reactive work) drags state 1's hazard down
    kept = fit_one(inspections, work.iloc[0:0])
    assert kept["theta"][0] < TRUTH[0] - 3 * post_sd[0]
    years_to_worst = np.sum(1 / TRUTH)
    assert abs(np.sum(model["expected_years"]) - years_to_worst) < abs(np.sum(kept["expected_years"]) - years_to_worst)


def test_repairs_that_record_the_condition_after_them_split_their_pairs_and_the_truth_is_recovered(repaired):
    inspections, work = repaired
    dropped = fit_one(inspections, work.drop(columns="state_after"))
    split = fit_one(inspections, work)
    # every spanning pair is used from the repair on: more pairs, none dropped for work
    spanning = dropped["dropped"]["work:reactive"]
    assert split["dropped"].get("work:reactive", 0) == 0
    assert split["pairs"] == dropped["pairs"] + spanning - split["dropped"].get("improved", 0)
    assert split["pairs"] > dropped["pairs"] + 300
    post_sd = (split["upper"] - split["lower"]) / (2 * 1.96)
    assert np.all(np.abs(split["theta"] - TRUTH) < 3 * post_sd), (split["theta"], post_sd)
    # the extra pairs (restarted in state 1) narrow the best state's interval
    assert split["upper"][0] - split["lower"][0] < dropped["upper"][0] - dropped["lower"][0]


def test_a_condition_after_outside_the_category_scale_is_not_used():
    inspections = pd.DataFrame(
        {"asset_id": [1, 1], "inspected_on": pd.to_datetime(["2010-04-01", "2020-04-01"]), "state": [4, 2]}
    )
    work = pd.DataFrame(
        {"asset_id": [1], "kind": ["reactive"], "completed_on": pd.to_datetime(["2015-04-01"]), "state_after": [5]}
    )
    model = fit_one(inspections, work, states=4)
    assert model["pairs"] == 0 and model["dropped"] == {"work:reactive": 1}


def test_a_pair_is_split_at_work_that_records_the_condition_after_it():
    inspections = pd.DataFrame(
        {
            "asset_id": [1, 1, 2, 2],
            "inspected_on": pd.to_datetime(["2010-04-01", "2020-04-01", "2010-04-01", "2020-04-01"]),
            "state": [4, 2, 3, 3],
        }
    )
    work = pd.DataFrame(
        {
            "asset_id": [1, 2],
            "kind": ["reactive", "preventive"],
            "completed_on": pd.to_datetime(["2015-04-01", "2016-04-01"]),
            "state_after": [1, None],
        }
    )
    table = markov.pair_table(inspections, work)
    assert table[["asset_id", "start", "end", "dropped"]].astype(object).where(table.notna(), None).values.tolist() == [
        [1, 1, 2, None],
        [2, 3, 3, "work:preventive"],
    ]
    assert table["years"].iloc[0] == pytest.approx(1827 / 365.25)


def test_a_category_never_seen_to_leave_state_1_gets_a_posterior_well_below_the_default():
    # 80 parks inspected twice, 5 years apart: 400 asset-years in state 1 and no change.
    days = pd.to_datetime(["2015-04-01", "2020-04-01"])
    inspections = pd.DataFrame({"asset_id": np.repeat(np.arange(80), 2), "inspected_on": np.tile(days, 80), "state": 1})
    model = fit_one(inspections, pd.DataFrame(), life=30)
    default = 4 / 30
    exposure = 80 * 1827 / 365.25
    # conjugate: Gamma(1, 1/θ₀ + exposure), exactly
    assert model["theta"][0] == pytest.approx(1 / (1 / default + exposure), rel=1e-9)
    assert model["upper"][0] == pytest.approx(-np.log(0.025) / (1 / default + exposure), rel=1e-6)
    assert model["upper"][0] < 0.01 < default / 10
    # the states the data say nothing about keep the prior: mean θ₀
    assert model["theta"][1:] == pytest.approx([default] * 3, rel=1e-9)
    assert model["pairs"] == 80 and model["dropped"] == {}


def test_no_pairs_give_the_prior():
    inspections = pd.DataFrame({"asset_id": [1], "inspected_on": pd.to_datetime(["2020-04-01"]), "state": [2]})
    model = fit_one(inspections, pd.DataFrame(), states=4, life=60)
    assert model["theta"] == pytest.approx([0.05] * 3, rel=1e-12)
    assert model["lower"][0] < 0.05 < model["upper"][0]


def test_thousands_of_pairs_give_the_maximum_likelihood_estimate():
    inspections, _ = simulate(TRUTH, assets=2500, seed=7)
    model = fit_one(inspections, pd.DataFrame())
    pairs = markov.pairs(inspections)
    mle = markov.estimate(pairs["start"].to_numpy(), pairs["end"].to_numpy(), pairs["years"].to_numpy(), 5)
    assert len(pairs) > 5000
    assert model["theta"] == pytest.approx(mle, rel=0.03)
    assert model["mode"] == pytest.approx(mle, rel=0.01)
    assert model["ess"] > 1000  # the importance weights are well spread: the Laplace proposal fits


def test_the_posterior_matches_its_exact_form_on_a_single_move():
    # Two states: pairs 1→1 and 1→2 of equal length give the likelihood (e^{−θz})^a (1−e^{−θz})^b;
    # with the Gamma(1, 10) prior the posterior mean is a one-dimensional integral, done on a grid.
    z, a, b = 3.0, 40, 10
    start, end = np.ones(a + b, int), np.array([1] * a + [2] * b)
    post = markov.posterior(start, end, np.full(a + b, z), 2, np.array([0.1]))
    grid = np.linspace(1e-5, 1.0, 200_001)
    density = np.exp(a * (-grid * z) + b * np.log1p(-np.exp(-grid * z)) - 10 * grid)
    exact = (grid * density).sum() / density.sum()
    assert post["mean"][0] == pytest.approx(exact, rel=0.01)


def test_configuration_names_the_work_that_restores_condition(tmp_path):
    assert set(WORK_KINDS) == set(MODEL_WORK_KINDS)
    assert load_config().restoring_work == ["preventive", "reactive", "renewal"]
    wrong = tmp_path / "risk.toml"
    wrong.write_text('restoring_work = ["repaint"]\nprior_shape = 0\n')
    with pytest.raises(ValidationError) as raised:
        load_config(wrong)
    assert "'restoring_work' must be a list of work order kinds" in str(raised.value)
    assert "'prior_shape' must be a positive number" in str(raised.value)
    old = tmp_path / "old.toml"
    old.write_text("min_pairs = 30\n")
    with pytest.raises(ValidationError, match="'min_pairs' is no longer used"):
        load_config(old)


def test_age_profile_sets_the_model_beside_the_observed_shares():
    inspections, _ = simulate(TRUTH, assets=400, seed=3)
    states = inspections.assign(category="road")
    model = fit_one(inspections, pd.DataFrame())
    models = pd.DataFrame([model]).set_index("category", drop=False)
    assets = pd.DataFrame({"id": range(400), "acquisition_date": DAY0, "year_built": 1990})
    profile = deterioration.age_profile(states, assets, models)
    assert profile["inspections"].sum() == len(inspections)
    first = profile.iloc[0]
    assert sum(first["observed"]) == pytest.approx(1, abs=1e-3) and sum(first["model"]) == pytest.approx(1, abs=1e-3)
    # the fitted model follows the data: within 0.1 in every band with 100 inspections or more
    for row in profile[profile["inspections"] >= 100].itertuples():
        assert np.max(np.abs(np.array(row.observed) - np.array(row.model))) < 0.1
