"""The risk engine on small hand-made cases whose answers are worked out here."""

from __future__ import annotations

import math
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from scipy.linalg import expm
from shapely import LineString, Point

from fm.domain.risk import deterioration, markov
from fm.domain.risk.config import load_config
from fm.domain.risk.inspections import due_inspections, next_inspections
from fm.domain.risk.score import score_risk
from fm.errors import ValidationError


class TestMarkov:
    def test_transition_matches_the_matrix_exponential(self):
        theta = np.array([0.12, 0.08, 0.2, 0.05])
        q = np.diag(-np.append(theta, 0)) + np.diag(theta, 1)
        assert np.allclose(markov.transition(theta, 3.7), expm(q * 3.7), atol=1e-12)

    def test_equal_intervals_give_the_closed_form(self):
        # 8 pairs of 2 years from state 1: 6 stay, 2 move. exp(-2θ) = 6/8.
        theta = markov.estimate(np.ones(8, int), np.array([1] * 6 + [2] * 2), np.full(8, 2.0), 2)
        assert theta[0] == pytest.approx(math.log(8 / 6) / 2, rel=1e-5)

    def test_uneven_intervals_maximise_the_hand_written_likelihood(self):
        stay = np.array([1.0, 2.5, 4.0, 3.0])  # years between inspections, still in state 1
        move = np.array([2.0, 5.0, 6.5])  # years, found in state 2
        years = np.concatenate([stay, move])
        theta = markov.estimate(np.ones(7, int), np.array([1] * 4 + [2] * 3), years, 2)[0]

        def likelihood(t):  # Π exp(-θz) over stays × Π (1 - exp(-θz)) over moves
            return -t * stay.sum() + np.log(1 - np.exp(-t * move)).sum()

        grid = np.linspace(0.01, 1.0, 99_001)
        best = grid[np.argmax([likelihood(t) for t in grid])]
        assert theta == pytest.approx(best, abs=2e-5)

    def test_pairs_leave_out_improvements_and_repaired_spans(self):
        inspections = pd.DataFrame(
            {
                "asset_id": [1, 1, 1, 2, 2],
                "inspected_on": pd.to_datetime(["2014-06-01", "2019-06-01", "2024-06-01", "2015-01-01", "2020-01-01"]),
                "state": [1, 3, 2, 2, 2],
            }
        )
        repairs = pd.DataFrame({"asset_id": [2], "completed_on": pd.to_datetime(["2017-05-01"])})
        found = markov.pairs(inspections, repairs)
        # asset 1: 1→3 kept, 3→2 improved (dropped); asset 2: repaired in between (dropped)
        assert found[["asset_id", "start", "end"]].values.tolist() == [[1, 1, 3]]
        assert found["years"].iloc[0] == pytest.approx(1826 / 365.25)


CATEGORIES = pd.DataFrame(
    {
        "code": ["bridge", "school"],
        "name": ["橋梁", "学校"],
        "name_en": ["Bridge", "School"],
        "condition_scale": ["soundness", "score"],
        "useful_life_years": [60, 50],
    }
)
DISTRICTS = pd.DataFrame({"id": [1], "population": [40_000]})
RAILWAY = gpd.GeoDataFrame(
    {"kind": ["railway"], "name": ["江ノ電"]},
    geometry=[LineString([(139.50, 35.30), (139.56, 35.30)])],
    crs="EPSG:4326",
)


def bridge(id_, geom, **overrides):
    row = {
        "id": id_,
        "code": f"BR-{id_}",
        "name": f"橋{id_}",
        "category": "bridge",
        "district_id": 1,
        "year_built": 1975,
        "acquisition_date": pd.Timestamp("1975-04-01"),
        "useful_life_years": 60,
        "annual_users": 100_000,
        "replacement_cost": 100_000_000,
        "is_evacuation_shelter": False,
        "on_emergency_road": False,
        "geom": geom,
    }
    return {**row, **overrides}


