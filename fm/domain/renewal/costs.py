"""The unit-cost file of the renewal projection: the packaged one, overlaid with a user's, validated."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from fm.domain.settings import load_overlaid
from fm.errors import ValidationError

DEFAULT = Path(__file__).with_name("unit_costs.toml")
SCENARIOS = ("simple", "extended")


def load_unit_costs(path: Path | str | None = None) -> dict[str, Any]:
    """The unit costs and cycles; with ``path``, its keys override the packaged ones."""
    costs, problems = load_overlaid(DEFAULT, path, "unit costs")
    problems += _check(costs)
    if problems:
        raise ValidationError([f"unit costs {path or DEFAULT}: {p}" for p in problems])
    return costs


class UnitCost(NamedTuple):
    """A city's unit cost of one category in whole yen (the table ``renewal_unit_costs``)."""

    refurbish_yen: int | None
    """Buildings: refurbishment (大規模改修) per m² of floor; None for the others."""
    renewal_yen: int
    """Rebuilding or renewal per m² (floor, road, bridge deck) or per m (sewer pipe)."""
    steel_renewal_yen: int | None = None
    """Bridges: steel bridges per m² of deck (None: the same as the others)."""


INFRASTRUCTURE = {
    "road": ("road", "yen_per_m2"),
    "bridge": ("bridge", "yen_per_m2"),
    "sewer_pipe": ("sewer", "yen_per_m"),
}
"""The categories projected by a unit cost of their own (not a building class), and where it sits."""


def with_unit_costs(costs: dict[str, Any], table: Mapping[str, UnitCost]) -> dict[str, Any]:
    """``costs`` with a city's unit costs per category over them (a new dict; ``costs`` is left alone).

    A building category (both costs given) is costed on its own figures (``building_yen``, yen per m²),
    no longer on its class's; road, bridge and sewer_pipe set their section's unit cost.

    >>> city = {"school": UnitCost(180_000, 350_000), "road": UnitCost(None, 5_000)}
    >>> costs = with_unit_costs(load_unit_costs(), city)
    >>> costs["building_yen"]["school"], costs["road"]["yen_per_m2"], costs["building_cost"]["school_childcare"]
    ([180000, 350000], 5000, [17, 33])
    """
    out = copy.deepcopy(costs)
    out.setdefault("building_yen", {})
    for category, cost in table.items():
        if category in INFRASTRUCTURE:
            section, key = INFRASTRUCTURE[category]
            out[section][key] = cost.renewal_yen
            if category == "bridge":
                out["bridge"]["steel_yen_per_m2"] = cost.steel_renewal_yen or cost.renewal_yen
        elif cost.refurbish_yen is not None:
            out["building_yen"][category] = [cost.refurbish_yen, cost.renewal_yen]
            out["building_class"].setdefault(category, category)
        else:
            raise ValueError(f"unit cost of {category}: a building needs its refurbishment cost")
    return out


def _positive(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


def _check(costs: dict[str, Any]) -> list[str]:
    problems = []
    for section, key in (
        ("road", "yen_per_m2"),
        ("road", "default_width_m"),
        ("bridge", "yen_per_m2"),
        ("bridge", "steel_yen_per_m2"),
        ("sewer", "yen_per_m"),
    ):
        if not _positive(costs[section][key]):
            problems.append(f"'{section}.{key}' must be a positive number, got {costs[section][key]!r}")
    for name, pair in costs["building_cost"].items():
        if not (isinstance(pair, list) and len(pair) == 2 and all(_positive(v) for v in pair)):
            problems.append(f"'building_cost.{name}' must be [refurbish, rebuild] in 10,000 yen/m², got {pair!r}")
    for category, name in costs["building_class"].items():
        if name not in costs["building_cost"]:
            problems.append(f"'building_class.{category}' names {name!r}, which has no building_cost")
    for scenario in SCENARIOS:
        spec = costs["scenario"][scenario]
        ages = []
        for event in spec["building"]:
            if not (
                isinstance(event, list)
                and len(event) == 3
                and _positive(event[0])
                and _positive(event[2])
                and (event[1] in ("refurbish", "rebuild") or _positive(event[1]))
            ):
                problems.append(
                    f"'scenario.{scenario}.building' event {event!r} must be "
                    '[age, "refurbish" | "rebuild" | share, years]'
                )
            else:
                ages.append(event[0])
        if ages != sorted(set(ages)):
            problems.append(f"'scenario.{scenario}.building' ages must increase")
        if spec["building"] and spec["building"][-1][1] != "rebuild":
            problems.append(f"'scenario.{scenario}.building' must end with the rebuild")
        for key in ("road_cycle_years", "bridge_cycle_years", "sewer_cycle_years", "building_no_refurbish_after"):
            if not _positive(spec[key]):
                problems.append(f"'scenario.{scenario}.{key}' must be a positive number, got {spec[key]!r}")
    if not (isinstance(costs["backlog_years"], int) and costs["backlog_years"] > 0):
        problems.append(f"'backlog_years' must be a positive whole number, got {costs['backlog_years']!r}")
    return problems
