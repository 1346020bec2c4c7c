"""Renewal costs per fiscal year over a horizon, by group, in the style of the ministry's method.

Method (``unit_costs.toml`` has every figure and its source):

- Buildings: each goes through the scenario's cycle of events (simple: 大規模改修 at 30
  years over 2 years, 建替え at 60 over 3) at the unit cost of its class per m² of floor
  area; the cycle restarts after the rebuild. Work already due at the start (backlog) is
  spread evenly over the first ``backlog_years``: a building past its rebuild age gets
  the rebuild (and its next cycle starts half-way through that spread); one past an
  intermediate event gets that event, unless it is older than
  ``building_no_refurbish_after``.
- Roads: total road area ÷ cycle (15 years) is renewed every year, whatever its age.
- Bridges: deck area × unit cost (steel dearer) at the cycle age (60); sewer pipes: length
  × unit cost per metre (by diameter if chosen) at 50. Backlog as for buildings.
- An asset of unknown age costs its renewal ÷ cycle every year (the method's rule for
  bridges of unknown year). Disposed assets are left out; tunnels, rivers, ponds and parks
  are outside the method and reported as not projected.

Money in integers: each event's cost (a measured area or length × a unit cost × a share) is
rounded once to the yen, half up; an amount spread over years is split in whole yen that add
up to it exactly (the first years take the remainder, :func:`split`); a yearly share (roads,
unknown ages) is rounded half up to the yen. Nothing is added up in floating point.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

GROUPS = ("building", "road", "bridge", "sewer")
COLUMNS = (
    "category",
    "status",
    "year_built",
    "floor_area_m2",
    "length_m",
    "width_m",
    "deck_area_m2",
    "structure",
    "diameter_mm",
)
GROUP_OF = {"bridge": "bridge", "road": "road", "sewer_pipe": "sewer"}
MAN_YEN = 10_000


def project_renewal(
    assets: pd.DataFrame, costs: dict[str, Any], *, scenario: str, start: int, years: int = 40
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Yearly renewal cost per group for ``years`` fiscal years from ``start``.

    Returns a frame (``fiscal_year`` × the groups, integer yen) and the count of held
    assets outside the method, by category. Columns of :data:`COLUMNS` that ``assets``
    lacks count as unknown.

    Examples
    --------
    One road segment of 150 m × 10 m: 1,500 m² ÷ 15 years × 4,700 yen = 470,000 yen a year.

    >>> from fm.domain.renewal.costs import load_unit_costs
    >>> road = pd.DataFrame({"category": ["road"], "status": ["in_service"], "year_built": [2000],
    ...                      "length_m": [150.0], "width_m": [10.0]})
    >>> table, _ = project_renewal(road, load_unit_costs(), scenario="simple", start=2026, years=3)
    >>> table["road"].tolist()
    [470000, 470000, 470000]
    """
    if years < 1:
        raise ValueError(f"years must be at least 1, got {years}")
    spec = costs["scenario"][scenario]
    assets = assets.reindex(columns=list(COLUMNS))
    held = assets[assets["status"] != "disposed"]
    amounts = np.zeros((len(GROUPS), years), dtype="int64")
    row = {g: i for i, g in enumerate(GROUPS)}
    buildings = held[held["category"].isin(costs["building_class"].keys()) & held["floor_area_m2"].notna()]
    for asset in buildings.itertuples():
        own = costs.get("building_yen", {}).get(asset.category)
        per_m2 = own or [v * MAN_YEN for v in costs["building_cost"][costs["building_class"][asset.category]]]
        refurbish, rebuild = (v * asset.floor_area_m2 for v in per_m2)
        events = [
            (
                age,
                yen(refurbish if share == "refurbish" else rebuild if share == "rebuild" else share * rebuild),
                spread,
            )
            for age, share, spread in spec["building"]
        ]
        _cycle(
            amounts[row["building"]],
            events,
            asset.year_built,
            start,
            years,
            costs["backlog_years"],
            spec["building_no_refurbish_after"],
        )
    roads = held[held["category"] == "road"]
    area = (roads["length_m"].fillna(0) * roads["width_m"].fillna(costs["road"]["default_width_m"])).sum()
    amounts[row["road"]] += _share(yen(area * costs["road"]["yen_per_m2"]), spec["road_cycle_years"])
    for asset in held[held["category"] == "bridge"].itertuples():
        unit = costs["bridge"]["steel_yen_per_m2" if asset.structure == "S" else "yen_per_m2"]
        cost = (0.0 if pd.isna(asset.deck_area_m2) else asset.deck_area_m2) * unit
        _cycle(
            amounts[row["bridge"]],
            [(spec["bridge_cycle_years"], yen(cost), 1)],
            asset.year_built,
            start,
            years,
            costs["backlog_years"],
            None,
        )
    sewer = costs["sewer"]
    for asset in held[held["category"] == "sewer_pipe"].itertuples():
        unit = (
            sewer["diameter_yen_per_m"][int(np.searchsorted(sewer["diameter_max_mm"], asset.diameter_mm))]
            if sewer["by_diameter"] and pd.notna(asset.diameter_mm)
            else sewer["yen_per_m"]
        )
        length = 0.0 if pd.isna(asset.length_m) else asset.length_m
        _cycle(
            amounts[row["sewer"]],
            [(spec["sewer_cycle_years"], yen(length * unit), 1)],
            asset.year_built,
            start,
            years,
            costs["backlog_years"],
            None,
        )
    table = pd.DataFrame(amounts.T, columns=list(GROUPS))
    table.insert(0, "fiscal_year", np.arange(start, start + years))
    table["total"] = table[list(GROUPS)].sum(axis=1)
    projected = set(costs["building_class"]) | {"road", "bridge", "sewer_pipe"}
    outside = held.loc[~held["category"].isin(projected), "category"].value_counts()
    return table, {category: int(count) for category, count in outside.items()}


