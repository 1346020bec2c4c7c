"""Depreciation to the yen: the integer arithmetic of fm.domain.depreciation against exact rational arithmetic.

The reference below is written from the rule in docs/indicators.md with Python's Fraction, independently of
the implementation: elapsed share as a fraction, accumulated depreciation its floor times the cost, a memo
value of 1 yen once the life is over.
"""

from __future__ import annotations

import math
import re
from datetime import date, timedelta
from fractions import Fraction

import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from fm.domain.depreciation import accumulated_depreciation, schedule
from fm.domain.fiscal import fiscal_year, fiscal_year_end


def exact(cost: int, acquired: date, life: int, year: int, convention: str) -> int:
    """Accumulated depreciation at the end of fiscal ``year``, by Fraction."""
    if convention == "fiscal-year":
        share = Fraction(max(year - fiscal_year(acquired), 0), life)
    else:
        days = max((fiscal_year_end(year) - acquired).days, 0)
        share = Fraction(days) / (life * Fraction(36525, 100))
    if share >= 1:
        return cost - 1
    return math.floor(cost * share)


def ours(cost: int, acquired: date, life: int, year: int, convention: str) -> int:
    found = accumulated_depreciation(
        pd.Series([cost]),
        pd.Series([pd.Timestamp(acquired)]),
        pd.Series([life]),
        fiscal_year_of=year,
        convention=convention,
    )
    assert found.dtype == "int64"
    return int(found.iloc[0])


costs = st.integers(min_value=1, max_value=10**15)
days = st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31))
lives = st.integers(min_value=1, max_value=120)
conventions = st.sampled_from(["fiscal-year", "daily"])


@settings(max_examples=400, deadline=None)
@given(cost=costs, acquired=days, life=lives, year=st.integers(1900, 2150), convention=conventions)
@example(cost=10_564_000, acquired=date(1982, 6, 1), life=60, year=2024, convention="fiscal-year")
@example(cost=10**15, acquired=date(1900, 1, 1), life=120, year=2019, convention="daily")
def test_one_asset_equals_exact_rational_arithmetic(cost, acquired, life, year, convention):
    assert ours(cost, acquired, life, year, convention) == exact(cost, acquired, life, year, convention)


@settings(max_examples=60, deadline=None)
@given(
    assets=st.lists(st.tuples(costs, days, lives), min_size=1, max_size=40),
    year=st.integers(1950, 2100),
    convention=conventions,
)
def test_a_register_equals_exact_rational_arithmetic_row_by_row(assets, year, convention):
    cost, acquired, life = zip(*assets, strict=True)
    found = accumulated_depreciation(
        pd.Series(cost, index=range(10, 10 + len(cost))),
        pd.Series(pd.to_datetime(list(acquired)), index=range(10, 10 + len(cost))),
        pd.Series(life, index=range(10, 10 + len(cost))),
        fiscal_year_of=year,
        convention=convention,
    )
    assert found.index.tolist() == list(range(10, 10 + len(cost)))
    assert found.tolist() == [exact(c, a, n, year, convention) for c, a, n in assets]


@settings(max_examples=100, deadline=None)
@given(cost=costs, acquired=days, life=lives, convention=conventions)
def test_a_schedule_adds_up_to_the_cost_less_the_memo_value(cost, acquired, life, convention):
    last = fiscal_year(acquired) + life + 2
    table = schedule(cost, acquired, life, last_fiscal_year=last, convention=convention)
    assert (table["depreciation"] >= 0).all()
    assert int(table["depreciation"].sum()) == cost - 1
    assert table["book_value"].iloc[-1] == 1
    for row in table.itertuples():
        assert row.accumulated_depreciation == exact(cost, acquired, life, row.fiscal_year, convention)


def test_the_case_the_float_got_wrong():
    # 10,564,000 yen over 60 years, after 42: 10,564,000 × 42 / 60 = 7,394,800 exactly (the float gave 7,394,799).
    assert ours(10_564_000, date(1982, 6, 1), 60, 2024, "fiscal-year") == 7_394_800


def test_the_largest_amounts_a_bigint_holds_stay_exact():
    most = 2**63 - 1
    for convention in ("fiscal-year", "daily"):
        for year in (2000, 2030, 2100):
            assert ours(most, date(1990, 6, 1), 50, year, convention) == exact(
                most, date(1990, 6, 1), 50, year, convention
            )
    # A life so long that the daily denominator squared leaves int64: exact all the same.
    assert ours(most, date(1990, 6, 1), 10**9, 2024, "daily") == exact(most, date(1990, 6, 1), 10**9, 2024, "daily")


def test_before_acquisition_and_after_the_life():
    acquired = date(2020, 4, 1)
    assert ours(1_000, acquired, 5, 2019, "fiscal-year") == 0
    assert ours(1_000, acquired, 5, 2020, "fiscal-year") == 0
    assert ours(1_000, acquired, 5, 2025, "fiscal-year") == 999
    assert ours(1_000, acquired, 5, 2019, "daily") == 0
    assert ours(1_000, acquired - timedelta(days=1), 5, 2019, "daily") == 0  # bought on the year's last day


@pytest.mark.parametrize(
    ("cost", "life", "words"),
    [
        (pd.Series([1.5]), pd.Series([10]), "cost must be whole numbers"),
        (pd.Series([2.0**60]), pd.Series([10]), "below 2**53"),
        (pd.Series([1000]), pd.Series([0]), "life_years must be greater than 0"),
        (pd.Series([None], dtype="Int64"), pd.Series([10]), "cost must not be missing"),
    ],
)
def test_refuses_what_it_cannot_compute_exactly(cost, life, words):
    with pytest.raises(ValueError, match=re.escape(words)):
        accumulated_depreciation(cost, pd.Series(pd.to_datetime(["2000-06-01"])), life, fiscal_year_of=2024)
