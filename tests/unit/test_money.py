"""Shares, splits and totals of yen: exact against Fraction arithmetic, whatever the amount a BIGINT holds."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from fm.domain.money import measured, per_unit, percent, priced, share_of, total
from fm.domain.renewal.projection import split

amounts = st.integers(min_value=0, max_value=2**63 - 1)
shares = st.decimals(min_value=0, max_value=1, places=4)


def half_up(value: Fraction) -> int:
    return math.floor(value + Fraction(1, 2))


@settings(max_examples=300, deadline=None)
@given(values=st.lists(amounts, min_size=1, max_size=20), share=shares)
def test_a_share_of_amounts_is_the_exact_fraction_rounded_half_up(values, share):
    found = share_of(np.array(values, dtype="int64"), float(share))
    assert found.dtype == "int64"
    assert found.tolist() == [half_up(v * Fraction(share)) for v in values]


def test_a_share_is_the_decimal_as_written_not_the_float_nearest_it():
    # 0.7 as a float is 0.6999999999999999555910790149937…: the share 7/10 is meant
    assert share_of(np.array([10_564_000]), 0.7).tolist() == [7_394_800]
    assert share_of(np.array([10]), Decimal("0.25")).tolist() == [3]  # 2.5 rounds half up


@settings(max_examples=300, deadline=None)
@given(amount=st.integers(0, 10**15), parts=st.integers(1, 40))
def test_a_split_adds_up_to_the_amount_in_whole_yen(amount, parts):
    found = split(amount, parts)
    assert int(found.sum()) == amount
    assert found.max() - found.min() <= 1 and list(found) == sorted(found, reverse=True)


def test_a_measured_cost_is_rounded_once_half_up_in_integers():
    assert priced(measured([0.5, 1.49, 1_500.0]), [1, 1, 4_700], which=np.array([0, 1, 2])).tolist() == [
        1,
        1,
        7_050_000,
    ]


def test_a_quantity_is_the_decimal_it_was_written_as_not_the_float_nearest_it():
    # 0.205 as a float is 0.2049999999999999877…: 0.205 m² of road is meant, and 0.205 × 4,700 yen = 963.5 yen, half
    # up 964; the float product is 963.4999999999999, which the old floor(product + 0.5) made 963.
    assert measured([0.205, 0.1, 0.2, 0.30000000000000004]).tolist() == [205_000, 100_000, 200_000, 300_000]
    assert math.floor(0.205 * 4_700 + 0.5) == 963
    assert priced(measured([0.205]), 4_700).tolist() == [964]
    # A share of 0.3 is 3/10 and an area of 1.005 m² is 1.005: 1.005 × 330,000 × 0.3 = 99,495 yen exactly.
    assert priced(measured([1.005]), 330_000, share=0.3).tolist() == [99_495]


def test_a_large_unit_cost_keeps_its_last_yen():
    # 8,845,532.8 m × 1,901,749,037 yen/m = 16,821,983,484,151,913.6 yen: past 2⁵³, where float64 steps by 4 yen;
    # the float product (and so the old rounding) says …916, two yen too many.
    exact_cost = Fraction(Decimal("8845532.8")) * 1_901_749_037
    assert half_up(exact_cost) == 16_821_983_484_151_914
    assert math.floor(8_845_532.8 * 1_901_749_037 + 0.5) == 16_821_983_484_151_916
    assert priced(measured([8_845_532.8]), 1_901_749_037).tolist() == [16_821_983_484_151_914]
    assert priced(measured([8_845_532.8]), 1_901_749_037, share=0.3).tolist() == [half_up(exact_cost * 3 / 10)]


@settings(max_examples=300, deadline=None)
@given(
    quantities=st.lists(st.decimals(min_value=0, max_value=10**8, places=3), min_size=1, max_size=10),
    unit=st.one_of(st.integers(1, 10**9), st.decimals(min_value=1, max_value=10**6, places=2)),
    share=shares,
)
def test_a_price_is_the_exact_product_rounded_half_up(quantities, unit, share):
    found = priced(measured([float(q) for q in quantities]), float(unit), share=float(share))
    assert found.tolist() == [half_up(Fraction(q) * Fraction(unit) * Fraction(share)) for q in quantities]


def test_prices_past_int64_are_python_integers():
    found = priced(np.array([2**62]), 10_000_000)  # 2⁶² millionths of a m at 10⁷ yen/m: 10 × 2⁶² yen
    assert found.dtype == object and found.tolist() == [10 * 2**62]
    assert measured([2.0**60 / 400_000]).tolist() == [2_882_303_761_517_117_700]  # its repr, 2882303761517.1177


def test_totals_do_not_wrap_round():
    assert total(pd.Series([2**63 - 1, 1], dtype="int64")) == 2**63
    assert total(pd.Series([1, None, 2], dtype="Int64")) == 3


def test_a_percentage_of_whole_amounts_is_rounded_half_up_from_the_exact_fraction():
    # 7 yen of 2,000 is 0.35 % exactly: published 0.4 (half up); the float 0.35 is 0.34999999999999997779…, which
    # round() took to 0.3. Sums past 2⁵³ are divided as they are, never first turned into floats.
    assert percent(7, 2_000) == 0.4 and round(100 * 7 / 2_000, 1) == 0.3
    assert percent(2**53 + 1, 2**54 + 2) == 50.0 and percent(1, 0) is None
    assert per_unit(1_000_001, 2) == 500_001 and per_unit(5, 3.0) == 2 and per_unit(1, 0) is None