def run(assets, inspections=None, config=None):
    assets = pd.DataFrame(assets)
    inspections = (
        inspections
        if inspections is not None
        else pd.DataFrame({"asset_id": [], "inspected_on": [], "soundness": [], "condition_score": []})
    )
    states = deterioration.inspection_states(inspections, assets, CATEGORIES)
    models = deterioration.fit(states, pd.DataFrame(), CATEGORIES)
    return score_risk(
        assets, states, models, CATEGORIES, DISTRICTS, RAILWAY, config=config or load_config(), as_of=date(2025, 4, 1)
    ).set_index("code")


def test_a_bridge_over_a_railway_ranks_above_its_twin():
    on_line, away = Point(139.53, 35.30), Point(139.53, 35.31)  # 1.1 km north of the line
    scores = run([bridge(1, on_line), bridge(2, away)])
    assert scores.at["BR-1", "c_railway"] == 1.0 and scores.at["BR-2", "c_railway"] == 0.0
    assert scores.at["BR-1", "probability"] == scores.at["BR-2", "probability"]
    assert scores.at["BR-1", "score"] > scores.at["BR-2", "score"]


def test_a_changed_weight_changes_the_ranking(tmp_path):
    busy = bridge(1, Point(139.53, 35.32), annual_users=5_000_000, replacement_cost=1_000_000)
    costly = bridge(2, Point(139.54, 35.32), annual_users=1_000, replacement_cost=20_000_000_000)
    default = run([busy, costly])
    users_only = tmp_path / "users.toml"
    users_only.write_text("[consequence]\nreplacement_cost = 0\n")
    cost_only = tmp_path / "cost.toml"
    cost_only.write_text("[consequence]\nusers = 0\n")
    by_users = run([busy, costly], config=load_config(users_only))
    by_cost = run([busy, costly], config=load_config(cost_only))
    assert by_users.at["BR-1", "score"] > by_users.at["BR-2", "score"]
    assert by_cost.at["BR-2", "score"] > by_cost.at["BR-1", "score"]
    # with both weights equal (2 and 2) the sums of the log-scaled components decide:
    busy_sum = math.log10(5_000_001) / 7 + math.log10(1_000_001) / 10.5  # 0.957 + 0.571
    costly_sum = math.log10(1_001) / 7 + math.log10(20_000_000_001) / 10.5  # 0.429 + 0.981
    assert (default.at["BR-1", "score"] > default.at["BR-2", "score"]) == (busy_sum > costly_sum)


def test_no_inspection_history_gives_a_defined_probability():
    # No inspection: best state at acquisition (1980-04-01), 45 years before 2025-04-01, carried
    # 5 more years (the horizon). Default hazards: 3 states over a 60-year life, θ = 0.05 each, so the
    # time to the worst state is Erlang(3, 0.05): P(T ≤ 50) = 1 − e^{−2.5}(1 + 2.5 + 2.5²/2).
    scores = run([bridge(1, None, acquisition_date=pd.Timestamp("1980-04-01"))])
    p_condition = 1 - math.exp(-2.5) * (1 + 2.5 + 2.5**2 / 2)
    p_age = (pd.Timestamp("2025-04-01") - pd.Timestamp("1980-04-01")).days / 365.25 / 60
    assert scores.at["BR-1", "p_condition"] == pytest.approx(p_condition, abs=1e-4)
    assert scores.at["BR-1", "probability"] == pytest.approx(0.8 * p_condition + 0.2 * p_age, abs=1e-4)
    assert scores[["probability", "consequence", "score", "remaining_years"]].notna().all().all()


def test_a_worse_inspection_raises_the_probability():
    inspections = pd.DataFrame(
        {
            "asset_id": [1, 2],
            "inspected_on": pd.to_datetime(["2023-06-01"] * 2),
            "soundness": [1, 3],
            "condition_score": [None, None],
        }
    )
    scores = run([bridge(1, None), bridge(2, None)], inspections)
    assert scores.at["BR-2", "probability"] > scores.at["BR-1", "probability"]
    assert scores.at["BR-2", "state"] == 3


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("horizon = 3\n", "unknown key 'horizon'"),
        ("[consequence]\nusers = -1\n", "'consequence.users' must be a number ≥ 0"),
        ("[classes]\nrisk = [3, 2, 12, 16]\n", "'classes.risk' thresholds must increase"),
        ("[classes]\nlikelihood = [0.1, 0.2]\n", "'classes.likelihood' must be a list of 4 numbers"),
        ("[criticality]\nbridge = 3\n", "'criticality.bridge' must be between 0 and 1"),
        ("horizon_years = \n", "not valid TOML"),
    ],
)
def test_bad_configuration_is_refused_naming_the_key(tmp_path, text, named):
    path = tmp_path / "risk.toml"
    path.write_text(text)
    with pytest.raises(ValidationError, match=named):
        load_config(path)


