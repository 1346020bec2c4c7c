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


def fit(
    states: pd.DataFrame, work: pd.DataFrame, categories: pd.DataFrame, *, prior_shape: float = 1.0, seed: int = 0
) -> pd.DataFrame:
    """One row per category: ``states`` (J), ``theta`` (posterior mean), ``lower`` / ``upper`` (95 %
    credible interval), ``mode``, ``default`` (θ₀), ``pairs`` used, ``dropped`` ({reason: count}),
    ``source``, ``expected_years`` (1 / θ) and ``ess`` (effective sample size of the posterior).

    ``work`` is the completed work that changes condition (``asset_id``, ``completed_on``, ``kind``,
    optionally ``state_after``): see :func:`fm.domain.risk.markov.pair_table`.
    """
    table = markov.pair_table(
        states[["asset_id", "inspected_on", "state"]], _checked_state_after(work, states, categories)
    )
    table = table.merge(states[["asset_id", "category"]].drop_duplicates("asset_id"), on="asset_id")
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
