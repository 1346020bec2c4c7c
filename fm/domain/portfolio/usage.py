"""Users and operating cost per building: each service's yearly figures shared out over the buildings housing
it by the floor area it occupies in each, in whole yen and whole users (largest remainder, so the shares add up
exactly to the service's figure)."""

from __future__ import annotations

import pandas as pd

from fm.domain.money import measured


def apportion(amount: int, weights: list[int]) -> list[int]:
    """``amount`` split in whole units in proportion to ``weights`` (largest remainder, ties to the first).

    >>> apportion(1_000_001, [1, 1]), apportion(10, [0, 0]), apportion(100, [3, 1])
    ([500001, 500000], [10, 0], [75, 25])
    """
    total = sum(weights)
    if total <= 0:
        return [amount] + [0] * (len(weights) - 1)
    floors = [amount * w // total for w in weights]
    rest = [amount * w - f * total for w, f in zip(weights, floors, strict=True)]
    for i in sorted(range(len(weights)), key=lambda i: (-rest[i], i))[: amount - sum(floors)]:
        floors[i] += 1
    return floors


def building_usage(housed: pd.DataFrame, usage: pd.DataFrame) -> pd.DataFrame:
    """Users and operating cost per building (``asset_id``) and ``fiscal_year``.

    ``housed``: service_id, asset_id, floor_area_m2 (a building where the service's floor area is not stated
    weighs as 1 m²); ``usage``: service_id, fiscal_year, users, operating_cost.

    >>> housed = pd.DataFrame({"service_id": [1, 1, 2], "asset_id": [10, 11, 11],
    ...                        "floor_area_m2": [300.0, 100.0, 50.0]})
    >>> usage = pd.DataFrame({"service_id": [1, 2], "fiscal_year": [2025, 2025], "users": [1001, 10],
    ...                       "operating_cost": [4_000_001, 500_000]})
    >>> building_usage(housed, usage).to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'asset_id': 10, 'fiscal_year': 2025, 'users': 751, 'operating_cost': 3000001},
     {'asset_id': 11, 'fiscal_year': 2025, 'users': 260, 'operating_cost': 1500000}]
    """
    columns = ["asset_id", "fiscal_year", "users", "operating_cost"]
    if housed.empty or usage.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64") for c in columns})
    weights = housed.assign(
        # floor areas as written, in whole millionths of a m² (money.measured), so the sharing is done in integers
        weight=measured(housed["floor_area_m2"].astype(float).fillna(1.0).to_numpy())
    )
    several = weights["service_id"].duplicated(keep=False)
    single = usage.merge(weights.loc[~several, ["service_id", "asset_id"]], on="service_id")
    parts = [single[columns]]
    shared = usage[usage["service_id"].isin(weights.loc[several, "service_id"])]
    if len(shared):
        groups = {s: g for s, g in weights[several].groupby("service_id")}
        rows = []
        for row in shared.itertuples(index=False):
            group = groups[row.service_id]
            w = group["weight"].tolist()
            users = apportion(int(row.users), w) if pd.notna(row.users) else [None] * len(w)
            cost = apportion(int(row.operating_cost), w) if pd.notna(row.operating_cost) else [None] * len(w)
            for asset, u, c in zip(group["asset_id"], users, cost, strict=True):
                rows.append((int(asset), int(row.fiscal_year), u, c))
        parts.append(pd.DataFrame(rows, columns=columns))
    frame = pd.concat(parts, ignore_index=True)
    frame["users"] = frame["users"].astype("Int64")
    frame["operating_cost"] = frame["operating_cost"].astype("Int64")
    out = frame.groupby(["asset_id", "fiscal_year"], as_index=False)[["users", "operating_cost"]].sum(min_count=1)
    return out.astype({"asset_id": "int64", "fiscal_year": "int64"})[columns]
