"""What-if for finance: the aging ratio over the next fiscal years, with the planned work against doing nothing.

Both curves start from the depreciable assets held at the end of the base fiscal year Y
(those :func:`fm.domain.kpi.measures.aging_ratio` counts) and are evaluated at the end of each
of the fiscal years Y+1 … Y+n with the same depreciation convention.

- **Doing nothing**: every one of those assets is kept and keeps depreciating.
- **Planned**: what the records plan is carried out.

  - A *planned renewal* is a work order of kind ``renewal`` that is ``planned`` or
    ``in_progress``, with a ``planned_on`` date in the horizon and a ``planned_cost``.
    At the end of its fiscal year the old asset leaves the books (its cost and
    accumulated depreciation) and a new one enters at the planned cost, acquired on
    ``planned_on`` with the old asset's useful life. An asset's first renewal in the
    horizon counts; a renewal planned before the horizon (overdue) is not assumed to
    happen.
  - A *planned disposal* is a ``disposed_on`` date after the base year on an asset held
    at its end: from the end of that date's fiscal year the asset (or what renewed it)
    is no longer held.

Assets the register says will be acquired after the base year are left out of both
curves: the what-if is about the stock held today.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from fm.domain.depreciation import accumulated_depreciation
from fm.domain.fiscal import fiscal_year as to_fiscal_year
from fm.domain.fiscal import fiscal_year_end
from fm.domain.kpi.measures import INDICATORS, KpiData, aging_ratio, half_up
from fm.domain.money import total
from fm.serialize import records

OPEN_STATUSES = ("planned", "in_progress")


@dataclass(frozen=True)
class WhatIf:
    """The two curves year by year, and the renewals and disposals the planned curve carries out."""

    base_year: int
    years: pd.DataFrame  # fiscal_year, then value / numerator / denominator of "planned" and "nothing" (NaN: undefined)
    renewals: pd.DataFrame  # fiscal_year, code (work order), asset_code, name, acquisition_cost, planned_cost
    disposals: pd.DataFrame  # fiscal_year, code, name, acquisition_cost

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON: values at the aging ratio's published precision, yen as integers."""
        decimals = INDICATORS["aging_ratio"].decimals
        rows = [
            {
                key: (None if pd.isna(value) else half_up(value, decimals) if key.endswith("_value") else int(value))
                for key, value in row.items()
            }
            for row in self.years.to_dict("records")
        ]
        return {
            "base_year": self.base_year,
            "years": rows,
            "renewals": records(self.renewals),
            "disposals": records(self.disposals),
        }


