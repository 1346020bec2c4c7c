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

Money in integers: each event's cost (a measured area or length × a unit cost × a share) is computed in integers
from the quantity as written (to six decimals, :func:`fm.domain.money.measured`) and rounded once to the yen, half
up (:func:`fm.domain.money.priced`); an amount spread over years is split in whole yen that add up to it exactly
(the first years take the remainder, :func:`split`); a yearly share (roads, unknown ages) is rounded half up to the
yen. No amount passes through floating point.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from fm.domain.money import SCALE, fraction, measured, priced

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
LIMIT = 2**62
"""Amounts are added up in int64 while their sum stays below this (a margin under 2⁶³); beyond it, in Python
integers (an object array), exact whatever their size."""


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
    backlog = costs["backlog_years"]
    window = (start, years, backlog)
    codes, names = pd.factorize(held["category"])  # categories compared once, as small integers

    def of(categories: Any) -> np.ndarray:
        return np.isin(codes, [i for i, name in enumerate(names) if name in categories])

    def numbers(column: str) -> np.ndarray:
        return pd.to_numeric(held[column]).to_numpy(dtype=float, na_value=np.nan)

    built, floor_area = numbers("year_built"), numbers("floor_area_m2")  # NaN: unknown
    is_building = of(costs["building_class"]) & ~np.isnan(floor_area)
    events = spec["building"]
    amounts = [
        _cycles(
            _building_costs(codes[is_building], list(names), measured(floor_area[is_building]), costs, events),
            [(age, spread) for age, _, spread in events],
            built[is_building],
            window,
            spec["building_no_refurbish_after"],
        )
    ]
    roads = of({"road"})
    road = _share(
        road_cost(numbers("length_m")[roads], numbers("width_m")[roads], costs["road"]), spec["road_cycle_years"]
    )
    amounts.append(np.full(years, road, "int64" if abs(road) < LIMIT else object))
    bridges = of({"bridge"})
    steel = held["structure"].eq("S").to_numpy(dtype=bool, na_value=False)[bridges]
    bridge = costs["bridge"]
    unit = [bridge["yen_per_m2"], bridge["steel_yen_per_m2"]]
    cost = priced(measured(numbers("deck_area_m2")[bridges]), unit, which=steel.astype("int64"))
    amounts.append(_cycles(cost[:, None], [(spec["bridge_cycle_years"], 1)], built[bridges], window, None))
    pipes = of({"sewer_pipe"})
    sewer = costs["sewer"]
    diameter = numbers("diameter_mm")[pipes]
    units = [*sewer["diameter_yen_per_m"], sewer["yen_per_m"]]  # by diameter; the last: one cost for all
    which = np.full(len(diameter), len(units) - 1, dtype="int64")
    if sewer["by_diameter"]:
        known = ~np.isnan(diameter)
        which[known] = np.searchsorted(sewer["diameter_max_mm"], diameter[known])
    cost = priced(measured(numbers("length_m")[pipes]), units, which=which)
    amounts.append(_cycles(cost[:, None], [(spec["sewer_cycle_years"], 1)], built[pipes], window, None))
    exact = all(a.dtype == np.int64 for a in amounts)
    by_group = np.vstack(amounts) if exact else np.vstack([a.astype(object) for a in amounts])
    table = pd.DataFrame(by_group.T, columns=list(GROUPS))
    table.insert(0, "fiscal_year", np.arange(start, start + years))
    table["total"] = table[list(GROUPS)].sum(axis=1)
    projected = set(costs["building_class"]) | {"road", "bridge", "sewer_pipe"}
    outside = held.loc[~held["category"].isin(projected), "category"].value_counts()
    return table, {category: int(count) for category, count in outside.items()}


def road_cost(length: np.ndarray, width: np.ndarray, road: dict[str, Any]) -> int:
    """The roads' whole area (Σ length × width, ``default_width_m`` where no width is recorded) × the unit cost, in
    yen rounded once, half up: each length and width the decimal it was written as, multiplied in integers.

    >>> road_cost(np.array([150.0, 0.1]), np.array([10.0, np.nan]), {"yen_per_m2": 4_700, "default_width_m": 5.5})
    7052585
    """
    lengths = measured(length)
    widths = measured(np.where(np.isnan(width), float(road["default_width_m"]), width))
    if len(lengths) and int(np.abs(lengths).max()) * int(np.abs(widths).max()) * len(lengths) >= LIMIT:
        lengths, widths = lengths.astype(object), widths.astype(object)  # Python integers: exact whatever the size
    area = lengths * widths  # in (1/SCALE)² m²
    return int(priced(np.array([area.sum()], dtype=area.dtype), road["yen_per_m2"], scale=SCALE**2)[0])


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


