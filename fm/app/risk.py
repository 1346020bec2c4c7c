"""Use cases of the risk engine: `fm score`, `fm inspections`, `/api/risk…`, `/api/inspections/due`."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from fm import progress
from fm.accounts import audit
from fm.db import changes
from fm.domain.risk import deterioration, markov
from fm.domain.risk.config import RISK_CLASSES, RiskConfig
from fm.domain.risk.config import load_config as load_config
from fm.domain.risk.explain import reasons
from fm.domain.risk.inspections import due_inspections
from fm.domain.risk.score import NETWORK_CATEGORIES, score_risk
from fm.errors import FmError, ValidationError
from fm.io import risk as risk_store
from fm.io import store
from fm.serialize import records

SCORE_KEYS = ("probability", "consequence", "score", "risk_class")
ROMAN = {1: "Ⅰ", 2: "Ⅱ", 3: "Ⅲ", 4: "Ⅳ"}


def state_label(state: int, n_states: int) -> str:
    """A condition state as engineers write it: soundness Ⅰ–Ⅳ (4 states) or a score 1–5."""
    return ROMAN[state] if n_states == 4 else str(state)


def risk_inputs(session: Session, *, as_of: date | None = None, config: RiskConfig | None = None) -> dict[str, Any]:
    """Frames the risk engine reads (inspections and repairs up to ``as_of``); geometry only where a
    spatial join needs it. ``repairs`` are the completed work orders of the kinds that change condition
    (``restoring_work`` of the risk configuration), with the condition after the work where recorded
    (``state_after``): the deterioration fit splits an inspection pair there instead of dropping it."""
    assets = store.read_assets(session, columns=risk_store.SCORE_ASSET_COLUMNS)
    assets = assets[assets["status"] != "disposed"].reset_index(drop=True)
    geoms = store.read_assets(session, columns=("id", "geom"), categories=NETWORK_CATEGORIES)
    assets["geom"] = assets["id"].map(geoms.set_index("id")["geom"]) if len(geoms) else None
    categories = store.read_categories(session)
    inspections = store.read_table(session, "inspections", ("asset_id", "inspected_on", "soundness", "condition_score"))
    work = store.read_table(session, "work_orders", ("asset_id", "kind", "status", "completed_on", "state_after"))
    repairs = _restoring(work, config or load_config(), as_of)
    if as_of is not None:
        inspections = inspections[pd.to_datetime(inspections["inspected_on"]) <= pd.Timestamp(as_of)]
    return {
        "assets": assets,
        "categories": categories,
        "inspections": inspections,
        "repairs": repairs,
        "districts": store.read_table(session, "districts"),
        "network": store.read_table(session, "network_lines"),
    }


def fitted_models(
    session: Session, states: pd.DataFrame, inputs: dict[str, Any], config: RiskConfig
) -> tuple[pd.DataFrame, str, bool]:
    """The deterioration models of these inputs: ``(models, fit key, reused)``. Reused from one of the latest
    runs when its fit key is the same (the same pairs, categories and prior: the same models, since the fit
    is deterministic), fitted otherwise."""
    table = deterioration.pair_frame(states, inputs["repairs"], inputs["categories"])
    key = deterioration.fit_key(table, inputs["categories"], prior_shape=config.prior_shape)
    kept = risk_store.kept_fit(session, key)
    if kept is not None and set(kept) == set(inputs["categories"]["code"]):
        return deterioration.models_from_json(kept), key, True
    models = deterioration.fit(
        states, inputs["repairs"], inputs["categories"], prior_shape=config.prior_shape, table=table
    )
    return models, key, False


FIT_SOURCES = ("asset_categories", "assets", "inspections", "work_orders")
"""The tables the deterioration fit reads (its pairs, the assets' categories, the categories' scales and lives)."""


def source_key(session: Session, *, counts: tuple[int, int, int, int], config: RiskConfig) -> str:
    """A fingerprint of the fit's sources, read without reading them: the change counters of
    :data:`FIT_SOURCES` (:mod:`fm.db.changes`: any write by anyone moves them), how many inspections and work
    orders are dated on or before the day scored with the highest id of each (``counts``: read with the register,
    :func:`fm.io.risk.read_score_inputs`; equal tables and equal counts: the same rows up to that day, whatever
    day it is), what the configuration gives the fit and
    ``FIT_VERSION``. Equal source keys, equal fit keys (:func:`fm.domain.risk.deterioration.fit_key`): a run
    whose source key is kept reuses its models without reading a single inspection pair."""
    described = (
        changes.version(session, FIT_SOURCES),
        counts,
        sorted(config.restoring_work),
        float(config.prior_shape),
        deterioration.FIT_VERSION,
    )
    return hashlib.sha256(repr(described).encode()).hexdigest()


def score_inputs(session: Session, *, as_of: date, config: RiskConfig) -> dict[str, Any]:
    """What scoring reads, reduced by the database (:func:`fm.io.risk.read_score_inputs`): the held assets
    (what scoring needs of them: no code, name or status),
    each one's latest inspection (as :func:`fm.domain.risk.deterioration.inspection_states` rows: one per
    inspected asset) and latest restoring work (as ``repairs`` rows: one per repaired asset), so that the
    scores are those of :func:`risk_inputs`' every inspection and work order, from one row per asset."""
    frame, counts, geoms = risk_store.read_score_inputs(
        session, as_of=as_of, restoring=config.restoring_work, network=NETWORK_CATEGORIES
    )
    assets = frame[list(risk_store.SCORED_ASSET_COLUMNS)].copy()
    assets["geom"] = assets["id"].map(geoms.set_index("id")["geom"]) if len(geoms) else None
    latest = {"asset_id": "id", "inspected_on": "inspected_on", "state": "state", "category": "category"}
    states = _rows(frame, frame["state"].notna().to_numpy(), latest)
    done = {"asset_id": "id", "kind": "repair_kind", "completed_on": "repair_completed_on"}
    repairs = _rows(
        frame, frame["repair_completed_on"].notna().to_numpy(), done | {"state_after": "repair_state_after"}
    )
    return {
        "assets": assets,
        "states": states,
        "repairs": repairs,
        "categories": store.read_categories(session),
        "districts": store.read_table(session, "districts"),
        "network": store.read_table(session, "network_lines"),
        "history_counts": counts,
    }


