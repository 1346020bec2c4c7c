"""The facility card (施設カルテ): a building or a service on one page, for a council meeting.

Money stays in whole yen: a cost per user or per m² is rounded half up to the yen once, from the integer
cost; the renewal cost due is the sum of the renewal projection's whole-yen years (:mod:`fm.domain.renewal`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from fm.domain.depreciation import accumulated_depreciation
from fm.domain.money import per_unit, percent

YEARS = 5
"""Fiscal years of usage a card shows."""


def yearly(figures: pd.DataFrame, *, area: float | None, last_year: int, years: int = YEARS) -> list[dict[str, Any]]:
    """Users and operating cost in each of the ``years`` fiscal years up to ``last_year`` (None where not
    recorded), with cost per user, cost per m² and users per m² of ``area``.

    >>> figures = pd.DataFrame({"fiscal_year": [2024, 2025], "users": [100, 0], "operating_cost": [250_000, 90_000]})
    >>> [(r["fiscal_year"], r["cost_per_user"], r["cost_per_m2"]) for r in yearly(figures, area=50.0, last_year=2025,
    ...                                                                                years=3)]
    [(2023, None, None), (2024, 2500, 5000), (2025, None, 1800)]
    """
    by_year = figures.set_index("fiscal_year")
    rows = []
    for year in range(last_year - years + 1, last_year + 1):
        users = by_year.at[year, "users"] if year in by_year.index else None
        cost = by_year.at[year, "operating_cost"] if year in by_year.index else None
        users = None if users is None or pd.isna(users) else int(users)
        cost = None if cost is None or pd.isna(cost) else int(cost)
        rows.append(
            {
                "fiscal_year": year,
                "users": users,
                "operating_cost": cost,
                "cost_per_user": per_unit(cost, users),
                "cost_per_m2": per_unit(cost, area),
                "users_per_m2": None if users is None or not area else round(users / area, 2),
            }
        )
    return rows


def aging_ratio(building: dict[str, Any], *, fiscal_year: int) -> float | None:
    """Accumulated depreciation over acquisition cost at the end of ``fiscal_year``, in % (one decimal).

    >>> aging_ratio({"acquisition_cost": 100_000_000, "acquisition_date": "1990-06-01", "useful_life_years": 50},
    ...             fiscal_year=2024)
    68.0
    """
    cost: Any = building.get("acquisition_cost")
    acquired: Any = building.get("acquisition_date")
    life: Any = building.get("useful_life_years")
    if any(v is None or pd.isna(v) for v in (cost, acquired, life)) or int(cost) <= 0:
        return None
    accumulated = accumulated_depreciation(
        pd.Series([int(cost)]),
        pd.Series([pd.Timestamp(acquired)]),
        pd.Series([int(life)]),
        fiscal_year_of=fiscal_year,
    ).iloc[0]
    return percent(int(accumulated), int(cost))


def renewal_due(totals: pd.Series, *, share: tuple[int, int] = (1, 1)) -> dict[str, int]:
    """The renewal cost due in the next 10 and 40 years from a projection's yearly totals (first year
    first), times ``share`` (numerator, denominator: a service's part of a building), half up to the yen.

    >>> renewal_due(pd.Series([100] * 40), share=(1, 3))
    {'next_10_years': 333, 'next_40_years': 1333}
    """
    numerator, denominator = share
    ten, forty = int(totals.iloc[:10].sum()), int(totals.iloc[:40].sum())
    return {
        "next_10_years": (2 * ten * numerator + denominator) // (2 * denominator),
        "next_40_years": (2 * forty * numerator + denominator) // (2 * denominator),
    }


def plan_status(plans: list[dict[str, Any]], *, needs_plan: bool) -> str:
    """``adopted`` (a plan covering it is adopted), ``drafted`` (covered by a plan not adopted yet),
    ``needed`` (must have one, has none) or ``not_needed``.

    >>> plan_status([{"adopted": False}], needs_plan=True), plan_status([], needs_plan=False)
    ('drafted', 'not_needed')
    """
    if any(p["adopted"] for p in plans):
        return "adopted"
    if plans:
        return "drafted"
    return "needed" if needs_plan else "not_needed"
