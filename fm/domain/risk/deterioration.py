"""Per-category deterioration models: hazards estimated from inspection pairs, or documented defaults.

A category's states are soundness classes Ⅰ–Ⅳ (J = 4) or condition scores 1–5 (J = 5),
by its ``condition_scale``. With at least ``min_pairs`` usable inspection pairs the
hazards are the maximum-likelihood estimate of :mod:`fm.domain.risk.markov`; otherwise the
default spreads the category's useful life evenly over the J − 1 states before the
worst, θ = (J − 1) / life: an asset reaches the worst state at the end of its useful
life on average (an fm assumption, stated with every model). Within an estimated
model, a state that fewer than ``MIN_STATE_PAIRS`` pairs start from, or that no pair was
seen to leave, keeps that default hazard too (the likelihood cannot place it: its
maximum would be at zero or anywhere), and the source says which.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fm.domain.risk import markov

STATES = {"soundness": 4, "score": 5}
MIN_STATE_PAIRS = 5


def inspection_states(inspections: pd.DataFrame, assets: pd.DataFrame, categories: pd.DataFrame) -> pd.DataFrame:
    """Inspections with ``category`` and ``state``: soundness or score, whichever the category uses."""
    scale = assets["category"].map(categories.set_index("code")["condition_scale"])
    frame = inspections.merge(
        pd.DataFrame({"asset_id": assets["id"], "category": assets["category"], "scale": scale}), on="asset_id"
    )
    frame["state"] = np.where(frame["scale"] == "soundness", frame["soundness"], frame["condition_score"])
    frame["state"] = pd.to_numeric(frame["state"], errors="coerce")
    return frame.dropna(subset=["state"])


def fit(states: pd.DataFrame, repairs: pd.DataFrame, categories: pd.DataFrame, *, min_pairs: int) -> pd.DataFrame:
    """One row per category: ``states`` (J), ``theta``, ``pairs``, ``source``, ``expected_years``."""
    usable = markov.pairs(states[["asset_id", "inspected_on", "state"]], repairs)
    usable = usable.merge(states[["asset_id", "category"]].drop_duplicates("asset_id"), on="asset_id")
    rows = []
    for category in categories.itertuples():
        n_states = STATES[category.condition_scale]
        sample = usable[usable["category"] == category.code]
        default = (n_states - 1) / category.useful_life_years
        if len(sample) >= min_pairs:
            starts = sample["start"].value_counts()
            leaves = sample.loc[sample["end"] > sample["start"], "start"].value_counts()
            thin = {
                state: default
                for state in range(1, n_states)
                if starts.get(state, 0) < MIN_STATE_PAIRS or leaves.get(state, 0) == 0
            }
            theta = markov.estimate(
                sample["start"].to_numpy(), sample["end"].to_numpy(), sample["years"].to_numpy(), n_states, fixed=thin
            )
            source = f"estimated from {len(sample)} inspection pairs (Markov hazard model, maximum likelihood)"
            if thin:
                source += (
                    f"; default for state(s) {', '.join(map(str, thin))} (fewer than {MIN_STATE_PAIRS} "
                    "pairs, or none seen to leave)"
                )
        else:
            theta = np.full(n_states - 1, default)
            source = (
                f"default: too few inspection pairs ({len(sample)} < {min_pairs}); the useful life of "
                f"{category.useful_life_years} years spread evenly over the states"
            )
        rows.append(
            {
                "category": category.code,
                "states": n_states,
                "theta": theta,
                "pairs": len(sample),
                "source": source,
                "expected_years": 1.0 / theta,
            }
        )
    return pd.DataFrame(rows).set_index("category", drop=False)
