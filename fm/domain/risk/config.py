"""Risk settings: the packaged defaults (``default.toml``) overlaid with a user's TOML file.

Every problem in a user's file is gathered and reported at once, each naming its key.
"""

from __future__ import annotations

import itertools
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fm.domain.settings import load_overlaid
from fm.errors import ValidationError

DEFAULT = Path(__file__).with_name("default.toml")
RISK_CLASSES = ("very_low", "low", "medium", "high", "very_high")
WORK_KINDS = ("preventive", "reactive", "renewal")  # the work order kinds (fm.model.assets.WORK_KINDS; a test checks)


@dataclass(frozen=True)
class RiskConfig:
    """Validated settings; ``as_dict()`` is what a risk run stores."""

    horizon_years: float
    prior_shape: float
    restoring_work: list[str]
    on_line_m: float
    probability: dict[str, float]
    consequence: dict[str, float]
    criticality: dict[str, float]
    classes: dict[str, list[float]]
    inspection_cycle_years: dict[str, float]

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    def cycle(self, category: str) -> float:
        """Inspection cycle of ``category`` in years."""
        return self.inspection_cycle_years.get(category, self.inspection_cycle_years["default"])


def load_config(path: Path | str | None = None) -> RiskConfig:
    """The defaults, overlaid with ``path`` (or ``FM_RISK_CONFIG``) when given; validated."""
    path = path or os.environ.get("FM_RISK_CONFIG")
    settings, problems = load_overlaid(DEFAULT, path, "risk configuration")
    problems = [
        "'min_pairs' is no longer used: every category is now estimated by Bayesian updating with the "
        "useful-life default as its prior (docs/risk.md); remove it, or set 'prior_shape'"
        if p.startswith("unknown key 'min_pairs'")
        else p
        for p in problems
    ]
    problems += _check(settings)
    if problems:
        raise ValidationError([f"risk configuration {path or DEFAULT}: {p}" for p in problems])
    return RiskConfig(**settings)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _check(settings: dict[str, Any]) -> list[str]:
    problems = []
    work = settings["restoring_work"]
    if not isinstance(work, list) or any(kind not in WORK_KINDS for kind in work):
        problems.append(f"'restoring_work' must be a list of work order kinds from {list(WORK_KINDS)}, got {work!r}")
    for key in ("horizon_years", "prior_shape", "on_line_m"):
        if not _number(settings[key]) or settings[key] <= 0:
            problems.append(f"{key!r} must be a positive number, got {settings[key]!r}")
    for table in ("probability", "consequence", "criticality"):
        for key, value in settings[table].items():
            if not _number(value) or value < 0:
                problems.append(f"'{table}.{key}' must be a number ≥ 0, got {value!r}")
    for key, value in settings["inspection_cycle_years"].items():
        if not _number(value) or value <= 0:
            problems.append(f"'inspection_cycle_years.{key}' must be a positive number, got {value!r}")
    for key, value in settings["criticality"].items():
        if _number(value) and value > 1:
            problems.append(f"'criticality.{key}' must be between 0 and 1, got {value!r}")
    if all(_number(v) for v in settings["probability"].values()) and sum(settings["probability"].values()) <= 0:
        problems.append("'probability' weights must not all be 0")
    if all(_number(v) for v in settings["consequence"].values()) and sum(settings["consequence"].values()) <= 0:
        problems.append("'consequence' weights must not all be 0")
    for key, value in settings["classes"].items():
        if not (isinstance(value, list) and len(value) == 4 and all(_number(v) for v in value)):
            problems.append(f"'classes.{key}' must be a list of 4 numbers, got {value!r}")
        elif any(b <= a for a, b in itertools.pairwise(value)):
            problems.append(f"'classes.{key}' thresholds must increase, got {value!r}")
    return problems
