"""Use cases: load records through fm.io, call the domain functions, return plain data.

The web views, the JSON API and the CLI call these and nothing deeper, so the three
always give the same answer.
"""

from __future__ import annotations

import functools
import json
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from fm.demo import load as demo_load
from fm.demo.dataset import demo_folder
from fm.errors import FmError, ValidationError
from fm.io import risk as risk_store
from fm.io import store
from fm.kpi import INDICATORS, KpiData, available_years, measure, summary
from fm.model import IndicatorTarget
from fm.renewal import projection as renewal
from fm.renewal.costs import SCENARIOS
from fm.risk import deterioration, markov
from fm.risk.config import RISK_CLASSES, RiskConfig
from fm.risk.explain import reasons
from fm.risk.inspections import due_inspections
from fm.risk.score import NETWORK_CATEGORIES, score_risk
from fm.serialize import records
from fm.stats import asset_counts

SCORE_KEYS = ("probability", "consequence", "score", "risk_class")


def asset_stats(session: Session) -> dict[str, Any]:
    """Counts of held assets by category, district, group and status (see :func:`fm.stats.asset_counts`)."""
    assets = store.read_assets(session, columns=("category", "district_id", "status"))
    return asset_counts(assets, store.read_categories(session), store.read_districts(session))


def load_demo(session: Session, *, reset: bool = False, folder: Path | None = None) -> dict[str, int]:
    """Load the Kamakura demo register (see :func:`fm.demo.load.load`); empty dict when already loaded."""
    return demo_load.load(session, folder or demo_folder(), reset=reset)


def kpi_data(session: Session) -> KpiData:
    """The records the indicators read."""
    read = functools.partial(store.read_table, session)
    return KpiData(assets=read("assets"), categories=read("asset_categories"), plans=read("individual_plans"),
                   plan_assets=read("plan_assets"), budget_items=read("plan_budget_items"),
                   parcels=read("land_parcels"), parcel_uses=read("parcel_uses"), work_orders=read("work_orders"))


def kpi_report(session: Session, *, fiscal_year: int | None = None, convention: str = "fiscal-year") -> dict[str, Any]:
    """Every indicator for ``fiscal_year`` (default: every year with data), with targets and trend."""
    data = kpi_data(session)
    years = available_years(data) if fiscal_year is None else [fiscal_year]
    rows = summary(data, store.read_table(session, "indicator_targets"), years=years, convention=convention)
    return {"fiscal_years": years, "indicators": rows}


def kpi_records(session: Session, indicator: str, *, fiscal_year: int,
                convention: str = "fiscal-year") -> pd.DataFrame:
    """The records ``indicator`` counted in ``fiscal_year``: the drill-down behind a figure."""
    if indicator not in INDICATORS:
        raise ValidationError(f"unknown indicator {indicator!r}; choose from {', '.join(INDICATORS)}")
    options = {"convention": convention} if indicator == "aging_ratio" else {}
    return measure(indicator, kpi_data(session), fiscal_year=fiscal_year, **options).records


def targets(session: Session) -> pd.DataFrame:
    """The indicator targets, as stored."""
    return store.read_table(session, "indicator_targets")


def set_target(session: Session, indicator: str, *, fiscal_year: int, value: float | None,
               source: str | None = None) -> None:
    """Set (or with ``value=None`` remove) the target of ``indicator`` for ``fiscal_year``."""
    if indicator not in INDICATORS:
        raise ValidationError(f"unknown indicator {indicator!r}; choose from {', '.join(INDICATORS)}")
    if value is not None and value < 0:
        raise ValidationError(f"target of {indicator} for FY{fiscal_year}: {value} is negative")
    session.execute(sa.delete(IndicatorTarget).where(IndicatorTarget.indicator == indicator,
                                                     IndicatorTarget.target_year == fiscal_year))
    if value is not None:
        session.add(IndicatorTarget(indicator=indicator, target_year=fiscal_year, target_value=value,
                                    source=source))


def _risk_inputs(session: Session) -> dict[str, Any]:
    """Frames the risk engine reads; geometry only for the assets a spatial join needs."""
    columns = ("id", "code", "name", "category", "district_id", "year_built", "acquisition_date",
               "useful_life_years", "annual_users", "replacement_cost", "is_evacuation_shelter",
               "on_emergency_road", "status", "disposed_on")
    assets = store.read_assets(session, columns=columns)
    assets = assets[assets["status"] != "disposed"].reset_index(drop=True)
    geoms = store.read_assets(session, columns=("id", "geom"), categories=NETWORK_CATEGORIES)
    assets["geom"] = assets["id"].map(geoms.set_index("id")["geom"]) if len(geoms) else None
    categories = store.read_categories(session)
    inspections = store.read_table(session, "inspections", ("asset_id", "inspected_on", "soundness", "condition_score"))
    work = store.read_table(session, "work_orders", ("asset_id", "kind", "status", "completed_on"))
    repairs = work[(work["status"] == "completed") & work["kind"].isin(["preventive", "renewal"])]
    return {"assets": assets, "categories": categories, "inspections": inspections, "repairs": repairs,
            "districts": store.read_districts(session), "network": store.read_table(session, "network_lines")}


