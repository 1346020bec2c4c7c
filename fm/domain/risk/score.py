"""Risk = probability of failure × consequence of failure, with the components that explain it.

Probability (0–1) mixes two parts by the configured weights:

- condition: the chance of being in the worst state within the horizon, from the latest
  inspection (its state, carried forward to today by the category's model) — or, with no
  inspection, from the best state at acquisition carried forward over the asset's age;
- age: age ÷ useful life, capped at 1.

Consequence (0–1) is the weighted mean of components each scaled 0–1: the category's
criticality, users or traffic (log scale, 10⁷ a year = 1), replacement cost (log scale,
¥3×10¹⁰ = 1), designated evacuation shelter, on an emergency transport road, over a
railway (both found by spatial join in EPSG:6677), and the district's population against
the most populous district. Classes follow a 5 × 5 risk matrix (``classes`` in the
configuration).
"""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa  # type: ignore[import-untyped]  # no stubs; pandas needs it anyway
import shapely

from fm.domain.geo import PLANE_CRS
from fm.domain.risk import markov
from fm.domain.risk.config import RISK_CLASSES, RiskConfig

COMPONENTS = (
    "category",
    "users",
    "replacement_cost",
    "evacuation_shelter",
    "emergency_road",
    "railway",
    "district_population",
)
NETWORK_CATEGORIES = ("bridge", "tunnel")  # categories that can be on or over a network line


