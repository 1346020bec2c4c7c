"""Inspections due or overdue in a fiscal year, by statute for bridges and tunnels, by cycle for the rest."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fm.domain.fiscal import fiscal_year_end, fiscal_year_start
from fm.domain.risk.config import RiskConfig


def next_inspections(assets: pd.DataFrame, inspections: pd.DataFrame, *, config: RiskConfig) -> pd.DataFrame:
    """Each asset's ``last_inspected_on`` and next ``due_on`` (both NaT when never inspected), by ``id``.

    Next due: the latest inspection's ``next_due_on`` when recorded, else its date plus the
    category's cycle (``inspection_cycle_years``). Of two inspections of an asset on its latest day, the last
    recorded counts: the higher ``id`` when ``inspections`` has one, else the later row.
    """
    latest = (
        inspections.assign(
            inspected_on=pd.to_datetime(inspections["inspected_on"]),
            next_due_on=pd.to_datetime(inspections["next_due_on"]),
        )
        .sort_values(["inspected_on", "id"] if "id" in inspections else "inspected_on", kind="stable")
        .drop_duplicates("asset_id", keep="last")
        .set_index("asset_id")
    )

    # reindex, not Series.map: pandas cannot map through an empty datetime Series (an asset never inspected)
    def by_asset(column: str) -> pd.Series:
        return pd.Series(latest[column].reindex(assets["id"]).to_numpy(), index=assets.index)

    frame = pd.DataFrame({"last_inspected_on": by_asset("inspected_on")}, index=assets.index)
    # the cycle of each category once, not a call per asset (a category missing: the default, as config.cycle gives)
    codes = assets["category"]
    cycles = {code: config.cycle(code) for code in codes.dropna().unique()}
    cycle = codes.map(cycles).astype(float).fillna(float(config.inspection_cycle_years["default"]))
    frame["due_on"] = by_asset("next_due_on").fillna(_add_months(frame["last_inspected_on"], (cycle * 12).round()))
    return frame


def due_inspections(
    assets: pd.DataFrame, inspections: pd.DataFrame, *, fiscal_year: int, config: RiskConfig
) -> pd.DataFrame:
    """Held assets whose next inspection (:func:`next_inspections`) falls due by the end of ``fiscal_year``.

    ``status`` is ``never_inspected``, ``overdue`` (due before the year starts) or ``due``
    (due within the year).
    """
    start, end = pd.Timestamp(fiscal_year_start(fiscal_year)), pd.Timestamp(fiscal_year_end(fiscal_year))
    disposed = pd.to_datetime(assets["disposed_on"])
    held = assets[disposed.isna() | (disposed > end)]
    frame = held[["id", "code", "name", "category", "district_id"]].join(
        next_inspections(held, inspections, config=config)
    )
    frame["status"] = "due"
    frame.loc[frame["due_on"] < start, "status"] = "overdue"
    frame.loc[frame["last_inspected_on"].isna(), "status"] = "never_inspected"
    frame = frame[frame["last_inspected_on"].isna() | (frame["due_on"] <= end)]
    for column in ("last_inspected_on", "due_on"):
        frame[column] = frame[column].dt.date
    return frame.reset_index(drop=True)


def _add_months(dates: pd.Series, months: pd.Series) -> pd.Series:
    """``dates`` plus whole ``months``, calendar-wise (31 January + 1 month = 28 or 29 February)."""
    total = dates.dt.year * 12 + dates.dt.month - 1 + months
    year, month = total // 12, total % 12 + 1
    first = pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": 1}), errors="coerce")
    day = np.minimum(dates.dt.day, first.dt.days_in_month)
    return first + pd.to_timedelta(day - 1, unit="D")
