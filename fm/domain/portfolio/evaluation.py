"""The quantitative evaluation (一次評価): every building housing a service placed on two axes, building
performance and use, into four quadrants (docs/portfolio.md has each formula and a worked example).

- **Performance** (0–100): the weighted mean of the latest condition ((5 − s) / 4 for a 1–5 score,
  (4 − s) / 3 for soundness Ⅰ–Ⅳ), the life left (1 − age / useful life, at least 0) and the latest risk class
  (very_low 1 … very_high 0); a part not known counts ``unknown`` (0.5).
- **Use** (0–100): users per m² of the building and cost per user against the median of the buildings whose
  main service is of the same kind (or all buildings, when fewer than ``min_peers`` share it): each ratio
  (users per m² ÷ median; median cost per user ÷ cost per user) capped at ``cap`` and divided by it, so a
  building at the median scores 50.
- **Quadrant**: sound and well used: keep (継続); sound, little used: improve how it is run (改善); well used in
  a poor building: reconsider the use or merge the service into another building (用途転換・複合化); poor and
  little used: consider closing (廃止・統合検討).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from fm.domain.money import per_unit
from fm.domain.portfolio.usage import building_usage
from fm.domain.settings import load_overlaid
from fm.errors import ValidationError

DEFAULT = Path(__file__).with_name("evaluation.toml")
QUADRANTS = ("keep", "improve", "repurpose_merge", "consider_closing")
QUADRANT_LABELS = {
    "keep": ("継続", "Keep"),
    "improve": ("改善", "Improve how it is run"),
    "repurpose_merge": ("用途転換・複合化", "Repurpose or merge"),
    "consider_closing": ("廃止・統合検討", "Consider closing"),
}
RISK_PART = {"very_low": 1.0, "low": 0.75, "medium": 0.5, "high": 0.25, "very_high": 0.0}
COLUMNS = (
    "code",
    "name",
    "kind",
    "district_id",
    "floor_area_m2",
    "age",
    "useful_life_years",
    "condition",
    "risk_class",
    "fiscal_year",
    "users",
    "operating_cost",
    "users_per_m2",
    "cost_per_user",
    "performance",
    "use",
    "quadrant",
)


@dataclass(frozen=True)
class EvaluationSettings:
    weights: dict[str, float]
    unknown: float
    use_weights: dict[str, float]
    cap: float
    min_peers: int
    performance_threshold: float
    use_threshold: float


def load_settings(path: Path | str | None = None) -> EvaluationSettings:
    """The packaged settings overlaid with ``path`` (or ``FM_PORTFOLIO``), every problem named at once."""
    path = path or os.environ.get("FM_PORTFOLIO")
    settings, problems = load_overlaid(DEFAULT, path, "portfolio settings")

    def number(section: str, key: str, low: float, high: float) -> float:
        value = settings[section][key]
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            problems.append(f"'{section}.{key}' must be a number from {low:g} to {high:g}, got {value!r}")
            return low
        return float(value)

    weights = {k: number("performance", k, 0, 1) for k in ("condition", "age", "risk")}
    use_weights = {k: number("use", k, 0, 1) for k in ("users_per_m2", "cost_per_user")}
    if sum(weights.values()) <= 0 or sum(use_weights.values()) <= 0:
        problems.append("the weights of each axis must not all be 0")
    result = EvaluationSettings(
        weights=weights,
        unknown=number("performance", "unknown", 0, 1),
        use_weights=use_weights,
        cap=number("use", "cap", 1, 100),
        min_peers=int(number("use", "min_peers", 1, 1000)),
        performance_threshold=number("thresholds", "performance", 0, 100),
        use_threshold=number("thresholds", "use", 0, 100),
    )
    if problems:
        raise ValidationError([f"portfolio settings: {p}" for p in problems])
    return result


def condition_part(state: pd.Series, scale: pd.Series) -> pd.Series:
    """The latest state as 0 (worst) – 1 (best): (5 − s) / 4 for a score, (4 − s) / 3 for soundness.

    >>> condition_part(pd.Series([1, 5, 2, None]), pd.Series(["score", "score", "soundness", "score"])).tolist()
    [1.0, 0.0, 0.6666666666666666, nan]
    """
    s = pd.to_numeric(state, errors="coerce").astype(float)
    return pd.Series(np.where(scale == "soundness", (4 - s) / 3, (5 - s) / 4), index=state.index)


def main_kind(housed: pd.DataFrame) -> pd.Series:
    """Each building's main kind of service: the one occupying most of its floor area (ties: the first
    service by id), by ``asset_id``."""
    ordered = housed.assign(_area=housed["floor_area_m2"].fillna(0.0)).sort_values(
        ["asset_id", "_area", "service_id"], ascending=[True, False, True], kind="stable"
    )
    return ordered.drop_duplicates("asset_id").set_index("asset_id")["kind"]


def evaluate(
    buildings: pd.DataFrame,
    housed: pd.DataFrame,
    usage: pd.DataFrame,
    *,
    settings: EvaluationSettings,
    fiscal_year: int | None = None,
) -> pd.DataFrame:
    """One row per building housing a service, with both axes and the quadrant (:data:`COLUMNS`).

    ``buildings``: id, code, name, district_id, floor_area_m2, year_built, useful_life_years, state (latest
    inspection), scale (``score`` or ``soundness``), risk_class (latest run; None if not scored).
    ``housed``: service_id, asset_id, floor_area_m2, kind. ``usage``: service_id, fiscal_year, users,
    operating_cost. ``fiscal_year``: the year whose figures are compared (default: the latest in ``usage``).
    """
    year = int(usage["fiscal_year"].max()) if fiscal_year is None and len(usage) else fiscal_year
    frame = buildings[buildings["id"].isin(housed["asset_id"])].copy()
    frame["kind"] = frame["id"].map(main_kind(housed)) if len(housed) else None
    figures = building_usage(housed, usage[usage["fiscal_year"] == year]).set_index("asset_id")
    frame["fiscal_year"] = year
    frame["users"] = frame["id"].map(figures["users"]).astype("Int64")
    frame["operating_cost"] = frame["id"].map(figures["operating_cost"]).astype("Int64")
    area = frame["floor_area_m2"].astype(float)
    users = frame["users"].astype(float)
    frame["users_per_m2"] = users / area
    frame["cost_per_user"] = pd.array(  # whole yen, half up, in integers (as on the facility card)
        [per_unit(c, u) for c, u in zip(frame["operating_cost"], frame["users"], strict=True)], dtype="Int64"
    )
    frame["age"] = (year - frame["year_built"].astype(float)) if year is not None else np.nan
    frame["condition"] = condition_part(frame["state"], frame["scale"])
    frame["performance"] = _performance(frame, settings)
    frame["use"] = _use(frame, settings)
    sound = frame["performance"] >= settings.performance_threshold
    used = frame["use"] >= settings.use_threshold
    frame["quadrant"] = np.select(
        [sound & used, sound & ~used, ~sound & used], ["keep", "improve", "repurpose_merge"], "consider_closing"
    )
    frame["performance"] = frame["performance"].round(1)
    frame["use"] = frame["use"].round(1)
    return frame.reindex(columns=list(COLUMNS)).sort_values("code", kind="stable").reset_index(drop=True)


def _performance(frame: pd.DataFrame, settings: EvaluationSettings) -> pd.Series:
    life = frame["useful_life_years"].astype(float)
    age_part = (1 - frame["age"] / life).clip(lower=0.0, upper=1.0)
    risk_part = frame["risk_class"].map(RISK_PART).astype(float)
    parts = {"condition": frame["condition"], "age": age_part, "risk": risk_part}
    weights = settings.weights
    total = sum(weights[k] * parts[k].fillna(settings.unknown) for k in parts)
    return 100 * total / sum(weights.values())


def _use(frame: pd.DataFrame, settings: EvaluationSettings) -> pd.Series:
    peers = frame.groupby("kind")["id"].transform("size")
    own = peers >= settings.min_peers
    cap = settings.cap

    def median_of(column: str) -> pd.Series:
        values = frame[column].astype(float)
        values = values.where(values > 0)
        by_kind = values.groupby(frame["kind"]).transform("median")
        return by_kind.where(own, values.median())

    upm = (frame["users_per_m2"] / median_of("users_per_m2")).clip(upper=cap).fillna(0.0) / cap
    cpu = (median_of("cost_per_user") / frame["cost_per_user"].astype(float)).clip(upper=cap).fillna(0.0) / cap
    weights = settings.use_weights
    return 100 * (weights["users_per_m2"] * upm + weights["cost_per_user"] * cpu) / sum(weights.values())