def compute_risk(session: Session, *, config: RiskConfig, as_of: date) -> dict[str, Any]:
    """Score every asset held, store the run (with its configuration and models), return a summary."""
    inputs = _risk_inputs(session)
    states = deterioration.inspection_states(inputs["inspections"], inputs["assets"], inputs["categories"])
    models = deterioration.fit(states, inputs["repairs"], inputs["categories"], min_pairs=config.min_pairs)
    scores = score_risk(inputs["assets"], states, models, inputs["categories"], inputs["districts"],
                        inputs["network"], config=config, as_of=as_of)
    run_id = risk_store.write_run(session, scores, computed_on=as_of, config=config.as_dict(),
                                  model=_models_json(models))
    return {"run_id": run_id, "computed_on": as_of, "assets": len(scores),
            "by_class": {c: int((scores["risk_class"] == c).sum()) for c in RISK_CLASSES}}


def _models_json(models: pd.DataFrame) -> dict[str, Any]:
    return {row.category: {"states": int(row.states), "theta": [round(float(t), 6) for t in row.theta],
                           "expected_years": [round(float(y), 2) for y in row.expected_years],
                           "transition_1y": np.round(markov.transition(row.theta, 1.0), 4).tolist(),
                           "pairs": int(row.pairs), "source": row.source} for row in models.itertuples()}


def risk_ranking(session: Session, *, top: int | None = None, lang: str = "ja") -> dict[str, Any]:
    """The latest run's scores, worst first (``top`` of them), each with its main reasons."""
    run, scores = risk_store.read_latest(session)
    if run is None:
        raise FmError("no risk scores yet: run `fm score` first")
    if top is not None:
        scores = scores.head(top)
    scales = store.read_categories(session).set_index("code")["condition_scale"]
    rows = []
    for record in records(scores):
        components = {key: record[key] for key in risk_store.FROM_SCORES if key not in SCORE_KEYS}
        rows.append({"code": record["code"], "name": record["name"], "category": record["category"],
                     "probability": round(record["probability"], 4),
                     "consequence": round(record["consequence"], 4), "score": round(record["score"], 4),
                     "risk_class": record["risk_class"],
                     "reasons": reasons(components, scale=scales.get(record["category"], "score"),
                                        users=record["annual_users"], lang=lang),
                     "components": components})
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
    """Per category: the deterioration hazards, expected years in each state, and where they come from."""
    inputs = _risk_inputs(session)
    states = deterioration.inspection_states(inputs["inspections"], inputs["assets"], inputs["categories"])
    models = deterioration.fit(states, inputs["repairs"], inputs["categories"], min_pairs=config.min_pairs)
    return [{"category": category, **model} for category, model in _models_json(models).items()]


def inspections_due(session: Session, *, fiscal_year: int, config: RiskConfig) -> pd.DataFrame:
    """Inspections overdue or due in ``fiscal_year``, worst latest risk first."""
    assets = store.read_assets(session, columns=("id", "code", "name", "category", "district_id", "status",
                                                 "disposed_on"))
    due = due_inspections(assets, store.read_table(session, "inspections"), fiscal_year=fiscal_year,
                          config=config)
    run, scores = risk_store.read_latest(session)
    due["risk_score"] = due["id"].map(scores.set_index("id")["score"]) if run is not None else None
    due["risk_class"] = due["id"].map(scores.set_index("id")["risk_class"]) if run is not None else None
    order = {"never_inspected": 0, "overdue": 0, "due": 1}
    return (due.assign(_order=due["status"].map(order))
            .sort_values(["_order", "risk_score", "due_on"], ascending=[True, False, True], na_position="last")
            .drop(columns="_order").reset_index(drop=True))


def renewal_projection(session: Session, *, start: int, years: int = 40,
                       unit_costs: dict[str, Any]) -> dict[str, Any]:
    """Both scenarios of the renewal-cost projection, their totals and the saving of life extension."""
    assets = store.read_assets(session, columns=renewal.COLUMNS)
    scenarios = {}
    for scenario in SCENARIOS:
        table, outside = renewal.project_renewal(assets, unit_costs, scenario=scenario, start=start, years=years)
        total = int(table["total"].sum())
        scenarios[scenario] = {"rows": records(table), "total": total, "annual_average": round(total / years),
                               "by_group": {g: int(table[g].sum()) for g in renewal.GROUPS}}
    saving = scenarios["simple"]["total"] - scenarios["extended"]["total"]
    return {"start": start, "years": years, "scenarios": scenarios,
            "difference": {"total": saving, "annual_average": round(saving / years)}, "not_projected": outside}
