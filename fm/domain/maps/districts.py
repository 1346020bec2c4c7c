"""The district view: one figure per district for a chosen indicator, from the records the
indicator counted, so each district's value can be traced like the city's."""

from __future__ import annotations

from fractions import Fraction

import geopandas as gpd
import numpy as np
import pandas as pd

from fm.domain.maps.style import SEQUENTIAL
from fm.domain.money import total

# indicator: (asset-id column of its records, numerator column (None: count rows), how, unit)
SPECS = {
    "risk": ("id", "score", "mean", ""),
    "aging_ratio": ("id", "accumulated_depreciation", "ratio:acquisition_cost", "%"),
    "plan_coverage": ("id", "covered", "ratio:count", "%"),
    "reactive_repairs": ("asset_id", None, "count", ""),
}
INDICATORS = tuple(SPECS)
LABELS = {
    "risk": ("平均リスクスコア", "Average risk score"),
    "aging_ratio": ("有形固定資産減価償却率", "Aging ratio"),
    "plan_coverage": ("個別施設計画の策定率", "Individual plan coverage"),
    "reactive_repairs": ("突発的な故障による事後修繕", "Reactive repairs after sudden failures"),
}


def district_values(
    indicator: str, districts: gpd.GeoDataFrame, asset_district: pd.Series, rows: pd.DataFrame
) -> gpd.GeoDataFrame:
    """``districts`` with ``numerator``, ``denominator`` and ``value`` of ``indicator`` from its ``rows``.

    ``asset_district`` maps asset id to district id. Ratios are in %, the risk is the mean
    score, repairs a count; a district with nothing to count has no value (None), except
    for counts, which are 0.

    Examples
    --------
    >>> import shapely
    >>> d = gpd.GeoDataFrame({"id": [1, 2]}, geometry=[shapely.box(0, 0, 1, 1)] * 2, crs=4326)
    >>> rows = pd.DataFrame({"id": [10, 11, 12], "covered": [True, False, True]})
    >>> district_values("plan_coverage", d, pd.Series({10: 1, 11: 1, 12: 2}), rows)["value"].tolist()
    [50.0, 100.0]
    """
    key, numerator, how, _ = SPECS[indicator]
    grouped = rows.assign(district_id=rows[key].map(asset_district)).groupby("district_id")
    counts = grouped.size().reindex(districts["id"], fill_value=0)
    out = districts.copy()

    def summed(column: str) -> pd.Series:
        """Each district's sum of ``column``: yen and flags exactly, in Python integers (whatever their dtype);
        only the risk score, whose mean is shown, as floats."""
        if how == "mean":
            return grouped[column].sum().reindex(districts["id"], fill_value=0.0)
        return grouped[column].agg(total).reindex(districts["id"], fill_value=0).astype(object)

    out["numerator"] = (counts if numerator is None else summed(numerator)).to_numpy()
    if how == "count":
        out["denominator"] = None
        out["value"] = out["numerator"].astype(float)
        return out
    denominator = counts if how in ("mean", "ratio:count") else summed(how.split(":")[1])
    out["denominator"] = denominator.to_numpy()
    scale = 1 if how == "mean" else 100
    out["value"] = [
        None
        if not d > 0
        else float(Fraction(scale * n, int(d)))  # whole numbers: the exact ratio, then its nearest float
        if isinstance(n, (int, np.integer)) and isinstance(d, (int, np.integer))
        else scale * float(n) / float(d)
        for n, d in zip(out["numerator"], out["denominator"], strict=True)
    ]
    return out


def classify(values: pd.Series, n: int = len(SEQUENTIAL)) -> tuple[pd.Series, list[tuple[float, float]]]:
    """Equal-interval classes of ``values`` (0 … n-1, NA where no value; each range holds its lower
    bound, the last also its upper) and each class's range.

    Examples
    --------
    >>> classes, ranges = classify(pd.Series([0.0, 5.0, 10.0, None]), 2)
    >>> classes.tolist(), ranges
    ([0, 1, 1, <NA>], [(0.0, 5.0), (5.0, 10.0)])
    """
    known = pd.to_numeric(values, errors="coerce").astype(float)
    low, high = known.min(), known.max()
    if known.isna().all():
        return pd.Series(pd.NA, index=values.index, dtype="Int64"), []
    if high == low:
        return pd.Series(n - 1, index=values.index, dtype="Int64").where(known.notna(), pd.NA), [(low, high)]
    edges = np.linspace(low, high, n + 1)
    index = np.clip(np.searchsorted(edges, known, side="right") - 1, 0, n - 1)
    classes = pd.Series(index, index=values.index, dtype="Int64").where(known.notna(), pd.NA)
    return classes, [(float(edges[i]), float(edges[i + 1])) for i in range(n)]
