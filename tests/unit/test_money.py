"""Shares, splits and totals of yen: exact against Fraction arithmetic, whatever the amount a BIGINT holds."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from fm.domain.money import share_of, total
from fm.domain.renewal.projection import split, yen

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


def test_yen_rounds_a_measured_amount_once_half_up():
    assert [yen(0.5), yen(1.49), yen(1_500.0 * 4_700)] == [1, 1, 7_050_000]


def test_totals_do_not_wrap_round():
    assert total(pd.Series([2**63 - 1, 1], dtype="int64")) == 2**63
    assert total(pd.Series([1, None, 2], dtype="Int64")) == 3
