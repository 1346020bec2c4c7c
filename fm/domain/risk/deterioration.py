"""Per-category deterioration models: hazards by Bayesian updating of a useful-life prior with inspection pairs.

A category's states are soundness classes Ⅰ–Ⅳ (J = 4) or condition scores 1–5 (J = 5),
by its ``condition_scale``. Every category is estimated the same way
(:func:`fm.domain.risk.markov.posterior`): the prior on each hazard is a Gamma distribution whose
mean is the useful-life default θ₀ = (J − 1) / life (an asset reaches the worst state at the end of
its useful life on average: an fm assumption) and whose weight is ``prior_shape`` state changes;
the likelihood is the Markov hazard model over the category's usable inspection pairs. The
posterior mean is what scoring uses; with no pairs it is the prior, with thousands it is the
maximum-likelihood estimate. Pairs spanning completed work that changes condition, and pairs whose
condition improved, are dropped and counted by reason.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pandas as pd

from fm.domain.risk import markov

STATES = {"soundness": 4, "score": 5}


def inspection_states(inspections: pd.DataFrame, assets: pd.DataFrame, categories: pd.DataFrame) -> pd.DataFrame:
    """Inspections with ``category`` and ``state``: soundness or score, whichever the category uses."""
    scale = assets["category"].map(categories.set_index("code")["condition_scale"])
    frame = inspections.merge(
        pd.DataFrame({"asset_id": assets["id"], "category": assets["category"], "scale": scale}), on="asset_id"
    )
    frame["state"] = np.where(frame["scale"] == "soundness", frame["soundness"], frame["condition_score"])
    frame["state"] = pd.to_numeric(frame["state"], errors="coerce")
    return frame.dropna(subset=["state"])


FIT_VERSION = 1
"""Raised when the fit changes, or the figures a run stores of its models, so that models kept from earlier runs
(:func:`fit_key`) are not reused, nor those figures with them."""


def pair_frame(states: pd.DataFrame, work: pd.DataFrame | None, categories: pd.DataFrame) -> pd.DataFrame:
    """Every consecutive inspection pair (:func:`fm.domain.risk.markov.pair_table`) with its asset's ``category``."""
    table = markov.pair_table(
        states[["asset_id", "inspected_on", "state"]], _checked_state_after(work, states, categories)
    )
    return table.merge(states[["asset_id", "category"]].drop_duplicates("asset_id"), on="asset_id")


def fit_key(table: pd.DataFrame, categories: pd.DataFrame, *, prior_shape: float = 1.0, seed: int = 0) -> str:
    """A fingerprint of everything :func:`fit` depends on: the pairs (:func:`pair_frame`: states, intervals,
    why dropped), each category's scale and useful life, the prior's weight, the seed and ``FIT_VERSION``.
    Equal keys, equal models: a run may reuse the models of an earlier run with the same key instead of
    fitting again (the fit is most of ``fm score``'s time and the inspections change far less often).

    >>> pairs = pd.DataFrame({"asset_id": [1], "start": [1], "end": [2], "years": [5.0], "dropped": [None],
    ...                       "category": ["bridge"]})
    >>> cats = pd.DataFrame({"code": ["bridge"], "condition_scale": ["soundness"], "useful_life_years": [60]})
    >>> fit_key(pairs, cats) == fit_key(pairs.copy(), cats), fit_key(pairs, cats) == fit_key(pairs, cats, seed=1)
    (True, False)
    """
    used = table[["category", "start", "end", "years", "dropped"]].astype({"dropped": "string"})
    used = used.sort_values(["category", "start", "end", "years", "dropped"], na_position="first", ignore_index=True)
    digest = hashlib.sha256(pd.util.hash_pandas_object(used, index=False).to_numpy().tobytes())
    described = categories[["code", "condition_scale", "useful_life_years"]].sort_values("code")
    digest.update(repr((described.to_numpy().tolist(), float(prior_shape), int(seed), FIT_VERSION)).encode())
    return digest.hexdigest()


MODEL_FIELDS = ("states", "theta", "lower", "upper", "mode", "default", "pairs", "dropped", "source", "ess")


