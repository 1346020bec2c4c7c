"""The unit-cost file of the renewal projection: the packaged one, overlaid with a user's, validated."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
