from datetime import date, datetime

import pandas as pd
import pytest

from fm.domain.fiscal import (
    fiscal_year,
    fiscal_year_end,
    fiscal_year_label,
    fiscal_year_start,
)


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (date(2025, 4, 1), 2025),
        (date(2026, 3, 31), 2025),
        (date(2026, 4, 1), 2026),
        (date(2025, 1, 1), 2024),
        (date(2025, 12, 31), 2025),
        (datetime(2026, 3, 31, 23, 59), 2025),
        (pd.Timestamp("2024-04-01"), 2024),
    ],
)
def test_fiscal_year_of_a_date(when, expected):
    assert fiscal_year(when) == expected


def test_fiscal_year_of_a_series_keeps_missing_values():
    series = pd.Series([date(2025, 3, 31), None, date(2025, 4, 1)])
    assert fiscal_year(series).tolist() == [2024, pd.NA, 2025]


def test_bounds_and_label():
    assert fiscal_year_start(2025) == date(2025, 4, 1)
    assert fiscal_year_end(2025) == date(2026, 3, 31)
    assert fiscal_year(fiscal_year_start(2025)) == fiscal_year(fiscal_year_end(2025)) == 2025
    assert fiscal_year_label(2025) == "2025年度"
    assert fiscal_year_label(2025, "en") == "FY2025"


def test_rejects_what_is_not_a_date():
    with pytest.raises(TypeError, match="got str"):
        fiscal_year("2025-04-01")
