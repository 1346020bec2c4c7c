"""Straight-line depreciation of tangible assets, for the aging ratio (有形固定資産減価償却率).

Two conventions, chosen by name:

``"fiscal-year"`` (default, 総務省「資産評価及び固定資産台帳整備の手引き」 as we read it)
    Depreciation starts in the fiscal year after the one of acquisition and runs whole
    years: at the end of fiscal year Y an asset acquired in fiscal year A has
    ``min(max(Y - A, 0), life)`` years of depreciation.
``"daily"``
    Depreciation runs from the acquisition date, day by day: the elapsed share is
    ``days / (life × 365.25)``.

Either way accumulated depreciation is ``floor(cost × elapsed share)`` yen, and a
fully depreciated asset keeps a memo value of 1 yen while it is held, so its
accumulated depreciation is ``cost − 1``.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from fm.domain.fiscal import fiscal_year, fiscal_year_end

CONVENTIONS = ("fiscal-year", "daily")
MEMO_VALUE = 1


def accumulated_depreciation(
    cost: pd.Series,
    acquired: pd.Series,
    life_years: pd.Series,
    *,
    fiscal_year_of: int,
    convention: str = "fiscal-year",
) -> pd.Series:
    """Accumulated depreciation in integer yen at the end of fiscal year ``fiscal_year_of``.

    Parameters
    ----------
    cost
        Acquisition cost in yen (> 0).
    acquired
        Acquisition dates.
    life_years
        Useful life in years (> 0).
    fiscal_year_of
        The fiscal year at whose end (31 March) depreciation is measured.
    convention
        ``"fiscal-year"`` or ``"daily"`` (see the module docstring).

    Examples
    --------
    >>> cost = pd.Series([1_000_000, 1_000_000, 1_000_000])
    >>> acquired = pd.Series(pd.to_datetime(["2020-03-31", "2020-04-01", "1990-06-01"]))
    >>> accumulated_depreciation(cost, acquired, pd.Series([10, 10, 10]), fiscal_year_of=2024).tolist()
    [500000, 400000, 999999]
    """
    if convention not in CONVENTIONS:
        raise ValueError(f"convention must be one of {CONVENTIONS}, got {convention!r}")
    cost = cost.astype("int64")
    life = life_years.astype("float64")
    if convention == "fiscal-year":
        elapsed = (fiscal_year_of - fiscal_year(acquired)).astype("float64").clip(lower=0)
        share = (elapsed / life).clip(upper=1.0)
    else:
        end = pd.Timestamp(fiscal_year_end(fiscal_year_of))
        days = (end - pd.to_datetime(acquired)).dt.days.astype("float64").clip(lower=0)
        share = (days / (life * 365.25)).clip(upper=1.0)
    accumulated = np.floor(cost.to_numpy() * share.to_numpy()).astype("int64")
    accumulated = np.where(share.to_numpy() >= 1.0, cost.to_numpy() - MEMO_VALUE, accumulated)
    return pd.Series(accumulated, index=cost.index, dtype="int64")


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
    one = {
        "cost": pd.Series([int(cost)]),
        "acquired": pd.Series([pd.Timestamp(acquired)]),
        "life_years": pd.Series([int(life_years)]),
    }
    accumulated = pd.Series(
        [int(accumulated_depreciation(**one, fiscal_year_of=year, convention=convention).iloc[0]) for year in years],
        dtype="int64",
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