def _building_costs(
    codes: np.ndarray, names: list[str], area: np.ndarray, costs: dict[str, Any], events: list[list[Any]]
) -> np.ndarray:
    """The cost of each building's events (buildings × events), each rounded once to the yen, half up, in
    integers: ``codes`` are the buildings' categories (indices into ``names``), ``area`` their floor areas in whole
    millionths of a m² (:func:`~fm.domain.money.measured`)."""
    own = costs.get("building_yen", {})
    per_m2 = []  # yen per m² of each category, exact: (refurbishment, rebuild)
    for name in names:
        if name in own:
            per_m2.append(tuple(own[name]))
        elif name in costs["building_class"]:
            per_m2.append(tuple(fraction(v) * MAN_YEN for v in costs["building_cost"][costs["building_class"][name]]))
        else:
            per_m2.append((0, 0))
    refurbish, rebuild = [p[0] for p in per_m2], [p[1] for p in per_m2]
    columns = [
        priced(area, refurbish, which=codes)
        if share == "refurbish"
        else priced(area, rebuild, which=codes, share=1 if share == "rebuild" else share)
        for _, share, _ in events
    ]
    if any(c.dtype == object for c in columns):
        return np.column_stack([c.astype(object) for c in columns]).reshape(len(codes), len(events))
    return np.column_stack(columns).reshape(len(codes), len(events))


def _cycles(
    cost: np.ndarray,
    events: list[tuple[Any, int]],
    built: np.ndarray,
    window: tuple[int, int, int],
    no_refurbish_after: float | None,
) -> np.ndarray:
    """Every asset's cycle of events added up per year from ``start``: ``cost`` is assets × events, ``events`` their
    (age, spread), the last one the renewal that restarts the cycle; ``window`` is (start, years, backlog years).

    An asset of unknown age costs a cycle's cost ÷ its length every year. Work overdue at the start (its age
    passed) is the backlog, spread over the first backlog years: the renewal, after which the next cycle runs from
    half-way through those years, or the last intermediate event passed (none past ``no_refurbish_after``). At
    exactly its age, work falls due this year. Each event's cost is spread over its years in whole yen
    (:func:`split`), all assets at once: a loop over cycles, events and years of spread, not over assets.

    >>> _cycles(np.array([[100, 300]]), [(30, 2), (60, 3)], np.array([1996.0]), (2026, 3, 10), None).tolist()
    [50, 50, 0]
    """
    start, years, backlog = window
    length = events[-1][0]
    step = int(length)
    cycles = (years + step) // step + 1  # at most: the first origin is at most one cycle before the start
    if cost.dtype != object and int(np.abs(cost).sum(dtype=object)) * (cycles + 2) >= LIMIT:  # Python ints: exact
        cost = np.array([[int(v) for v in row] for row in cost], dtype=object).reshape(cost.shape)
    out = np.zeros(years, dtype=cost.dtype)
    unknown = np.isnan(built)
    if unknown.any():  # a cycle's cost each year, rounded half up per asset
        out += ((2 * cost[unknown].sum(axis=1) + step) // (2 * step)).sum()
    cost = cost[~unknown]
    built_at = np.trunc(built[~unknown]).astype("int64")
    age = start - built_at
    overdue = age > length
    due = np.where(overdue, cost[:, -1], 0)
    owes = overdue.copy()
    allowed = ~overdue if no_refurbish_after is None else ~overdue & (age <= no_refurbish_after)
    for k, (event_age, _) in enumerate(events[:-1]):
        passed = allowed & (age > event_age)
        due = np.where(passed, cost[:, k], due)
        owes |= passed
    _spread(out, due[owes], np.zeros(int(owes.sum()), dtype="int64"), backlog)
    origin = np.where(overdue, start + backlog // 2, built_at)
    for cycle in range(cycles + 1):
        live = origin + cycle * step < start + years
        if not live.any():
            break
        for k, (event_age, spread) in enumerate(events):
            # In the first cycle of an asset not overdue, events already past at the start are done or in the backlog.
            take = live & (overdue | (age <= event_age)) if cycle == 0 else live
            first = origin[take] + cycle * step + int(event_age) - start
            _spread(out, cost[take, k], first, spread)
    return out


def _spread(out: np.ndarray, amounts: np.ndarray, first: np.ndarray, parts: int) -> None:
    """Add each amount, split over ``parts`` years from its ``first`` (an index into ``out``), to ``out``; years
    outside ``out`` are dropped."""
    if not len(amounts):
        return
    whole, rest = amounts // int(parts), amounts % int(parts)
    for part in range(int(parts)):
        at = first + part
        inside = (at >= 0) & (at < len(out))
        np.add.at(out, at[inside], (whole + (rest > part))[inside])
