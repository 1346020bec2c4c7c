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
    frame = assets[[c for c in ("id", "code", "name", "category", "district_id") if c in assets.columns]].copy()
    frame = frame.join(_probability(assets, states, models, categories, config, as_of, repairs))
    frame = frame.join(consequence(assets, districts, network, config))
    frame["score"] = frame["probability"] * frame["consequence"]
    likelihood = 1 + np.searchsorted(config.classes["likelihood"], frame["probability"], side="right")
    impact = 1 + np.searchsorted(config.classes["consequence"], frame["consequence"], side="right")
    frame["likelihood_class"], frame["consequence_class"] = likelihood, impact
    risk = np.searchsorted(config.classes["risk"], likelihood * impact, side="left")
    # taken by Arrow into pandas' own text type: a million Python or numpy strings converted one by one took 0.5 s
    frame["risk_class"] = pd.Series(pa.array(RISK_CLASSES, pa.large_string()).take(risk), index=frame.index, dtype=TEXT)
    return frame


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
    out = pd.DataFrame(index=assets.index)
    # one lookup of the million ids for both columns, not a reindex (a hash of the ids) per column
    where = latest.index.get_indexer(assets["id"])
    out["state"] = _take(latest["state"].to_numpy(dtype="float64"), where)
    out["inspected_on"] = pd.to_datetime(_take(latest["inspected_on"].to_numpy(), where))
    out["acquired"] = acquired_on(assets)
    since = pd.to_datetime(out["inspected_on"]).fillna(out["acquired"])
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
        later = when.notna() & (since.isna() | (when > since))
        state = out["state"].fillna(1)
        assumed = np.where(renewal[later.to_numpy()], 1, (state[later] - 1).clip(lower=1))
        most = by_code(assets["category"], models["states"])
        after = np.where((after >= 1) & (after <= most), after, np.nan)  # outside the category's scale: not recorded
        recorded = pd.Series(after, index=assets.index)[later]
        out.loc[later, "state"] = recorded.fillna(pd.Series(assumed, index=recorded.index))
        since = since.where(~later, when)
    out["years_since"] = ((today - since).dt.days / 365.25).clip(lower=0).fillna(0.0)
    distributions = {}
    start = out["state"].fillna(1).astype(int).to_numpy() - 1
    years = out["years_since"].to_numpy()
    by_category = assets.groupby("category").indices  # positions, not labels: no index lookups per category
    for category in sorted(by_category):
        positions = by_category[category]
        # One transition matrix per distinct interval (whole days), then each asset's row of its own: never
        # an (assets × J × J) stack
        intervals, which = np.unique(years[positions], return_inverse=True)
        now = markov.transition(models.loc[category, "theta"], intervals)[which.reshape(-1), start[positions]]
        distributions[category] = (out.index[positions], now)
    return out, distributions


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


def by_code(codes: pd.Series, table: pd.Series) -> np.ndarray:
    """``table`` (indexed by code) looked up for each of ``codes`` as floats (NaN where a code is not in it or
    missing): the distinct codes looked up once, not a million strings mapped one by one."""
    positions, distinct = pd.factorize(codes)
    values = table.reindex(distinct).to_numpy(dtype="float64", na_value=np.nan)
    return np.where(positions >= 0, np.append(values, np.nan)[positions], np.nan)


def _probability(assets, states, models, categories, config, as_of, repairs) -> pd.DataFrame:
    today = pd.Timestamp(as_of)
    out, distributions = state_distributions(assets, states, models, as_of, repairs)
    acquired = out.pop("acquired")
    p_condition, remaining = np.full(len(out), np.nan), np.full(len(out), np.nan)
    by_category = assets.groupby("category").indices  # the positions state_distributions took its rows at
    for category, (_, now) in distributions.items():
        theta = models.loc[category, "theta"]
        ahead = markov.transition(theta, float(config.horizon_years))
        positions = by_category[category]  # not out.index.get_indexer(rows): a hash of a million labels again
        p_condition[positions] = (now * ahead[:, -1]).sum(axis=1)  # row by row, as expected_years_to_worst
        remaining[positions] = markov.expected_years_to_worst(theta, now)
    out["p_condition"], out["remaining_years"] = p_condition, remaining
    life = (
        assets["useful_life_years"]
        .fillna(
            pd.Series(
                by_code(assets["category"], categories.set_index("code")["useful_life_years"]), index=assets.index
            )
        )
        .astype(float)
    )
    age = (today - acquired).dt.days / 365.25
    out["age"], out["life"] = age.round(1), life
    out["p_age"] = (age / life).clip(0, 1).fillna(0.0)
    weights = config.probability
    out["probability"] = (
        (weights["condition"] * out["p_condition"] + weights["age"] * out["p_age"])
        / (weights["condition"] + weights["age"])
    ).clip(0, 1)
    return out


def consequence(
    assets: pd.DataFrame, districts: pd.DataFrame, network: gpd.GeoDataFrame, config: RiskConfig
) -> pd.DataFrame:
    """The consequence of failure (0–1) of each asset and its components ``c_*``."""
    out = pd.DataFrame(index=assets.index)
    criticality = pd.Series(config.criticality, dtype="float64")
    out["c_category"] = pd.Series(by_code(assets["category"], criticality), index=assets.index).fillna(0.5)
    out["c_users"] = (np.log10(1 + assets["annual_users"].astype(float).fillna(0)) / 7).clip(0, 1)
    out["c_replacement_cost"] = (np.log10(1 + assets["replacement_cost"].astype(float).fillna(0)) / 10.5).clip(0, 1)
    out["c_evacuation_shelter"] = assets["is_evacuation_shelter"].fillna(False).astype(bool).astype(float)
    on_road, over_rail = _on_network(assets, network, config.on_line_m)
    out["c_emergency_road"] = (assets["on_emergency_road"].fillna(False).astype(bool) | on_road).astype(float)
    out["c_railway"] = over_rail.astype(float)
    population = districts.set_index("id")["population"].astype(float)
    share = population / population.max() if len(population) and population.max() > 0 else population
    out["c_district_population"] = assets["district_id"].map(share).fillna(0.0)
    weights = config.consequence
    total = sum(weights[name] for name in COMPONENTS)
    out["consequence"] = sum(weights[name] * out[f"c_{name}"] for name in COMPONENTS) / total
    return out


def _on_network(assets: pd.DataFrame, network: gpd.GeoDataFrame, distance: float) -> tuple[pd.Series, pd.Series]:
    """Whether each bridge or tunnel lies within ``distance`` m of an emergency road / a railway (EPSG:6677)."""
    on_road = pd.Series(False, index=assets.index)
    over_rail = pd.Series(False, index=assets.index)
    candidates = assets[assets["category"].isin(NETWORK_CATEGORIES) & assets["geom"].notna()]
    if candidates.empty or network.empty:
        return on_road, over_rail
    points = gpd.GeoSeries(candidates["geom"].to_numpy(), index=candidates.index, crs="EPSG:4326").to_crs(PLANE_CRS)
    lines = network.to_crs(PLANE_CRS)
    for kind, result in (("emergency_road", on_road), ("railway", over_rail)):
        geoms = lines.geometry[lines["kind"] == kind]
        if len(geoms):
            result.loc[candidates.index] = shapely.dwithin(points.to_numpy(), geoms.union_all(), distance)
    return on_road, over_rail