def aging_whatif(data: KpiData, *, fiscal_year: int, years: int = 10, convention: str = "fiscal-year") -> WhatIf:
    """The aging ratio at the end of each of the ``years`` fiscal years after ``fiscal_year``, both ways.

    Examples
    --------
    One asset bought in FY2020 for 1,000,000 yen with a 10-year life, disposed of in FY2027:

    >>> assets = pd.DataFrame({"id": [1], "code": ["A"], "name": ["a"], "category": ["school"],
    ...     "acquisition_date": [pd.Timestamp("2020-06-01")], "acquisition_cost": [1_000_000],
    ...     "useful_life_years": [10], "disposed_on": [pd.Timestamp("2027-05-01")]})
    >>> categories = pd.DataFrame({"code": ["school"], "name": ["学校"], "name_en": ["School"],
    ...                            "useful_life_years": [47]})
    >>> work = pd.DataFrame(columns=["asset_id", "kind", "status", "planned_on", "planned_cost", "code"])
    >>> result = aging_whatif(KpiData(assets, categories, None, None, None, None, None, work),
    ...                       fiscal_year=2025, years=3)
    >>> [(row["fiscal_year"], row["planned_value"], row["nothing_value"]) for row in result.as_dict()["years"]]
    [(2026, 60.0, 60.0), (2027, None, 70.0), (2028, None, 80.0)]
    """
    if not 1 <= years <= 50:
        raise ValueError(f"years must be from 1 to 50, got {years}")
    end = pd.Timestamp(fiscal_year_end(fiscal_year))
    stock = aging_ratio(data, fiscal_year=fiscal_year, convention=convention).records
    info = data.assets.set_index("id")
    disposed_on = pd.to_datetime(stock["id"].map(info["disposed_on"]))
    stock = stock.assign(
        acquisition_date=pd.to_datetime(stock["acquisition_date"]),
        disposal_year=to_fiscal_year(disposed_on.where(disposed_on > end)),
    )
    renewals = _renewals(data.work_orders, stock, fiscal_year, years)
    stock = stock.merge(
        renewals[["asset_id", "fiscal_year", "planned_on", "planned_cost"]].rename(
            columns={"asset_id": "id", "fiscal_year": "renewal_year"}
        ),
        on="id",
        how="left",
    )
    rows = []
    for year in range(fiscal_year + 1, fiscal_year + years + 1):
        old = _depreciated(stock, stock["acquisition_cost"], stock["acquisition_date"], year, convention)
        held = stock["disposal_year"].isna() | (stock["disposal_year"] > year)
        renewed = stock["renewal_year"].notna() & (stock["renewal_year"] <= year)
        now = stock[held & renewed]
        new = _depreciated(now, now["planned_cost"], now["planned_on"], year, convention)
        planned_num = total(old[held & ~renewed]) + total(new)  # exact: Python integers
        planned_den = total(stock.loc[held & ~renewed, "acquisition_cost"]) + total(
            stock.loc[held & renewed, "planned_cost"]
        )
        nothing_num, nothing_den = total(old), total(stock["acquisition_cost"])
        rows.append(
            {
                "fiscal_year": year,
                "planned_numerator": planned_num,
                "planned_denominator": planned_den,
                "planned_value": 100.0 * planned_num / planned_den if planned_den else float("nan"),
                "nothing_numerator": nothing_num,
                "nothing_denominator": nothing_den,
                "nothing_value": 100.0 * nothing_num / nothing_den if nothing_den else float("nan"),
            }
        )
    last = fiscal_year + years
    leaving = stock[stock["disposal_year"].notna() & (stock["disposal_year"] <= last)]
    disposals = pd.DataFrame(
        {
            "fiscal_year": leaving["disposal_year"].astype("int64"),
            "code": leaving["code"],
            "name": leaving["name"],
            "acquisition_cost": leaving["acquisition_cost"],
        }
    )
    return WhatIf(
        fiscal_year,
        pd.DataFrame(rows),
        renewals[["fiscal_year", "code", "asset_code", "name", "acquisition_cost", "planned_cost"]].reset_index(
            drop=True
        ),
        disposals.sort_values(["fiscal_year", "code"]).reset_index(drop=True),
    )


def _renewals(work_orders: pd.DataFrame, stock: pd.DataFrame, fiscal_year: int, years: int) -> pd.DataFrame:
    """Each held asset's first open renewal with a cost planned in the horizon (one with no date is left out)."""
    planned_on = pd.to_datetime(work_orders["planned_on"])
    year = to_fiscal_year(planned_on)
    in_horizon = ((year > fiscal_year) & (year <= fiscal_year + years)).fillna(False).astype(bool)  # no date: out
    open_ = work_orders[
        (work_orders["kind"] == "renewal")
        & work_orders["status"].isin(OPEN_STATUSES)
        & work_orders["planned_cost"].notna()
        & in_horizon
    ]
    open_ = open_.assign(planned_on=planned_on[open_.index], fiscal_year=year[open_.index].astype("int64"))
    first = open_.sort_values(["planned_on", "code"]).drop_duplicates("asset_id")
    return first.merge(
        stock[["id", "code", "name", "acquisition_cost"]].rename(columns={"id": "asset_id", "code": "asset_code"}),
        on="asset_id",
    ).sort_values(["fiscal_year", "code"])


def _depreciated(stock: pd.DataFrame, cost: pd.Series, acquired: pd.Series, year: int, convention: str) -> pd.Series:
    """Accumulated depreciation at the end of ``year`` of each row's ``cost`` bought on ``acquired``."""
    return accumulated_depreciation(
        cost.astype("int64"),
        pd.to_datetime(acquired),
        stock["useful_life_years"],
        fiscal_year_of=year,
        convention=convention,
    )