def test_every_problem_is_reported_at_once(tmp_path):
    path = tmp_path / "risk.toml"
    path.write_text("colour = 1\n[consequence]\nusers = -1\nrailway = -2\n")
    with pytest.raises(ValidationError) as caught:
        load_config(path)
    assert len(caught.value.problems) == 3


def test_due_and_overdue_inspections():
    assets = pd.DataFrame(
        {
            "id": [1, 2, 3, 4, 5],
            "code": list("ABCDE"),
            "name": list("ABCDE"),
            "category": ["bridge", "bridge", "bridge", "bridge", "school"],
            "district_id": 1,
            "disposed_on": [None, None, None, None, None],
        }
    )
    inspections = pd.DataFrame(
        {
            "asset_id": [1, 2, 3, 5],
            "inspected_on": pd.to_datetime(["2020-06-01", "2022-01-10", "2024-05-01", "2023-09-01"]),
            "next_due_on": [None, None, None, None],
        }
    )
    due = due_inspections(assets, inspections, fiscal_year=2026, config=load_config()).set_index("code")
    # FY2026: 2026-04-01 … 2027-03-31. A: due 2025-06 (overdue); B: due 2027-01 (in the year);
    # C: due 2029 (not listed); D: never inspected; E (school, 3-year cycle): due 2026-09 (in the year).
    assert due["status"].to_dict() == {"A": "overdue", "B": "due", "D": "never_inspected", "E": "due"}


def test_of_two_inspections_on_the_latest_day_the_last_recorded_dates_the_next():
    """In whatever order the rows come (a database gives none): the higher id counts; without ids, the later row."""
    assets = pd.DataFrame({"id": [1], "category": ["bridge"]})
    inspections = pd.DataFrame(
        {
            "id": [9, 4, 2],
            "asset_id": [1, 1, 1],
            "inspected_on": ["2024-05-01", "2024-05-01", "2020-01-01"],
            "next_due_on": ["2025-05-01", "2029-05-01", "2024-01-01"],
        }
    )
    due = next_inspections(assets, inspections, config=load_config())
    assert due["due_on"].tolist() == [pd.Timestamp("2025-05-01")]
    due = next_inspections(assets, inspections.drop(columns="id"), config=load_config())
    assert due["due_on"].tolist() == [pd.Timestamp("2029-05-01")]


def test_equal_hazards_still_give_the_right_transition():
    theta = np.full(4, 0.1)  # the defaults are equal hazards: the closed form is ill-conditioned there
    q = np.diag(-np.append(theta, 0)) + np.diag(theta, 1)
    assert np.allclose(markov.transition(theta, 5.0), expm(q * 5.0), atol=1e-12)
    # Erlang: P(4 steps within 5 years) = 1 − Σ_{k<4} e^−0.5 0.5^k / k!
    assert markov.transition(theta, 5.0)[0, 4] == pytest.approx(
        1 - math.exp(-0.5) * sum(0.5**k / math.factorial(k) for k in range(4))
    )


def test_two_inspections_on_one_day_count_once_as_the_worse():
    inspections = pd.DataFrame(
        {
            "asset_id": [1, 1, 1, 1],
            "state": [2, 3, 2, 3],
            "inspected_on": pd.to_datetime(["2015-05-01", "2020-05-01", "2020-05-01", "2025-05-01"]),
        }
    )
    found = markov.pairs(inspections)
    assert found[["start", "end"]].values.tolist() == [[2, 3], [3, 3]]