def _rows(frame: pd.DataFrame, present: np.ndarray, columns: dict[str, str]) -> pd.DataFrame:
    """The ``present`` rows of ``frame``'s columns, renamed (new name: column); each column's own array cut, so
    that a text column stays pandas' text array, not made Python objects and inferred again (half the time)."""
    return pd.DataFrame({name: frame[column].array[present] for name, column in columns.items()})


def scoring_models(
    session: Session, inputs: dict[str, Any], *, as_of: date, config: RiskConfig
) -> tuple[pd.DataFrame, dict[str, Any], bool]:
    """The deterioration models for scoring on ``as_of``: ``(models, model, reused)``, ``model`` being what the
    run stores of them (:func:`_run_model`). Reused without reading any history when a kept run has this source
    key (:func:`source_key`), its stored ``model`` then taken as it is: it is what :func:`_run_model` makes of the
    models read back from it (the same keys, and the same figures of the same hazards; a test checks it); else
    every inspection and restoring work order up to ``as_of`` is read, and the models are reused when a kept run
    has the same fit key (:func:`fitted_models`), fitted otherwise."""
    source = source_key(session, counts=inputs["history_counts"], config=config)
    kept = risk_store.kept_fit(session, source, by="source", whole=True)
    codes = set(inputs["categories"]["code"])
    if kept is not None and set(kept["_fit"]["models"]) == codes:
        return deterioration.models_from_json(kept["_fit"]["models"]), kept, True
    inspections = store.read_table(session, "inspections", ("asset_id", "inspected_on", "soundness", "condition_score"))
    work = store.read_table(session, "work_orders", ("asset_id", "kind", "status", "completed_on", "state_after"))
    history = {
        "categories": inputs["categories"],
        "inspections": inspections[pd.to_datetime(inspections["inspected_on"]) <= pd.Timestamp(as_of)],
        "repairs": _restoring(work, config, as_of),
    }
    states = deterioration.inspection_states(history["inspections"], inputs["assets"], inputs["categories"])
    models, key, reused = fitted_models(session, states, history, config)
    return models, _run_model(models, key=key, source=source), reused


