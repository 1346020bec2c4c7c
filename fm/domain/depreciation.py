"""Straight-line depreciation of tangible assets, for the aging ratio (有形固定資産減価償却率).

Two conventions, chosen by name:

``"fiscal-year"`` (default, 総務省「資産評価及び固定資産台帳整備の手引き」 as we read it)
    Depreciation starts in the fiscal year after the one of acquisition and runs whole
    years: at the end of fiscal year Y an asset acquired in fiscal year A has
    ``min(max(Y - A, 0), life)`` years of depreciation.
``"daily"``
    Depreciation runs from the acquisition date, day by day: the elapsed share is
    ``days / (life × 365.25)``, that is the exact fraction ``4 × days / (1461 × life)``.

Either way the elapsed share is an exact fraction ``n / d`` of whole numbers and accumulated
depreciation is ``⌊cost × n / d⌋`` yen, computed in integers, never through a float: a share
of 42/60 of 10,564,000 yen is 7,394,800 yen, not the 7,394,799 that ``floor(cost × 0.7)``
gives. A fully depreciated asset keeps a memo value of 1 yen while it is held, so its
accumulated depreciation is ``cost − 1``.

The product is formed as ``(cost // d) × n + (cost % d) × n // d``, whose terms stay below
the cost and below ``d²``, so every amount a BIGINT column holds (up to 2⁶³ − 1 yen) is
exact in int64; lives so long that ``d²`` would not fit fall back to Python integers.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from fm.domain.fiscal import fiscal_year, fiscal_year_end
from fm.domain.money import whole

CONVENTIONS = ("fiscal-year", "daily")
MEMO_VALUE = 1
DAYS_PER_FOUR_YEARS = 1461
"""365.25 days a year, as the whole number of days in four years: the daily convention's denominator."""
_EXACT_INT64 = 3_037_000_499
"""The largest denominator whose square fits in int64: below it the product is exact in numpy."""


def accumulated_depreciation(
    cost: pd.Series,
    acquired: pd.Series,
    life_years: pd.Series,
    *,
    fiscal_year_of: int | np.ndarray,
    convention: str = "fiscal-year",
) -> pd.Series:
    """Accumulated depreciation in integer yen at the end of fiscal year ``fiscal_year_of``.

    Parameters
    ----------
    cost
        Acquisition cost in whole yen (> 0).
    acquired
        Acquisition dates.
    life_years
        Useful life in whole years (> 0).
    fiscal_year_of
        The fiscal year at whose end (31 March) depreciation is measured, one for all or one for each row.
    convention
        ``"fiscal-year"`` or ``"daily"`` (see the module docstring).

    Examples
    --------
    >>> cost = pd.Series([1_000_000, 1_000_000, 1_000_000, 10_564_000])
    >>> acquired = pd.Series(pd.to_datetime(["2020-03-31", "2020-04-01", "1990-06-01", "1982-06-01"]))
    >>> accumulated_depreciation(cost, acquired, pd.Series([10, 10, 10, 60]), fiscal_year_of=2024).tolist()
    [500000, 400000, 999999, 7394800]
    """
    if convention not in CONVENTIONS:
        raise ValueError(f"convention must be one of {CONVENTIONS}, got {convention!r}")
    life = whole(life_years, "life_years")
    if (life <= 0).any():
        raise ValueError("life_years must be greater than 0")
    if convention == "fiscal-year":
        years = (np.asarray(fiscal_year_of) - fiscal_year(acquired)).astype("Int64")
        numerator = whole(years, "acquired").clip(min=0)
        denominator = life
    else:
        ends = [pd.Timestamp(fiscal_year_end(int(year))) for year in np.atleast_1d(fiscal_year_of)]
        end = ends[0] if np.ndim(fiscal_year_of) == 0 else pd.Series(ends, index=acquired.index)
        days = (end - pd.to_datetime(acquired)).dt.days.astype("Int64")
        numerator = 4 * whole(days, "acquired").clip(min=0)
        denominator = DAYS_PER_FOUR_YEARS * life
    amounts = whole(cost, "cost")
    done = numerator >= denominator
    accumulated = _share(amounts, np.minimum(numerator, denominator), denominator)
    accumulated = np.where(done, amounts - MEMO_VALUE, accumulated)
    return pd.Series(accumulated, index=cost.index, dtype="int64")


def _share(amounts: np.ndarray, numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``⌊amounts × numerator / denominator⌋`` exactly, for ``0 ≤ numerator ≤ denominator``."""
    if len(denominator) == 0 or denominator.max() <= _EXACT_INT64:
        whole, part = np.divmod(amounts, denominator)
        return whole * numerator + part * numerator // denominator
    exact = [a * n // d for a, n, d in zip(amounts.tolist(), numerator.tolist(), denominator.tolist(), strict=True)]
    return np.array(exact, dtype="int64")


def schedule(
    cost: int, acquired: date, life_years: int, *, last_fiscal_year: int, convention: str = "fiscal-year"
) -> pd.DataFrame:
    """One asset's depreciation year by year, from the fiscal year of its acquisition to
    ``last_fiscal_year``: fiscal_year, acquisition (the cost, in the year acquired), depreciation
    (of the year), accumulated_depreciation and book_value at the year's end, in integer yen.

    Each year's accumulated depreciation is :func:`accumulated_depreciation` at that year's
    end, so every row is what the aging ratio counts for the asset in that year.

    Examples
    --------
    >>> table = schedule(1_000_000, date(2020, 6, 1), 4, last_fiscal_year=2025)
    >>> table[["fiscal_year", "depreciation", "book_value"]].values.tolist()  # doctest: +NORMALIZE_WHITESPACE
    [[2020, 0, 1000000], [2021, 250000, 750000], [2022, 250000, 500000], [2023, 250000, 250000],
     [2024, 249999, 1], [2025, 0, 1]]
    """
    first = fiscal_year(acquired)
    years = list(range(first, last_fiscal_year + 1))
    accumulated = accumulated_depreciation(  # the one asset repeated, once for each year: one call, not one a year
        pd.Series([int(cost)] * len(years), dtype="int64"),
        pd.Series([pd.Timestamp(acquired)] * len(years)),
        pd.Series([int(life_years)] * len(years), dtype="int64"),
        fiscal_year_of=np.array(years, dtype="int64"),
        convention=convention,
    )
    return pd.DataFrame(
        {
            "fiscal_year": pd.Series(years, dtype="int64"),
            "acquisition": pd.Series([int(cost) if year == first else 0 for year in years], dtype="int64"),
            "depreciation": accumulated.diff().fillna(accumulated).astype("int64"),
            "accumulated_depreciation": accumulated,
            "book_value": int(cost) - accumulated,
        }
    )
