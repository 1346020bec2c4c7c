"""Counts of the asset register by category, district and status: the home page and ``fm stats``."""

from __future__ import annotations

from typing import Any

import pandas as pd

HELD = ("in_service", "closed")
"""Statuses of assets the city still holds; disposed assets are not counted."""


def asset_counts(assets: pd.DataFrame, categories: pd.DataFrame, districts: pd.DataFrame) -> dict[str, Any]:
    """Count the assets the city holds, by category, by district and by status.

    Every category and district appears, with 0 where nothing is registered; assets
    with no district are counted under ``district: null``. Disposed assets are left
    out of every count except ``by_status``.

    Parameters
    ----------
    assets
        One row per asset, with ``category``, ``district_id`` and ``status``.
    categories
        ``code``, ``name``, ``name_en`` and ``asset_group`` of every category.
    districts
        ``id``, ``code``, ``name`` and ``name_en`` of every district.

    Returns
    -------
    dict
        ``total`` (int), ``by_category`` and ``by_district`` (lists of dicts with
        the labels and ``count``), ``by_group`` and ``by_status`` (dicts of counts).

    Examples
    --------
    >>> cats = pd.DataFrame({"code": ["bridge", "school"], "name": ["橋梁", "学校"],
    ...                      "name_en": ["Bridge", "School"], "asset_group": ["infrastructure", "facility"]})
    >>> dists = pd.DataFrame({"id": [1], "code": ["ofuna"], "name": ["大船"], "name_en": ["Ofuna"]})
    >>> assets = pd.DataFrame({"category": ["bridge", "bridge", "school"], "district_id": [1, None, 1],
    ...                        "status": ["in_service", "disposed", "closed"]})
    >>> counts = asset_counts(assets, cats, dists)
    >>> counts["total"], [c["count"] for c in counts["by_category"]], counts["by_status"]["disposed"]
    (2, [1, 1], 1)
    """
    _require(assets, ("category", "district_id", "status"), "assets")
    held = assets[assets["status"].isin(HELD)]
    by_category = held["category"].value_counts()
    by_district = held["district_id"].value_counts()
    unassigned = int(held["district_id"].isna().sum())

    category_rows = [
        {
            "code": c.code,
            "name": c.name,
            "name_en": c.name_en,
            "group": c.asset_group,
            "count": int(by_category.get(c.code, 0)),
        }
        for c in categories.itertuples()
    ]
    district_rows = [
        {"code": d.code, "name": d.name, "name_en": d.name_en, "count": int(by_district.get(d.id, 0))}
        for d in districts.itertuples()
    ]
    if unassigned:
        district_rows.append({"code": None, "name": "地域未設定", "name_en": "No district", "count": unassigned})
    groups = categories.set_index("code")["asset_group"]
    by_group = held["category"].map(groups).value_counts()
    return {
        "total": int(len(held)),
        "by_group": {g: int(by_group.get(g, 0)) for g in ("facility", "infrastructure")},
        "by_category": category_rows,
        "by_district": district_rows,
        "by_status": {s: int((assets["status"] == s).sum()) for s in (*HELD, "disposed")},
    }


def _require(frame: pd.DataFrame, columns: tuple[str, ...], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks the column(s) {missing}")
