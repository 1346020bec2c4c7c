"""Who and where behind an indicator: its records attributed to groups, and the figure per group.

:func:`attributed` gives each record of a :class:`~fm.domain.kpi.measures.Measure` the columns it
can be grouped by (category, district, department, plan) and its share of the figure
(``numerator``, ``denominator``), so that the groups of a breakdown add up to the
indicator itself and a bar of a breakdown drills down to exactly the records it counted.

Dimensions by indicator (:data:`DIMENSIONS`): the asset-based indicators break down by the
asset's category and district; underused land by the parcel's district and the department
that holds it (parcels have no category); the execution rate by the category of the assets
its plan covers (``None`` when they are of several categories) and by plan (plans are
city-wide, so a district means nothing for them).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from fm.domain.kpi.measures import INDICATORS, KpiData, Measure, published, ratio

DIMENSIONS: dict[str, tuple[str, ...]] = {
    "plan_coverage": ("category", "district"),
    "underused_land": ("district", "department"),
    "aging_ratio": ("category", "district"),
    "execution_rate": ("category", "plan"),
    "preventive_share": ("category", "district"),
    "reactive_repairs": ("category", "district"),
    "measures_started": ("category", "district"),
    "measures_completed": ("category", "district"),
}
COLUMN = {"category": "category", "district": "district_id", "department": "owner_department", "plan": "plan_code"}
# Indicators whose figure is a share (numerator ÷ denominator × 100); the others are a sum.
RATIOS = (
    "plan_coverage",
    "aging_ratio",
    "execution_rate",
    "preventive_share",
    "measures_started",
    "measures_completed",
)


def attributed(measure: Measure, data: KpiData) -> pd.DataFrame:
    """The measure's records with ``numerator`` and ``denominator`` shares and their grouping columns.

    The shares add up to ``measure.numerator`` and ``measure.denominator`` (0 where the
    indicator has no denominator). Work orders gain ``asset_code`` and ``asset_name``.

    Examples
    --------
    >>> from fm.domain.kpi.measures import Measure
    >>> records = pd.DataFrame({"id": [1, 2], "code": ["W1", "W2"], "asset_id": [7, 7], "kind": ["reactive"] * 2,
    ...                         "cause": ["sudden_failure"] * 2, "completed_on": [None, None], "actual_cost": [5, 6]})
    >>> assets = pd.DataFrame({"id": [7], "code": ["BR-1"], "name": ["橋"], "category": ["bridge"],
    ...                        "district_id": [2]})
    >>> data = KpiData(assets, None, None, None, None, None, None, None)
    >>> attributed(Measure("reactive_repairs", 2025, 2.0, 2, None, records), data)[
    ...     ["asset_code", "category", "district_id", "numerator"]].values.tolist()
    [['BR-1', 'bridge', 2, 1], ['BR-1', 'bridge', 2, 1]]
    """
    records = measure.records.copy()
    key = measure.indicator
    assets = data.assets.set_index("id")
    if key in ("plan_coverage", "aging_ratio", "measures_started", "measures_completed"):
        records["district_id"] = records["id"].map(assets["district_id"])
    if key in ("preventive_share", "reactive_repairs"):
        records.insert(3, "asset_code", records["asset_id"].map(assets["code"]))
        records.insert(4, "asset_name", records["asset_id"].map(assets["name"]))
        records["category"] = records["asset_id"].map(assets["category"])
        records["district_id"] = records["asset_id"].map(assets["district_id"])
    if key == "underused_land":
        records["district_id"] = records["id"].map(data.parcels.set_index("id")["district_id"])
    if key == "execution_rate":
        records["category"] = records["plan_id"].map(_plan_category(data))
        records["unexecuted_amount"] = records["planned_amount"] - records["executed_amount"]
    numerator, denominator = _shares(key, records)
    return records.assign(numerator=numerator, denominator=denominator).reset_index(drop=True)


def group_keys(column: pd.Series) -> pd.Series:
    """Group keys as text: ids as whole numbers (``3``, not ``3.0``), ``""`` where there is no group."""

    def text(value: Any) -> str:
        if value is None or pd.isna(value):
            return ""
        return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)

    return column.astype(object).map(text)


def _plan_category(data: KpiData) -> pd.Series:
    """Per plan id: the one category of the assets it covers, or None when several (or none)."""
    links = data.plan_assets.merge(data.assets[["id", "category"]], left_on="asset_id", right_on="id")
    kinds = links.groupby("plan_id")["category"].agg(lambda c: c.iloc[0] if c.nunique() == 1 else None)
    return kinds


def _shares(key: str, records: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    zero = pd.Series(0, index=records.index, dtype="int64")
    if key == "plan_coverage":
        return records["covered"].astype("int64"), zero + 1
    if key == "underused_land":
        return records["area_m2"].astype(float), zero
    if key == "aging_ratio":
        return records["accumulated_depreciation"].astype("int64"), records["acquisition_cost"].astype("int64")
    if key == "execution_rate":
        return records["executed_amount"].astype("int64"), records["planned_amount"].astype("int64")
    if key in ("measures_started", "measures_completed"):
        return records[key.removeprefix("measures_")].astype("int64"), zero + 1
    if key == "preventive_share":
        cost = records["actual_cost"].astype("int64")
        return cost.where(records["kind"] == "preventive", 0), cost
    return zero + 1, zero  # reactive_repairs: a count


def value_of(indicator: str, numerator: float, denominator: float) -> float | None:
    """The figure from its parts, unrounded: a share in % for ratios (None when nothing counts), else the sum."""
    return ratio(numerator, denominator) if indicator in RATIOS else float(numerator)


def breakdown(frame: pd.DataFrame, indicator: str, by: str, labels: pd.DataFrame) -> list[dict[str, Any]]:
    """The figure per group of ``by`` (a dimension of :data:`DIMENSIONS`), in the order of ``labels``.

    ``frame`` comes from :func:`attributed`; ``labels`` has ``key``, ``name`` and ``name_en``
    (categories and districts in display order; empty for departments and plans, whose
    keys are their own names). Records with no group come last with ``key`` None.
    Each row: ``key``, ``name``, ``name_en``, ``records``, ``numerator``, ``denominator``
    (None for an indicator that is a sum), ``value`` at the indicator's published precision.
    """
    if by not in DIMENSIONS[indicator]:
        raise ValueError(f"{indicator} breaks down by {' or '.join(DIMENSIONS[indicator])}, not {by!r}")
    grouped = frame.assign(_key=group_keys(frame[COLUMN[by]])).groupby("_key", sort=False)
    sums = grouped[["numerator", "denominator"]].sum().join(grouped.size().rename("records"))
    names = {str(k): (n, e) for k, n, e in labels[["key", "name", "name_en"]].itertuples(index=False)}
    order = [k for k in names if k in sums.index] + sorted(k for k in sums.index if k not in names and k)
    order += [""] if "" in sums.index else []
    decimals = INDICATORS[indicator].decimals
    rows = []
    for key in order:
        row = sums.loc[key]
        value = value_of(indicator, row["numerator"], row["denominator"])
        name, name_en = names.get(key, (key or None, key or None))
        rows.append(
            {
                "key": key or None,
                "name": name,
                "name_en": name_en,
                "records": int(row["records"]),
                "numerator": plain_number(row["numerator"]),
                "denominator": plain_number(row["denominator"]) if indicator in RATIOS else None,
                "value": published(
                    value, row["numerator"], row["denominator"] if indicator in RATIOS else None, decimals
                ),
            }
        )
    return rows


def plain_number(value: Any) -> int | float:
    """A total as the JSON shows it: a whole number as ``int``, else rounded to 2 places.

    >>> plain_number(12.0), plain_number(9039.0812), plain_number(np.int64(2**53 + 1))
    (12, 9039.08, 9007199254740993)
    """
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return int(value)  # whole yen or counts as they are, never through a float (exact only to 2⁵³)
    value = float(value)
    return int(value) if value.is_integer() else round(value, 2)