def yen(amount: float) -> int:
    """A measured amount (area × unit cost) rounded once to the yen, half up.

    >>> yen(2.5), yen(1_234_567.49), yen(0.0)
    (3, 1234567, 0)
    """
    return int(np.floor(amount + 0.5))


def split(amount: int, parts: int) -> np.ndarray:
    """``amount`` yen over ``parts`` years in whole yen adding up to it exactly, the first years taking the
    remainder.

    >>> split(100, 3).tolist(), split(2, 3).tolist()
    ([34, 33, 33], [1, 1, 0])
    """
    whole, rest = divmod(int(amount), int(parts))
    out = np.full(int(parts), whole, dtype="int64")
    out[:rest] += 1
    return out


def _share(amount: int, parts: int) -> int:
    """``amount ÷ parts`` yen rounded half up: a yearly share paid every year.

    >>> _share(100, 3), _share(5, 2)
    (33, 3)
    """
    return (2 * int(amount) + int(parts)) // (2 * int(parts))


def _cycle(
    out: np.ndarray,
    events: list[tuple[float, int, int]],
    built: Any,
    start: int,
    years: int,
    backlog_years: int,
    no_refurbish_after: float | None,
) -> None:
    """Add one asset's cycle of (age, cost, spread) events to ``out`` (indexed from ``start``)."""
    length = events[-1][0]
    renewal = events[-1][1]
    if built is None or pd.isna(built):
        out += _share(sum(cost for _, cost, _ in events), int(length))  # unknown age: a cycle's cost each year
        return
    age = start - int(built)
    origin = int(built)
    # Work is overdue (backlog) only when its age has passed: at exactly its age it falls due this year.
    # The backlog is spread over backlog_years whatever the horizon; out[:n] stops at the horizon.
    if age > length:
        out[:backlog_years] += split(renewal, backlog_years)[: len(out)]
        origin = (
            start + backlog_years // 2
        )  # rebuilt half-way through the backlog years: the next cycle runs from there
    else:
        passed = [e for e in events[:-1] if e[0] < age]
        if passed and (no_refurbish_after is None or age <= no_refurbish_after):
            out[:backlog_years] += split(passed[-1][1], backlog_years)[: len(out)]
    while origin < start + years:
        for event_age, cost, spread in events:
            first = origin + int(event_age)
            if origin == int(built) and event_age < age:
                continue  # already past at the start: done, or counted in the backlog
            for year, amount in zip(range(first, first + spread), split(cost, spread), strict=True):
                if start <= year < start + years:
                    out[year - start] += amount
        origin += int(length)
