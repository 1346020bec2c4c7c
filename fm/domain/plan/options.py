"""Intervention settings (``interventions.toml``) and their effect on a condition distribution."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from fm.domain.settings import load_overlaid
from fm.errors import ValidationError

DEFAULT = Path(__file__).with_name("interventions.toml")


def load_interventions(path: Path | str | None = None) -> dict[str, Any]:
    """The packaged settings overlaid with ``path`` (or ``FM_INTERVENTIONS``); validated."""
    path = path or os.environ.get("FM_INTERVENTIONS")
    settings, problems = load_overlaid(DEFAULT, path, "interventions")
    checks = [
        ("discount_rate", settings["discount_rate"], 0, 1),
        ("lcc_years", settings["lcc_years"], 1, 200),
        ("preventive.cost_share", settings["preventive"]["cost_share"], 0, 10),
        ("preventive.min_state", settings["preventive"]["min_state"], 2, 5),
        ("renewal.cost_share", settings["renewal"]["cost_share"], 0, 10),
        ("reactive.emergency_premium", settings["reactive"]["emergency_premium"], 0, 10),
        ("reactive.failure_cost_share", settings["reactive"]["failure_cost_share"], 0, 100),
    ]
    checks += [(f"preventive_cost_share.{k}", v, 0, 10) for k, v in settings["preventive_cost_share"].items()]
    for name, value, low, high in checks:
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not low <= value <= high:
            problems.append(f"'{name}' must be a number from {low} to {high}, got {value!r}")
    if problems:
        raise ValidationError([f"interventions {path or DEFAULT}: {p}" for p in problems])
    return settings


def preventive_share(settings: dict[str, Any], category: str) -> float:
    """Cost of a preventive repair of ``category`` as a share of the replacement cost."""
    return settings["preventive_cost_share"].get(category, settings["preventive"]["cost_share"])


def repair(distribution: np.ndarray, min_state: int) -> np.ndarray:
    """Distribution after a preventive repair: states from ``min_state`` up to one short of the worst
    improve by one (rows = assets). A failed asset (the worst state) needs a renewal, not a repair.

    Examples
    --------
    >>> repair(np.array([[0.5, 0.3, 0.2]]), 2).tolist()
    [[0.8, 0.0, 0.2]]
    """
    out = distribution.copy()
    for state in range(min_state - 1, distribution.shape[1] - 1):  # index = state - 1
        out[:, state - 1] += distribution[:, state]
        out[:, state] -= distribution[:, state]
    return out


def renew(distribution: np.ndarray) -> np.ndarray:
    """Distribution after a renewal: everything in the best state."""
    out = np.zeros_like(distribution)
    out[:, 0] = 1.0
    return out
