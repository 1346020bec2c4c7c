"""Japanese fiscal years (年度): 1 April to 31 March, named by the calendar year they start in.

2025年度 runs from 2025-04-01 to 2026-03-31 (地方自治法 第208条). Every date-to-年度
conversion in fm goes through :func:`fiscal_year`.
"""

from __future__ import annotations

from datetime import date
from typing import overload

import pandas as pd

FIRST_MONTH = 4


@overload
def fiscal_year(when: date) -> int: ...
@overload
def fiscal_year(when: pd.Series) -> pd.Series: ...


def fiscal_year(when):
    """Return the fiscal year of a date, or of each date in a Series (missing stays missing).

    Examples
    --------
    >>> fiscal_year(date(2026, 3, 31)), fiscal_year(date(2026, 4, 1))
    (2025, 2026)
    >>> fiscal_year(pd.Series(pd.to_datetime(["2024-04-01", None, "2025-01-15"]))).tolist()
    [2024, <NA>, 2024]
    """
    if isinstance(when, pd.Series):
        stamps = pd.to_datetime(when)
        years = stamps.dt.year - (stamps.dt.month < FIRST_MONTH).astype("Int64")
        return years.astype("Int64")
    if not isinstance(when, date):
        raise TypeError(f"fiscal_year expects a date or a Series of dates, got {type(when).__name__}")
    return when.year - (when.month < FIRST_MONTH)


def fiscal_year_start(year: int) -> date:
    """First day of fiscal ``year``: 1 April."""
    return date(year, FIRST_MONTH, 1)


def fiscal_year_end(year: int) -> date:
    """Last day of fiscal ``year``: 31 March of the next calendar year."""
    return date(year + 1, FIRST_MONTH - 1, 31)


def fiscal_year_label(year: int, lang: str = "ja") -> str:
    """``2025年度`` in Japanese, ``FY2025`` in English."""
    return f"{year}年度" if lang == "ja" else f"FY{year}"