def test_scoring_a_past_day_ignores_later_inspections_and_counts_repairs():
    inspections = pd.DataFrame(
        {
            "asset_id": [1, 1, 2],
            "inspected_on": pd.to_datetime(["2018-06-01", "2024-06-01", "2023-06-01"]),
            "soundness": [1, 4, 4],
            "condition_score": [None, None, None],
        }
    )
    repairs = pd.DataFrame({"asset_id": [2], "kind": ["renewal"], "completed_on": pd.to_datetime(["2024-01-10"])})
    assets = pd.DataFrame([bridge(1, None), bridge(2, None)])
    states = deterioration.inspection_states(inspections, assets, CATEGORIES)
    models = deterioration.fit(states, pd.DataFrame(), CATEGORIES)
    scores = score_risk(
        assets,
        states,
        models,
        CATEGORIES,
        DISTRICTS,
        RAILWAY,
        config=load_config(),
        as_of=date(2020, 4, 1),
        repairs=repairs,
    ).set_index("code")
    assert scores.at["BR-1", "state"] == 1  # the 2024 inspection had not happened on 2020-04-01
    later = score_risk(
        assets,
        states,
        models,
        CATEGORIES,
        DISTRICTS,
        RAILWAY,
        config=load_config(),
        as_of=date(2025, 4, 1),
        repairs=repairs,
    ).set_index("code")
    assert later.at["BR-1", "state"] == 4 and later.at["BR-2", "state"] == 1  # renewed after its Ⅳ


def test_a_three_year_cycle_falls_due_on_the_same_calendar_day():
    assets = pd.DataFrame(
        {"id": [1], "code": ["S"], "name": ["S"], "category": ["school"], "district_id": 1, "disposed_on": [None]}
    )
    inspections = pd.DataFrame({"asset_id": [1], "inspected_on": pd.to_datetime(["2023-04-01"]), "next_due_on": [None]})
    due = due_inspections(assets, inspections, fiscal_year=2026, config=load_config())
    assert due["due_on"].tolist() == [date(2026, 4, 1)] and due["status"].tolist() == ["due"]


def test_non_finite_settings_are_refused(tmp_path):
    path = tmp_path / "risk.toml"
    path.write_text("horizon_years = nan\n[inspection_cycle_years]\nbridge = 0\n")
    with pytest.raises(ValidationError) as caught:
        load_config(path)
    assert any("horizon_years" in p for p in caught.value.problems)
    assert any("inspection_cycle_years.bridge" in p for p in caught.value.problems)


def test_an_asset_never_inspected_has_no_dates():
    """Its page reads the inspections of that one asset: none at all must give NaT, not a pandas error."""
    assets = pd.DataFrame({"id": [7], "category": ["sewer_pipe"]})
    none = pd.DataFrame(
        {
            "asset_id": pd.Series([], dtype="int64"),
            "inspected_on": pd.Series([], dtype=object),
            "next_due_on": pd.Series([], dtype=object),
        }
    )
    seen = next_inspections(assets, none, config=load_config())
    assert seen["last_inspected_on"].isna().all() and seen["due_on"].isna().all()


@pytest.mark.parametrize("text", [object, "str"])  # pandas' text types: Python objects (PostgreSQL's read), Arrow
def test_codes_are_looked_up_once_as_map_would(text):
    from fm.domain.risk.score import _Codes, _take

    codes = pd.Series(["bridge", "road", None, "unknown", "bridge"], dtype=text)
    table = pd.Series({"bridge": 4, "road": 5})
    expected = codes.map(table).astype(float).to_numpy()  # what score_risk did before, one string at a time
    np.testing.assert_array_equal(_Codes(codes).lookup(table), expected)
    assert np.isnan(_Codes(pd.Series([None, None], dtype=text)).lookup(table)).all()
    groups = _Codes(codes).groups  # each code's positions, as pandas' groupby gives them (missing left out)
    assert {code: rows.tolist() for code, rows in groups.items()} == {
        code: rows.tolist() for code, rows in pd.DataFrame({"c": codes}).groupby("c").indices.items()
    }
    where = np.array([1, -1, 0])
    np.testing.assert_array_equal(_take(np.array([2.0, 3.0]), where), [3.0, np.nan, 2.0])
    days = np.array(["2024-01-01", "2025-01-01"], dtype="datetime64[s]")
    assert np.isnat(_take(days, where)[1]) and _take(days, where)[0] == days[1]
    assert _take(np.array([True, False]), where).tolist() == [False, False, True]
    assert np.isnan(_take(np.array([], dtype=float), np.array([-1, -1]))).all()