def models_to_json(models: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """The models of :func:`fit` as plain JSON values at full precision (:func:`models_from_json` reads them)."""
    out = {}
    for row in models.itertuples():
        out[str(row.category)] = {
            name: (np.asarray(value, float).tolist() if isinstance(value, np.ndarray) else value)
            for name, value in ((name, getattr(row, name)) for name in MODEL_FIELDS)
        }
        out[str(row.category)].update(states=int(row.states), pairs=int(row.pairs), default=float(row.default))
        out[str(row.category)]["ess"] = float(row.ess)
    return out


def models_from_json(kept: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """The frame :func:`fit` returns, from :func:`models_to_json`."""
    rows = []
    for category, model in kept.items():
        arrays = {name: np.asarray(model[name], float) for name in ("theta", "lower", "upper", "mode")}
        rows.append(
            {
                "category": category,
                **{name: model[name] for name in MODEL_FIELDS if name not in arrays},
                **arrays,
                "dropped": dict(model["dropped"]),
                "expected_years": 1.0 / arrays["theta"],
            }
        )
    return pd.DataFrame(rows).set_index("category", drop=False)


def fit(
    states: pd.DataFrame,
    work: pd.DataFrame,
    categories: pd.DataFrame,
    *,
    prior_shape: float = 1.0,
    seed: int = 0,
    table: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per category: ``states`` (J), ``theta`` (posterior mean), ``lower`` / ``upper`` (95 %
    credible interval), ``mode``, ``default`` (θ₀), ``pairs`` used, ``dropped`` ({reason: count}),
    ``source``, ``expected_years`` (1 / θ) and ``ess`` (effective sample size of the posterior).

    ``work`` is the completed work that changes condition (``asset_id``, ``completed_on``, ``kind``,
    optionally ``state_after``): see :func:`fm.domain.risk.markov.pair_table`. ``table`` is
    :func:`pair_frame` of the same, when the caller has it already.
    """
    if table is None:
        table = pair_frame(states, work, categories)
    rows = []
    for category in categories.itertuples():
        n_states = STATES[category.condition_scale]
        every = table[table["category"] == category.code]
        sample = every[every["dropped"].isna()]
        dropped = {str(k): int(v) for k, v in every["dropped"].value_counts().sort_index().items()}
        default = (n_states - 1) / category.useful_life_years
        post = markov.posterior(
            sample["start"].to_numpy(),
            sample["end"].to_numpy(),
            sample["years"].to_numpy(),
            n_states,
            np.full(n_states - 1, default),
            prior_shape=prior_shape,
            seed=seed,
        )
        theta = np.asarray(post["mean"])
        rows.append(
            {
                "category": category.code,
                "states": n_states,
                "theta": theta,
                "lower": np.asarray(post["lower"]),
                "upper": np.asarray(post["upper"]),
                "mode": np.asarray(post["mode"]),
                "default": default,
                "pairs": len(sample),
                "dropped": dropped,
                "source": (
                    f"Bayesian update of the useful-life prior (θ₀ = {default:.4g}/year from "
                    f"{category.useful_life_years} years, weight {prior_shape:g}) with {len(sample)} inspection pairs"
                ),
                "expected_years": 1.0 / theta,
                "ess": float(post["ess"]),
            }
        )
    return pd.DataFrame(rows).set_index("category", drop=False)


def _checked_state_after(work: pd.DataFrame, states: pd.DataFrame, categories: pd.DataFrame) -> pd.DataFrame:
    """``work`` with a ``state_after`` outside its asset category's states (1..J) taken as not recorded: the
    database checks 1–5 only, so a score of 5 written on a bridge (J = 4) drops its pair instead of splitting it."""
    if work is None or "state_after" not in work or not len(work):
        return work
    scale = (
        states.drop_duplicates("asset_id")
        .set_index("asset_id")["category"]
        .map(categories.set_index("code")["condition_scale"].map(STATES))
    )
    after = pd.to_numeric(work["state_after"], errors="coerce")
    most = work["asset_id"].map(scale)
    return work.assign(state_after=after.where((after >= 1) & (after <= most)))


def age_profile(
    states: pd.DataFrame, assets: pd.DataFrame, models: pd.DataFrame, *, bin_years: int = 5
) -> pd.DataFrame:
    """The model against the data, per category and age band: the observed share of inspections in each
    state, and the model's share for an asset starting in state 1 when new, at the band's middle.

    ``states`` is :func:`inspection_states`; ``assets`` has ``id``, ``acquisition_date`` and ``year_built``.
    One row per (category, band) with inspections: ``category, age_from, age_to, inspections, observed,
    model`` (the last two lists of J shares).
    """
    acquired = pd.to_datetime(assets["acquisition_date"]).fillna(
        pd.to_datetime(assets["year_built"].astype("Int64").astype(str) + "-04-01", errors="coerce")
    )
    born = pd.Series(acquired.to_numpy(), index=assets["id"].to_numpy())
    frame = states[["asset_id", "category", "inspected_on", "state"]].copy()
    frame["age"] = (pd.to_datetime(frame["inspected_on"]) - frame["asset_id"].map(born)).dt.days / 365.25
    frame = frame[frame["age"] >= 0].dropna(subset=["age"])
    frame["band"] = (frame["age"] // bin_years).astype(int)
    rows = []
    for (category, band), group in frame.groupby(["category", "band"], sort=True):
        if category not in models.index:
            continue
        n_states = int(models.at[category, "states"])
        counts = np.bincount(group["state"].astype(int).to_numpy() - 1, minlength=n_states)[:n_states]
        middle = (band + 0.5) * bin_years
        rows.append(
            {
                "category": category,
                "age_from": int(band * bin_years),
                "age_to": int((band + 1) * bin_years),
                "inspections": int(counts.sum()),
                "observed": (counts / max(counts.sum(), 1)).round(4).tolist(),
                "model": np.round(markov.transition(models.at[category, "theta"], middle)[0], 4).tolist(),
            }
        )
    return pd.DataFrame(rows, columns=["category", "age_from", "age_to", "inspections", "observed", "model"])
