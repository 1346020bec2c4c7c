"""The renewal projection as fm computed it before issue 19 (a Python loop per asset), kept frozen as the
reference the vectorised :func:`fm.domain.renewal.projection.project_renewal` must equal, and random registers
to compare them on: tests/unit/test_renewal_vectorised.py and bench/renewal.py.

Changed once since, the same way as the vectorised code: each event's cost is computed exactly from the
quantities and unit costs as written (Fractions here, integers there), no longer as a float product rounded."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from fm.domain.renewal.projection import COLUMNS, GROUPS, MAN_YEN, _share, split


def exact(value: Any) -> Fraction:
    """A number as the decimal it was written as: a float through its shortest repr (0.1 is 1/10)."""
    return Fraction(Decimal(repr(float(value)))) if isinstance(value, float) else Fraction(value)


def yen(*factors: Any) -> int:
    """The product of measured quantities, unit costs and shares, each as written, rounded once to the yen, half up
    (the rule since the money-exact change; before it, ``floor(float product + 0.5)``)."""
    return math.floor(math.prod((exact(f) for f in factors), start=Fraction(1)) + Fraction(1, 2))


def project_renewal_loop(
    assets: pd.DataFrame, costs: dict[str, Any], *, scenario: str, start: int, years: int = 40
) -> tuple[pd.DataFrame, dict[str, int]]:
    """The projection as fm computed it before issue 19: one Python loop per asset."""
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
        refurbish, rebuild = (
            exact(v) * (1 if own else MAN_YEN)
            for v in own or costs["building_cost"][costs["building_class"][asset.category]]
        )
        area = asset.floor_area_m2
        events = [
            (
                age,
                yen(area, refurbish)
                if share == "refurbish"
                else yen(area, rebuild, 1 if share == "rebuild" else share),
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
    area = sum(
        exact(length) * exact(width)
        for length, width in zip(
            roads["length_m"].fillna(0.0), roads["width_m"].fillna(costs["road"]["default_width_m"]), strict=True
        )
    )
    amounts[row["road"]] += _share(yen(area, costs["road"]["yen_per_m2"]), spec["road_cycle_years"])
    for asset in held[held["category"] == "bridge"].itertuples():
        unit = costs["bridge"]["steel_yen_per_m2" if asset.structure == "S" else "yen_per_m2"]
        area = 0.0 if pd.isna(asset.deck_area_m2) else asset.deck_area_m2
        _cycle(
            amounts[row["bridge"]],
            [(spec["bridge_cycle_years"], yen(area, unit), 1)],
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
            [(spec["sewer_cycle_years"], yen(length, unit), 1)],
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


CATEGORIES = (
    "school",
    "childcare",
    "office",
    "library",
    "hall",
    "sports",
    "welfare",
    "housing",
    "other_building",
    "road",
    "bridge",
    "sewer_pipe",
    "tunnel",
    "park",
    "river",
)


def random_register(rng: np.random.Generator, *, assets: int) -> pd.DataFrame:
    """A demo-like register of every projected category and some outside the method: ages from new to past two
    cycles (a few built after the start), some unknown years, sizes and structures, some disposed or closed."""
    category = rng.choice(CATEGORIES, size=assets)
    built = rng.integers(1890, 2031, size=assets).astype(float)
    built[rng.random(assets) < 0.05] = np.nan

    def sometimes_missing(values: np.ndarray) -> np.ndarray:
        values = values.astype(float)
        values[rng.random(assets) < 0.05] = np.nan
        return values

    return pd.DataFrame(
        {
            "category": category,
            "status": rng.choice(["in_service", "in_service", "in_service", "closed", "disposed"], size=assets),
            "year_built": built,
            "floor_area_m2": sometimes_missing(np.round(rng.lognormal(6.5, 1.2, assets), 2)),
            "length_m": sometimes_missing(np.round(rng.lognormal(4.0, 1.0, assets), 1)),
            "width_m": sometimes_missing(np.round(rng.uniform(2.0, 20.0, assets), 1)),
            "deck_area_m2": sometimes_missing(np.round(rng.lognormal(5.0, 1.0, assets), 1)),
            "structure": rng.choice(["S", "RC", "PC", None], size=assets),
            "diameter_mm": sometimes_missing(
                rng.choice([150, 250, 300, 500, 800, 1000, 1500, 2000, 2600, 3500], assets)
            ),
        }
    )
