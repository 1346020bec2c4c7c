"""Statutory duties after Ⅲ / Ⅳ on hand-made frames: deadlines, states, overdue days, bad input."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from fm.domain.duties import DutySettings, check_restriction, find_duties, judged_class, load_settings
from fm.errors import ValidationError

SETTINGS = DutySettings(grace_days=30, score_categories=(), score_classes={4: 3, 5: 4})
CATEGORIES = pd.DataFrame(
    {"code": ["bridge", "school", "retaining_wall"], "condition_scale": ["soundness", "score", "score"]}
)


def cycle(category: str) -> float:
    return 5.0 if category == "bridge" else 3.0


def assets(*codes: str, category: str = "bridge", disposed: dict[str, date] | None = None) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": range(1, len(codes) + 1),
            "code": codes,
            "name": [f"{c} 橋" for c in codes],
            "category": category,
            "disposed_on": [(disposed or {}).get(c) for c in codes],
        }
    )


def inspections(*rows: tuple) -> pd.DataFrame:
    """rows: (asset_id, inspected_on, soundness, condition_score, next_due_on)."""
    return pd.DataFrame(
        [
            {"id": n, "asset_id": a, "inspected_on": d, "soundness": s, "condition_score": c, "next_due_on": due}
            for n, (a, d, s, c, due) in enumerate(rows, 1)
        ],
        columns=["id", "asset_id", "inspected_on", "soundness", "condition_score", "next_due_on"],
    )


def orders(*rows: tuple) -> pd.DataFrame:
    """rows: (asset_id, status, planned_on, started_on, completed_on)."""
    return pd.DataFrame(rows, columns=["asset_id", "status", "planned_on", "started_on", "completed_on"]).astype(
        {"asset_id": "int64"}
    )


def restrictions(*rows: tuple) -> pd.DataFrame:
    """rows: (asset_id, inspection_id, starts_on, ends_on)."""
    return pd.DataFrame(rows, columns=["asset_id", "inspection_id", "starts_on", "ends_on"])


def duties(a, i, o=None, r=None, *, as_of=date(2026, 4, 1), settings=SETTINGS) -> pd.DataFrame:
    return find_duties(
        a,
        i,
        o if o is not None else orders(),
        r if r is not None else restrictions(),
        CATEGORIES,
        settings=settings,
        cycle=cycle,
        as_of=as_of,
    ).set_index("code")


def test_iv_is_due_at_once_with_the_grace_days_and_iii_before_the_next_inspection():
    found = duties(
        assets("B1", "B2", "B3", "B4"),
        inspections(
            (1, date(2025, 6, 1), 4, None, None),
            (2, date(2021, 7, 10), 3, None, None),  # + 5 years: 2026-07-10, not yet due
            (3, date(2020, 7, 10), 3, None, date(2024, 3, 31)),  # the recorded next inspection wins
            (4, date(2024, 1, 1), 2, None, None),  # Ⅱ is no duty
        ),
    )
    assert list(found.index) == ["B3", "B1", "B2"]  # overdue first, most days first
    assert found.loc["B1", "deadline"] == date(2025, 7, 1) and found.loc["B1", "soundness"] == "Ⅳ"
    assert found.loc["B1", "overdue"] == (date(2026, 4, 1) - date(2025, 7, 1)).days == 274
    assert found.loc["B2", "deadline"] == date(2026, 7, 10) and found.loc["B2", "overdue"] == 0
    assert found.loc["B3", "deadline"] == date(2024, 3, 31) and found.loc["B3", "overdue"] == 731
    assert set(found["state"]) == {"none"} and not found["met"].any()


def test_states_from_work_orders_restrictions_and_disposal():
    a = assets("P", "S", "C", "R", "D", "L", disposed={"D": date(2025, 1, 10)})
    i = inspections(*[(n, date(2024, 5, 1), 4, None, None) for n in range(1, 7)])
    o = orders(
        (1, "planned", date(2026, 6, 1), None, None),
        (2, "in_progress", date(2024, 5, 10), date(2024, 5, 20), None),
        (3, "completed", None, None, date(2024, 5, 25)),
        (3, "cancelled", None, date(2024, 5, 2), None),  # a cancelled order is no measure
        (6, "completed", None, date(2023, 1, 1), date(2023, 2, 1)),  # before the inspection: not its measure
    )
    r = restrictions((4, None, date(2024, 5, 2), None))
    found = duties(a, i, o, r)
    assert found["state"].to_dict() == {
        "P": "planned",
        "S": "started",
        "C": "completed",
        "R": "restricted",
        "D": "completed",
        "L": "none",
    }
    assert found.loc["R", "restricted_since"] == date(2024, 5, 2) and bool(found.loc["R", "met"])
    assert found.loc["C", "measure_started_on"] == date(2024, 5, 25)  # no start recorded: its completion
    assert found.loc["D", "completed_on"] == date(2025, 1, 10)  # removal is a measure
    assert not found.loc["P", "met"] and found.loc["P", "overdue"] == (date(2026, 4, 1) - date(2024, 5, 31)).days
    assert not found.loc["L", "met"] and found.loc["L", "overdue"] > 0


def test_a_measure_after_the_deadline_ends_the_overdue_days_but_the_duty_was_not_met_in_time():
    found = duties(
        assets("B1"),
        inspections((1, date(2024, 5, 1), 4, None, None)),
        orders((1, "in_progress", None, date(2025, 1, 1), None)),
    )
    assert found.loc["B1", "state"] == "started" and found.loc["B1", "overdue"] == 0
    assert not found.loc["B1", "met"]


def test_a_later_iv_escalates_an_open_iii_and_a_judgement_after_completion_opens_a_new_duty():
    found = find_duties(
        assets("B1"),
        inspections(
            (1, date(2016, 5, 1), 3, None, None),
            (1, date(2021, 5, 1), 4, None, None),  # no measure since the Ⅲ: the same duty, now Ⅳ
            (1, date(2025, 5, 1), 3, None, None),  # after the renewal of 2022: a new duty
        ),
        orders((1, "completed", None, date(2022, 4, 1), date(2022, 9, 30))),
        restrictions(),
        CATEGORIES,
        settings=SETTINGS,
        cycle=cycle,
        as_of=date(2026, 4, 1),
    ).sort_values("inspected_on")
    assert found["soundness"].tolist() == ["Ⅳ", "Ⅲ"]
    assert found["deadline"].tolist() == [date(2021, 5, 31), date(2030, 5, 1)]
    assert found["state"].tolist() == ["completed", "none"]
    assert found["met"].tolist() == [False, False]  # started 2022-04-01, ten months late


def test_scores_count_only_for_the_categories_the_city_maps():
    a = assets("W1", "S1").assign(category=["retaining_wall", "school"])
    i = inspections((1, date(2025, 4, 1), None, 5, None), (2, date(2025, 4, 1), None, 5, None))
    assert duties(a, i).empty
    mapped = DutySettings(grace_days=0, score_categories=("retaining_wall",), score_classes={4: 3, 5: 4})
    found = duties(a, i, settings=mapped)
    assert list(found.index) == ["W1"] and found.loc["W1", "soundness"] == "Ⅳ"
    assert found.loc["W1", "deadline"] == date(2025, 4, 1)


def test_inspections_after_as_of_are_not_yet_known():
    assert duties(assets("B1"), inspections((1, date(2026, 5, 1), 4, None, None))).empty


@pytest.mark.parametrize(
    ("values", "inspection", "field", "words"),
    [
        ({"starts_on": date(2025, 5, 1), "ends_on": date(2025, 4, 30)}, None, "ends_on", "is before starts_on"),
        (
            {"starts_on": date(2024, 1, 1), "ends_on": None},
            {"id": 7, "inspected_on": date(2024, 3, 1)},
            "starts_on",
            "before the inspection of 2024-03-01 that required it",
        ),
    ],
)
def test_bad_restrictions_are_refused_naming_record_and_field(values, inspection, field, words):
    problems = check_restriction(values, inspection=inspection, code="R-9")
    assert [f for f, _ in problems] == [field]
    assert problems[0][1].startswith("restriction R-9: ") and words in problems[0][1]


def test_settings_are_checked_each_problem_named(tmp_path):
    path = tmp_path / "duties.toml"
    path.write_text('grace_days = -3\nscore_categories = "wall"\n[score_classes]\n"6" = 4\n"4" = 2\n')
    with pytest.raises(ValidationError) as caught:
        load_settings(path)
    message = str(caught.value)
    for words in ("'grace_days'", "'score_categories'", "'score_classes.6'", "'score_classes.4' must be 3"):
        assert words in message
    assert load_settings().grace_days == 30


def kpi_data(a, i, o, r):
    from fm.domain.kpi import KpiData

    return KpiData(
        a,
        CATEGORIES,
        None,
        None,
        None,
        None,
        None,
        o,
        i,
        r,
        duty_settings=SETTINGS,
        inspection_cycle=cycle,
    )


def test_measure_rates_on_a_hand_made_set():
    from fm.domain.kpi import measure

    a = assets("A", "B", "C", "D", "E", "F", disposed={"E": date(2024, 8, 1)})
    i = inspections(
        (1, date(2021, 6, 1), 3, None, None),  # A: Ⅲ, repaired: started 2023-05, completed 2024-02
        (2, date(2022, 6, 1), 4, None, None),  # B: Ⅳ, closed to traffic at once, not repaired
        (3, date(2023, 6, 1), 3, None, None),  # C: Ⅲ, work planned only
        (4, date(2018, 6, 1), 3, None, None),  # D: judged before the cycle of FY2020–24, out of the cohort
        (5, date(2024, 5, 1), 4, None, None),  # E: Ⅳ, removed (disposed) 2024-08-01
        (6, date(2024, 6, 1), 3, None, None),  # F: Ⅲ, its repair starts after the year's end
        (1, date(2024, 9, 1), 3, None, None),  # A again after its repair: a new duty, counted once, by it
    )
    o = orders(
        (1, "completed", None, date(2023, 5, 1), date(2024, 2, 1)),
        (3, "planned", date(2025, 6, 1), None, None),
        (6, "in_progress", None, date(2025, 4, 10), None),
    )
    r = restrictions((2, 2, date(2022, 6, 2), None))
    data = kpi_data(a, i, o, r)
    started = measure("measures_started", data, fiscal_year=2024)
    completed = measure("measures_completed", data, fiscal_year=2024)
    # Cohort FY2020–2024: A (its 2024 duty: nothing yet), B, C, E, F = 5; D (2018) is out.
    assert sorted(started.records["code"]) == ["A", "B", "C", "E", "F"]
    # Started by 2025-03-31: B (restriction), E (removal) = 2 of 5; completed: E only = 1 of 5.
    assert (started.numerator, started.denominator, started.rounded()) == (2, 5, 40.0)
    assert (completed.numerator, completed.denominator, completed.rounded()) == (1, 5, 20.0)
    # FY2023 (cycle FY2019–2023, as of 2024-03-31): A (2021 duty, completed 2024-02), B, C = 3.
    earlier = measure("measures_completed", data, fiscal_year=2023)
    assert sorted(earlier.records["code"]) == ["A", "B", "C"] and earlier.numerator == 1
    assert measure("measures_started", data, fiscal_year=2023).numerator == 2  # A and B
    assert measure("measures_started", data, fiscal_year=2017).value is None  # nobody judged before FY2018


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("soundness_dtype", ["Int64", "float64", "object"])
def test_judged_class_from_database_or_file_columns_warns_of_nothing(soundness_dtype):
    # The database gives Int64 columns, a file float64: filling one from the other warned (Pandas4Warning: it will
    # raise in pandas 4) until both were cast to one dtype first.
    settings = DutySettings(grace_days=0, score_categories=("wall",), score_classes={4: 3, 5: 4})
    inspections = pd.DataFrame(
        {
            "soundness": pd.Series([4, 2, None, None], dtype=soundness_dtype),
            "condition_score": pd.Series([None, None, 5, 5], dtype="Int64"),
        }
    )
    found = judged_class(
        inspections,
        pd.Series(["bridge", "bridge", "wall", "park"]),
        pd.Series(["soundness", "soundness", "score", "score"]),
        settings,
    )
    assert found.tolist() == [4, pd.NA, 4, pd.NA]
