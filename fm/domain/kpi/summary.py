"""Every indicator for one or more fiscal years, beside its target, its change and whether it is on track.

On track (``on_track``):

- with a target value for a year: reached already, or last year's change is at least
  the pace still needed (remaining gap ÷ years left); past the target year and not
  reached: not on track;
- with a direction only: the value moved the better way since the previous year;
- undefined when the value, or the previous year's (for the pace), is undefined.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from fm.domain.fiscal import fiscal_year as to_fiscal_year
from fm.domain.kpi.measures import INDICATORS, KpiData, Measure, measure


def available_years(data: KpiData) -> list[int]:
    """Fiscal years from the first to the last with recorded activity: completed works or plan amounts."""
    done = data.work_orders[data.work_orders["status"] == "completed"]
    years = pd.concat(
        [
            to_fiscal_year(pd.to_datetime(done["completed_on"])),
            data.budget_items["fiscal_year"].astype("Int64"),
        ]
    ).dropna()
    return list(range(int(years.min()), int(years.max()) + 1)) if len(years) else []


def summary(
    data: KpiData,
    targets: pd.DataFrame,
    *,
    years: list[int] | None = None,
    convention: str = "fiscal-year",
) -> list[dict[str, Any]]:
    """One row per indicator and fiscal year (``years``, default :func:`available_years`).

    ``targets`` has ``indicator``, ``target_year``, ``target_value`` and ``source``.
    Each row: the indicator's names and unit, ``value`` at published precision,
    ``numerator``, ``denominator``, ``target``, ``direction``, ``change`` from the
    previous year, ``on_track``, and ``note`` when the value is undefined.
    """
    rows = []
    measured: dict[tuple[str, int], Measure] = {}  # each year is some other year's previous one: measure it once

    def once(key: str, year: int) -> Measure:
        if (key, year) not in measured:
            options = {"convention": convention} if key == "aging_ratio" else {}
            measured[key, year] = measure(key, data, fiscal_year=year, **options)
        return measured[key, year]

    for year in years if years is not None else available_years(data):
        for key, indicator in INDICATORS.items():
            current = once(key, year)
            previous = once(key, year - 1)
            change = _change(current, previous)
            target = _target(targets, key, year)
            rows.append(
                {
                    "indicator": key,
                    "name": indicator.name,
                    "name_en": indicator.name_en,
                    "unit": indicator.unit,
                    "decimals": indicator.decimals,
                    "fiscal_year": year,
                    "value": current.rounded(),
                    "numerator": current.numerator,
                    "denominator": current.denominator,
                    "target": target,
                    "direction": indicator.direction,
                    "change": change,
                    "on_track": _on_track(current.value, change, target, indicator.direction, year),
                    "note": current.note,
                    **({"breakdown": current.breakdown} if current.breakdown is not None else {}),
                }
            )
    return rows


def _change(current: Measure, previous: Measure) -> float | None:
    if current.value is None or previous.value is None:
        return None
    decimals = INDICATORS[current.indicator].decimals
    return round(current.value - previous.value, decimals)


def _target(targets: pd.DataFrame, indicator: str, year: int) -> dict[str, Any] | None:
    rows = targets[targets["indicator"] == indicator].sort_values("target_year", na_position="first")
    if rows.empty:
        return None
    ahead = rows[rows["target_year"].notna() & (rows["target_year"] >= year)]
    if len(ahead):
        row = ahead.iloc[0]  # the nearest target still ahead
    else:  # every dated target has passed: the latest of them (a target with no year comes first)
        row = rows.iloc[-1]
    return {
        "value": None if pd.isna(row["target_value"]) else float(row["target_value"]),
        "fiscal_year": None if pd.isna(row["target_year"]) else int(row["target_year"]),
        "source": None if pd.isna(row["source"]) else row["source"],
    }


def _on_track(
    value: float | None, change: float | None, target: dict[str, Any] | None, direction: str, year: int
) -> bool | None:
    if value is None:
        return None
    better = 1 if direction == "up" else -1
    goal, goal_year = (target or {}).get("value"), (target or {}).get("fiscal_year")
    if goal is not None:
        if better * (value - goal) >= 0:
            return True
        if goal_year is None or goal_year <= year:
            return False
        if change is None:
            return None
        return better * change >= better * (goal - value) / (goal_year - year)
    if change is None:
        return None
    return better * change > 0