def score_risk(
    assets: pd.DataFrame,
    states: pd.DataFrame,
    models: pd.DataFrame,
    categories: pd.DataFrame,
    districts: pd.DataFrame,
    network: gpd.GeoDataFrame,
    *,
    config: RiskConfig,
    as_of: date,
    repairs: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Score every asset; one row per asset with probability, consequence, score, classes and components.

    ``assets`` needs id, category, district_id, year_built, acquisition_date (code and name are copied if there),
    useful_life_years, annual_users, replacement_cost, is_evacuation_shelter,
    on_emergency_road and ``geom`` (only rows in NETWORK_CATEGORIES are read);
    ``states`` is :func:`fm.domain.risk.deterioration.inspection_states`; ``models`` is
    :func:`fm.domain.risk.deterioration.fit`; ``repairs`` (asset_id, kind, completed_on) are the completed
    work that changes condition (the configuration's ``restoring_work``).
    """
    codes = _Codes(assets["category"])
    frame = pd.concat(
        [
            assets[[c for c in ("id", "code", "name", "category", "district_id") if c in assets.columns]],
            _probability(assets, states, models, categories, config, as_of, repairs, codes),
            consequence(assets, districts, network, config, codes=codes),
        ],
        axis=1,
    )
    frame["score"] = frame["probability"] * frame["consequence"]
    likelihood = 1 + np.searchsorted(config.classes["likelihood"], frame["probability"], side="right")
    impact = 1 + np.searchsorted(config.classes["consequence"], frame["consequence"], side="right")
    frame["likelihood_class"], frame["consequence_class"] = likelihood, impact
    risk = np.searchsorted(config.classes["risk"], likelihood * impact, side="left")
    # taken by Arrow into pandas' own text type: a million Python or numpy strings converted one by one took 0.5 s
    frame["risk_class"] = pd.Series(pa.array(RISK_CLASSES, pa.large_string()).take(risk), index=frame.index, dtype=TEXT)
    return frame


class _Codes:
    """The assets' category codes factorized once: each distinct code's positions, and look-ups by code
    (scoring asks for both several times; each pandas ``groupby`` or ``factorize`` of the text costs a hash of
    every row)."""

    def __init__(self, codes: pd.Series) -> None:
        self.positions, self.distinct = pd.factorize(codes)
        order = np.argsort(self.positions, kind="stable")
        bounds = np.searchsorted(self.positions[order], np.arange(len(self.distinct) + 1))
        self.groups = {
            code: order[bounds[k] : bounds[k + 1]] for k, code in enumerate(self.distinct) if bounds[k + 1] > bounds[k]
        }

    def lookup(self, table: pd.Series) -> np.ndarray:
        """``table`` (indexed by code) for each asset as floats, NaN where its code is not in it or missing."""
        values = table.reindex(self.distinct).to_numpy(dtype="float64", na_value=np.nan)
        return np.where(self.positions >= 0, np.append(values, np.nan)[self.positions], np.nan)


TEXT = pd.Series([""]).dtype
"""The type pandas gives text (Arrow-backed from pandas 3)."""


def state_distributions(
    assets: pd.DataFrame,
    states: pd.DataFrame,
    models: pd.DataFrame,
    as_of: date,
    repairs: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, dict[str, tuple[pd.Index, np.ndarray]]]:
    """Each asset's state probabilities on ``as_of``: its latest inspection carried forward by its model.

    Only inspections and repairs on or before ``as_of`` count (the worse of two inspections on one
    day). Work that changes condition (``repairs``: asset_id, kind, completed_on; the kinds of the
    configuration's ``restoring_work``; optionally ``state_after``) completed after the latest inspection
    brings the asset to the condition it recorded after the work (``state_after``), else back to the best
    state (a renewal) or one state better (a preventive or reactive repair), from its completion date.
    With no inspection the asset starts in the best state at its acquisition (or 1 April of its year
    built; today when neither is known). Returns a frame (state,
    inspected_on, years_since, acquired) and, per category, the row index and an (n, J) array.
    """
    codes = _Codes(assets["category"])
    out, now = _distributions(assets, states, models, as_of, repairs, codes)
    return out, {category: (out.index[codes.groups[category]], now[category]) for category in now}


def _distributions(
    assets: pd.DataFrame,
    states: pd.DataFrame,
    models: pd.DataFrame,
    as_of: date,
    repairs: pd.DataFrame | None,
    codes: _Codes,
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """:func:`state_distributions` with the categories' positions at hand; per category only the (n, J) array
    of the assets at ``codes.groups[category]``."""
    today = pd.Timestamp(as_of)
    seen = states.assign(inspected_on=pd.to_datetime(states["inspected_on"]))
    seen = seen[seen["inspected_on"] <= today]
    if seen["asset_id"].is_unique:  # one inspection per asset already (the latest, as the database gives it)
        latest = seen[["asset_id", "inspected_on", "state"]].set_index("asset_id")
    else:
        latest = (
            seen.groupby(["asset_id", "inspected_on"], as_index=False)["state"]
            .max()
            .sort_values("inspected_on")
            .drop_duplicates("asset_id", keep="last")
            .set_index("asset_id")
        )
    # one lookup of the million ids for both columns, not a reindex (a hash of the ids) per column
    where = latest.index.get_indexer(assets["id"])
    state = _take(latest["state"].to_numpy(dtype="float64"), where)
    inspected_on = pd.Series(pd.to_datetime(_take(latest["inspected_on"].to_numpy(), where)), index=assets.index)
    acquired = acquired_on(assets)
    since = inspected_on.fillna(acquired)
    if repairs is not None and len(repairs):
        done = repairs.assign(completed_on=pd.to_datetime(repairs["completed_on"]))
        done = (
            done[done["completed_on"] <= today]
            .sort_values("completed_on", kind="stable")  # of two on one day, the one listed (recorded) last
            .drop_duplicates("asset_id", keep="last")
            .set_index("asset_id")
        )
        where = done.index.get_indexer(assets["id"])
        when = pd.Series(pd.to_datetime(_take(done["completed_on"].to_numpy(), where)), index=assets.index)
        renewal = _take((done["kind"] == "renewal").fillna(False).to_numpy(dtype=bool), where)
        after = (
            _take(pd.to_numeric(done["state_after"], errors="coerce").to_numpy(dtype="float64"), where)
            if "state_after" in done
            else np.full(len(assets), np.nan)
        )
        later = (when.notna() & (since.isna() | (when > since))).to_numpy()
        before = np.where(np.isnan(state), 1.0, state)
        assumed = np.where(renewal, 1.0, _clip(before - 1, 1.0, np.inf))
        most = codes.lookup(models["states"])
        after = np.where((after >= 1) & (after <= most), after, np.nan)  # outside the category's scale: not recorded
        state = np.where(later, np.where(np.isnan(after), assumed, after), state)
        since = since.where(~later, when)
    years_since = ((today - since).dt.days / 365.25).clip(lower=0).fillna(0.0).to_numpy()
    out = pd.DataFrame(
        {"state": state, "inspected_on": inspected_on, "years_since": years_since, "acquired": acquired},
        index=assets.index,
    )
    start = np.where(np.isnan(state), 1, state).astype(int) - 1
    distributions = {}
    thetas = dict(zip(models.index, models["theta"], strict=True))  # not a label look-up per category
    for category in sorted(codes.groups):
        positions = codes.groups[category]
        # One transition matrix per distinct interval (whole days), then each asset's row of its own: never
        # an (assets × J × J) stack
        intervals, which = np.unique(years_since[positions], return_inverse=True)
        theta = thetas[category]
        distributions[category] = markov.transition(theta, intervals)[which.reshape(-1), start[positions]]
    return out, distributions


def _clip(values: np.ndarray, lower: float, upper: float) -> np.ndarray:
    """``values`` within [lower, upper] as pandas' ``clip`` does it (NaN kept, each bound only where crossed)."""
    return np.where(values < lower, lower, np.where(values > upper, upper, values))


def acquired_on(assets: pd.DataFrame) -> pd.Series:
    """Each asset's acquisition date, else 1 April of its year built (NaT when neither is known); the year's
    text is made only for the assets that need it, not for a million."""
    acquired = pd.to_datetime(assets["acquisition_date"])
    missing = acquired.isna().to_numpy()
    if missing.any():
        built = assets["year_built"][missing].astype("Int64").astype(str) + "-04-01"
        acquired[missing] = pd.to_datetime(built, errors="coerce")
    return acquired


def _take(values: np.ndarray, where: np.ndarray) -> np.ndarray:
    """``values`` at the positions ``where`` (from ``get_indexer``), missing (NaN, NaT, False) where it is -1."""
    if values.dtype == bool:
        return np.where(where >= 0, values[where] if len(values) else False, False)
    if values.dtype.kind not in "fmM":
        values = values.astype("float64")
    missing = np.array("NaT", dtype=values.dtype) if values.dtype.kind in "mM" else np.nan
    return np.where(where >= 0, values[where] if len(values) else missing, missing)


def _probability(assets, states, models, categories, config, as_of, repairs, codes) -> pd.DataFrame:
    today = pd.Timestamp(as_of)
    out, distributions = _distributions(assets, states, models, as_of, repairs, codes)
    acquired = out.pop("acquired")
    p_condition, remaining = np.full(len(out), np.nan), np.full(len(out), np.nan)
    thetas = dict(zip(models.index, models["theta"], strict=True))
    for category, now in distributions.items():
        theta = thetas[category]
        ahead = markov.transition(theta, float(config.horizon_years))
        positions = codes.groups[category]
        p_condition[positions] = (now * ahead[:, -1]).sum(axis=1)  # row by row, as expected_years_to_worst
        remaining[positions] = markov.expected_years_to_worst(theta, now)
    life = assets["useful_life_years"].to_numpy(dtype="float64", na_value=np.nan)
    life = np.where(np.isnan(life), codes.lookup(categories.set_index("code")["useful_life_years"]), life)
    age = ((today - acquired).dt.days / 365.25).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):  # no life known, or none: as pandas' division gives it
        p_age = _clip(age / life, 0.0, 1.0)
    p_age = np.where(np.isnan(p_age), 0.0, p_age)
    weights = config.probability
    probability = (weights["condition"] * p_condition + weights["age"] * p_age) / (
        weights["condition"] + weights["age"]
    )
    columns = {
        "p_condition": p_condition,
        "remaining_years": remaining,
        "age": np.round(age, 1),
        "life": life,
        "p_age": p_age,
        "probability": _clip(probability, 0.0, 1.0),
    }
    return pd.concat([out, pd.DataFrame(columns, index=out.index)], axis=1)


def consequence(
    assets: pd.DataFrame,
    districts: pd.DataFrame,
    network: gpd.GeoDataFrame,
    config: RiskConfig,
    *,
    codes: _Codes | None = None,
) -> pd.DataFrame:
    """The consequence of failure (0–1) of each asset and its components ``c_*`` (``codes``: the assets'
    categories factorized, when the caller has them)."""
    codes = codes if codes is not None else _Codes(assets["category"])
    out: dict[str, np.ndarray] = {}
    criticality = codes.lookup(pd.Series(config.criticality, dtype="float64"))
    out["c_category"] = np.where(np.isnan(criticality), 0.5, criticality)
    users = assets["annual_users"].to_numpy(dtype="float64", na_value=np.nan)
    out["c_users"] = _clip(np.log10(1 + np.where(np.isnan(users), 0.0, users)) / 7, 0.0, 1.0)
    cost = assets["replacement_cost"].to_numpy(dtype="float64", na_value=np.nan)
    out["c_replacement_cost"] = _clip(np.log10(1 + np.where(np.isnan(cost), 0.0, cost)) / 10.5, 0.0, 1.0)
    out["c_evacuation_shelter"] = _flag(assets["is_evacuation_shelter"]).astype(float)
    on_road, over_rail = _on_network(assets, network, config.on_line_m)
    out["c_emergency_road"] = (_flag(assets["on_emergency_road"]) | on_road).astype(float)
    out["c_railway"] = over_rail.astype(float)
    population = districts.set_index("id")["population"].astype(float)
    share = population / population.max() if len(population) and population.max() > 0 else population
    out["c_district_population"] = assets["district_id"].map(share).fillna(0.0).to_numpy()
    weights = config.consequence
    total = sum(weights[name] for name in COMPONENTS)
    out["consequence"] = np.asarray(sum(weights[name] * out[f"c_{name}"] for name in COMPONENTS) / total)
    return pd.DataFrame(out, index=assets.index)


def _flag(values: pd.Series) -> np.ndarray:
    """A yes/no column as booleans, missing as no."""
    return values.fillna(False).astype(bool).to_numpy()


def _on_network(assets: pd.DataFrame, network: gpd.GeoDataFrame, distance: float) -> tuple[np.ndarray, np.ndarray]:
    """Whether each bridge or tunnel lies within ``distance`` m of an emergency road / a railway (EPSG:6677)."""
    on_road, over_rail = np.zeros(len(assets), dtype=bool), np.zeros(len(assets), dtype=bool)
    candidates = np.flatnonzero(assets["category"].isin(NETWORK_CATEGORIES).to_numpy() & assets["geom"].notna())
    if not len(candidates) or network.empty:
        return on_road, over_rail
    geoms = assets["geom"].to_numpy()[candidates]
    points = gpd.GeoSeries(geoms, crs="EPSG:4326").to_crs(PLANE_CRS).to_numpy()
    lines = network.to_crs(PLANE_CRS)
    for kind, result in (("emergency_road", on_road), ("railway", over_rail)):
        near = lines.geometry[lines["kind"] == kind]
        if len(near):
            result[candidates] = shapely.dwithin(points, near.union_all(), distance)
    return on_road, over_rail