def _run_model(models: pd.DataFrame, *, key: str, source: str) -> dict[str, Any]:
    """What a run stores of its deterioration models: each category's figures (:func:`_models_json`), and under
    ``_fit`` the fit key, the source key and the models at full precision, for later runs to reuse."""
    return {
        **_models_json(models),
        "_fit": {"key": key, "source": source, "models": deterioration.models_to_json(models)},
    }


def _restoring(work: pd.DataFrame, config: RiskConfig, as_of: date | None) -> pd.DataFrame:
    """The completed work orders of the kinds that change condition, up to ``as_of`` when given."""
    repairs = work[(work["status"] == "completed") & work["kind"].isin(config.restoring_work)]
    if as_of is not None:
        repairs = repairs[pd.to_datetime(repairs["completed_on"]) <= pd.Timestamp(as_of)]
    return repairs


def compute_risk(session: Session, *, config: RiskConfig, as_of: date, actor: str) -> dict[str, Any]:
    """Score every asset held, store the run (with its configuration and models; audited), return a summary.

    What scoring needs of each asset's history (its latest inspection and restoring work) is computed by the
    database (:func:`score_inputs`); the deterioration models are reused from an earlier run when nothing they
    depend on changed (:func:`scoring_models`); ``models`` in the summary says ``reused`` or ``fitted``."""
    progress.report("reading the register", 0, 4)
    inputs = score_inputs(session, as_of=as_of, config=config)
    progress.report("fitting the deterioration models", 1, 4)
    models, model, reused = scoring_models(session, inputs, as_of=as_of, config=config)
    progress.report("scoring and writing the scores", 2, 4)
    classes: Counter[str] = Counter()

    def counted(parts: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        """The parts on their way to the write, their classes counted for the summary (no part is kept after the
        write has taken it)."""
        for part in parts:
            classes.update(part["risk_class"].astype(object).value_counts().to_dict())
            yield part

    run_id = risk_store.write_run(
        session,
        counted(scored_parts(inputs, models, config=config, as_of=as_of)),
        computed_on=as_of,
        config=config.as_dict(),
        model=model,
    )
    progress.report("storing the run", 3, 4)
    audit.record(
        session,
        actor=actor,
        source="cli",
        action="run",
        table="risk_runs",
        record_id=run_id,
        code=as_of.isoformat(),
        changes={"assets": [None, len(inputs["assets"])]},
    )
    return {
        "run_id": run_id,
        "computed_on": as_of,
        "assets": len(inputs["assets"]),
        "by_class": {c: classes[c] for c in RISK_CLASSES},
        "models": "reused" if reused else "fitted",
    }


SCORED_PART = 250_000
"""How many assets are scored at a time: the write takes one part while the next is scored."""


def scored_parts(
    inputs: dict[str, Any], models: pd.DataFrame, *, config: RiskConfig, as_of: date
) -> Iterator[pd.DataFrame]:
    """:func:`score_risk` of :data:`SCORED_PART` assets at a time, with the latest
    inspections and repairs of the assets whose ids are in the part's range. An asset's score depends on its own
    rows and on what every part shares (models, categories, districts, network): the parts' scores are the whole's
    (a test checks it), and the write sends one part while the next is scored."""
    assets, states, repairs = inputs["assets"], inputs["states"], inputs["repairs"]
    for start in range(0, max(len(assets), 1), SCORED_PART):  # no assets: one empty part
        part = assets.iloc[start : start + SCORED_PART]
        low, high = part["id"].min(), part["id"].max()
        scores = score_risk(
            part,
            states[states["asset_id"].between(low, high)],
            models,
            inputs["categories"],
            inputs["districts"],
            inputs["network"],
            config=config,
            as_of=as_of,
            repairs=repairs[repairs["asset_id"].between(low, high)],
        )
        yield scores


def _models_json(models: pd.DataFrame) -> dict[str, Any]:
    """Each category's figures as a run stores them and ``/risk/models`` shows them (rounded, with the one-year
    transition matrix). A run reusing a kept run's models by their source key stores the kept run's figures as
    they are (:func:`scoring_models`): a change to what this writes needs a new
    :data:`fm.domain.risk.deterioration.FIT_VERSION`, or runs reusing older models keep the older figures."""

    def rates(values: np.ndarray) -> list[float]:
        return [float(f"{float(v):.4g}") for v in values]

    return {
        row.category: {
            "states": int(row.states),
            "theta": rates(row.theta),
            "theta_lower": rates(row.lower),
            "theta_upper": rates(row.upper),
            "theta_default": float(f"{row.default:.4g}"),
            "expected_years": [round(float(y), 2) for y in row.expected_years],
            "years_to_worst": round(float(np.sum(row.expected_years)), 2),
            "transition_1y": np.round(markov.transition(row.theta, 1.0), 4).tolist(),
            "pairs": int(row.pairs),
            "dropped": dict(row.dropped),
            "effective_samples": round(float(row.ess)),
            "source": row.source,
        }
        for row in models.itertuples()
    }


def risk_ranking(session: Session, *, top: int | None = None, lang: str = "ja") -> dict[str, Any]:
    """The latest run's scores, worst first (``top`` of them), each with its main reasons."""
    run, scores = risk_store.read_latest(session, limit=top)
    if run is None:
        raise FmError("no risk scores yet: run `fm score` first")
    scales = store.read_categories(session).set_index("code")["condition_scale"]
    rows = []
    for record in records(scores):
        components = {key: record[key] for key in risk_store.FROM_SCORES if key not in SCORE_KEYS}
        rows.append(
            {
                "code": record["code"],
                "name": record["name"],
                "category": record["category"],
                "probability": round(record["probability"], 4),
                "consequence": round(record["consequence"], 4),
                "score": round(record["score"], 4),
                "risk_class": record["risk_class"],
                "reasons": reasons(
                    components, scale=scales.get(record["category"], "score"), users=record["annual_users"], lang=lang
                ),
                "components": components,
            }
        )
    return {"computed_on": run.computed_on, "computed_at": run.computed_at, "assets": len(rows), "scores": rows}


def risk_explanation(session: Session, code: str, *, lang: str = "ja") -> dict[str, Any]:
    """One asset's latest score with its components and reasons."""
    ranking = risk_ranking(session, lang=lang)
    found = next((row for row in ranking["scores"] if row["code"] == code), None)
    if found is None:
        raise ValidationError(f"no risk score for asset {code!r}: unknown code, disposed, or not scored yet")
    position = ranking["scores"].index(found) + 1
    return {**found, "rank": position, "of": ranking["assets"], "computed_on": ranking["computed_on"]}


def risk_models(session: Session, *, config: RiskConfig) -> list[dict[str, Any]]:
    """Per category: the pairs used and dropped (by reason), the hazards (posterior mean) with their 95 %
    credible intervals beside the useful-life default, the expected years in each state, and the
    deterioration curve against the observed share of inspections in each state by age (``by_age``)."""
    inputs = risk_inputs(session, config=config)
    states = deterioration.inspection_states(inputs["inspections"], inputs["assets"], inputs["categories"])
    models, _, _ = fitted_models(session, states, inputs, config)
    profile = deterioration.age_profile(states, inputs["assets"], models)
    names = inputs["categories"].set_index("code")
    return [
        {
            "category": category,
            "name": names.at[category, "name"],
            "name_en": names.at[category, "name_en"],
            **model,
            "by_age": [
                {k: row[k] for k in ("age_from", "age_to", "inspections", "observed", "model")}
                for row in profile[profile["category"] == category].to_dict("records")
            ],
        }
        for category, model in _models_json(models).items()
    ]


def inspections_due(session: Session, *, fiscal_year: int, config: RiskConfig) -> pd.DataFrame:
    """Inspections overdue or due in ``fiscal_year``, worst latest risk first."""
    assets = store.read_assets(
        session, columns=("id", "code", "name", "category", "district_id", "status", "disposed_on")
    )
    due = due_inspections(assets, store.read_table(session, "inspections"), fiscal_year=fiscal_year, config=config)
    run, scores = risk_store.read_latest(session)
    due["risk_score"] = due["id"].map(scores.set_index("id")["score"]) if run is not None else None
    due["risk_class"] = due["id"].map(scores.set_index("id")["risk_class"]) if run is not None else None
    order = {"never_inspected": 0, "overdue": 0, "due": 1}
    return (
        due.assign(_order=due["status"].map(order))
        .sort_values(["_order", "risk_score", "due_on"], ascending=[True, False, True], na_position="last")
        .drop(columns="_order")
        .reset_index(drop=True)
    )
