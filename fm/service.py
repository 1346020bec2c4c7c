"""Use cases: load records through fm.io, call the domain functions, return plain data.

The web views, the JSON API and the CLI call these and nothing deeper, so the three
always give the same answer.
"""

from __future__ import annotations

import functools
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from fm import audit, users
from fm.demo import load as demo_load
from fm.demo.dataset import demo_folder
from fm.errors import FmError, ValidationError
from fm.io import exporter, importer
from fm.io import risk as risk_store
from fm.io import store
from fm.kpi import INDICATORS, KpiData, available_years, measure, summary
from fm.fiscal import fiscal_year_start
from fm.model import Asset, IndicatorTarget, User, WorkOrder
from fm.plan import benefit as plan_benefit
from fm.plan import lcc as plan_lcc
from fm.plan import optimise as plan_optimise
from fm.plan import options as plan_options
from fm.renewal import projection as renewal
from fm.renewal.costs import SCENARIOS
from fm.risk import deterioration, markov
from fm.risk.config import RISK_CLASSES, RiskConfig
from fm.risk.explain import reasons
from fm.risk.inspections import due_inspections
from fm.risk import score as risk_score
from fm.risk.score import NETWORK_CATEGORIES, score_risk
from fm.serialize import records
from fm.stats import asset_counts

SCORE_KEYS = ("probability", "consequence", "score", "risk_class")


def asset_stats(session: Session) -> dict[str, Any]:
    """Counts of held assets by category, district, group and status (see :func:`fm.stats.asset_counts`)."""
    assets = store.read_assets(session, columns=("category", "district_id", "status"))
    return asset_counts(assets, store.read_categories(session), store.read_table(session, "districts"))


def load_demo(session: Session, *, reset: bool = False, folder: Path | None = None) -> dict[str, int]:
    """Load the Kamakura demo register (see :func:`fm.demo.load.load`); empty dict when already loaded."""
    return demo_load.load(session, folder or demo_folder(), reset=reset)


def import_records(session: Session, kind: str, path: Path, **options: Any) -> dict[str, Any]:
    """Import a file of ``kind`` all or nothing (see :func:`fm.io.importer.import_file`): added, updated, unchanged."""
    return importer.import_file(session, kind, path, **options)


def export_records(session: Session, kind: str, path: Path, **options: Any) -> dict[str, Any]:
    """Write the records of ``kind`` to a file (see :func:`fm.io.exporter.export_file`)."""
    return exporter.export_file(session, kind, path, **options)


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
               source: str | None = None, actor: str, via: str = "cli") -> None:
    """Set (or with ``value=None`` remove) the target of ``indicator`` for ``fiscal_year``; audited."""
    if indicator not in INDICATORS:
        raise ValidationError(f"unknown indicator {indicator!r}; choose from {', '.join(INDICATORS)}")
    if value is not None and value < 0:
        raise ValidationError(f"target of {indicator} for FY{fiscal_year}: {value} is negative")
    old = session.scalar(sa.select(IndicatorTarget).where(IndicatorTarget.indicator == indicator,
                                                          IndicatorTarget.target_year == fiscal_year))
    before = {"target_value": old.target_value, "source": old.source} if old else {}
    if old is not None:
        session.delete(old)
        session.flush()
    if value is not None:
        session.add(IndicatorTarget(indicator=indicator, target_year=fiscal_year, target_value=value,
                                    source=source))
    after = {"target_value": value, "source": source} if value is not None else {k: None for k in before}
    audit.record(session, actor=actor, source=via, action="update" if old and value is not None else
                 "create" if value is not None else "delete", table="indicator_targets",
                 code=f"{indicator} FY{fiscal_year}", changes=audit.diff(before, after))


DEMO_ROLES = ("viewer", "engineer", "facility_manager", "finance", "admin")


def demo_accounts(session: Session, *, password: str | None = None, actor: str) -> list[dict[str, str]]:
    """One account per role (``demo-<role>``) where missing; each new one's password, generated unless given.

    The passwords are returned once, to be shown once: only their hashes are stored.
    """
    made = []
    for role in DEMO_ROLES:
        username = f"demo-{role.replace('_', '-')}"
        if session.scalar(sa.select(User.id).where(User.username == username)) is not None:
            continue
        secret = password or users.generate_password()
        users.create(session, username, role=role, password=secret, display_name=f"demo {role}", actor=actor,
                     source="cli")
        made.append({"username": username, "role": role, "password": secret})
    return made


def _risk_inputs(session: Session, *, as_of: date | None = None) -> dict[str, Any]:
    """Frames the risk engine reads (inspections and repairs up to ``as_of``); geometry only where a
    spatial join needs it."""
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
    if as_of is not None:
        inspections = inspections[pd.to_datetime(inspections["inspected_on"]) <= pd.Timestamp(as_of)]
        repairs = repairs[pd.to_datetime(repairs["completed_on"]) <= pd.Timestamp(as_of)]
    return {"assets": assets, "categories": categories, "inspections": inspections, "repairs": repairs,
            "districts": store.read_table(session, "districts"), "network": store.read_table(session, "network_lines")}


def compute_risk(session: Session, *, config: RiskConfig, as_of: date, actor: str) -> dict[str, Any]:
    """Score every asset held, store the run (with its configuration and models; audited), return a summary."""
    inputs = _risk_inputs(session, as_of=as_of)
    states = deterioration.inspection_states(inputs["inspections"], inputs["assets"], inputs["categories"])
    models = deterioration.fit(states, inputs["repairs"], inputs["categories"], min_pairs=config.min_pairs)
    scores = score_risk(inputs["assets"], states, models, inputs["categories"], inputs["districts"],
                        inputs["network"], config=config, as_of=as_of, repairs=inputs["repairs"])
    run_id = risk_store.write_run(session, scores, computed_on=as_of, config=config.as_dict(),
                                  model=_models_json(models))
    audit.record(session, actor=actor, source="cli", action="run", table="risk_runs", record_id=run_id,
                 code=as_of.isoformat(), changes={"assets": [None, len(scores)]})
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


AUTO_EXACT_LIMIT = 100_000  # candidates: HiGHS takes ~8 s at 42,000, ~26 s at 85,000, hits 120 s at 212,000


def _plan_inputs(session: Session, *, as_of: date, config: RiskConfig):
    inputs = _risk_inputs(session, as_of=as_of)
    states = deterioration.inspection_states(inputs["inspections"], inputs["assets"], inputs["categories"])
    models = deterioration.fit(states, inputs["repairs"], inputs["categories"], min_pairs=config.min_pairs)
    assets = inputs["assets"]
    assets = assets.join(risk_score.consequence(assets, inputs["districts"], inputs["network"], config)[
        ["consequence"]])
    _, distributions = risk_score.state_distributions(assets, states, models, as_of, inputs["repairs"])
    return assets, distributions, models


def maintenance_plan(session: Session, *, start: int, budgets: list[int], method: str = "auto",
                     settings: dict[str, Any], config: RiskConfig) -> dict[str, Any]:
    """The year-by-year plan that removes the most risk within each year's budget."""
    years = len(budgets)
    if years < 1:
        raise ValidationError("the horizon must be at least one fiscal year")
    if any(b < 0 for b in budgets):
        raise ValidationError(f"budgets must not be negative: {budgets}")
    if method not in ("auto", "exact", "greedy"):
        raise ValidationError(f"method must be auto, exact or greedy, got {method!r}")
    assets, distributions, models = _plan_inputs(session, as_of=fiscal_year_start(start), config=config)
    table, baseline = plan_benefit.candidates(assets, distributions, models, settings, years=years)
    budget = np.array(budgets, float)
    greedy = plan_optimise.solve_greedy(table, budget)
    used = "exact" if method == "exact" or (method == "auto" and len(table) <= AUTO_EXACT_LIMIT) else "greedy"
    chosen = plan_optimise.solve_exact(table, budget) if used == "exact" else greedy
    if used == "exact" and table.loc[greedy, "benefit"].sum() > table.loc[chosen, "benefit"].sum():
        chosen = greedy  # the solver stopped at its time limit short of the greedy plan
    exact_value = float(table.loc[chosen, "benefit"].sum()) if used == "exact" else None
    greedy_value = float(table.loc[greedy, "benefit"].sum())
    picked = table[chosen].sort_values(["year", "benefit"], ascending=[True, False])
    rows = [{"fiscal_year": start + int(c.year), "code": assets.at[c.asset, "code"],
             "name": assets.at[c.asset, "name"], "category": assets.at[c.asset, "category"],
             "intervention": c.action, "cost": int(c.cost), "risk_removed": round(float(c.benefit), 6)}
            for c in picked.itertuples()]
    without, with_plan = plan_benefit.risk_by_year(assets, distributions, models, settings, picked, years=years)
    per_year = []
    for y in range(years):
        spent = int(picked.loc[picked["year"] == y, "cost"].sum())
        per_year.append({"fiscal_year": start + y, "budget": int(budgets[y]), "spent": spent,
                         "used_percent": round(100 * spent / budgets[y], 1) if budgets[y] else None,
                         "interventions": int((picked["year"] == y).sum()),
                         "risk_without_plan": round(float(without[y]), 6),
                         "risk_with_plan": round(float(with_plan[y]), 6)})
    chosen_assets = set(picked["asset"])
    backlog = (table[~table["asset"].isin(chosen_assets)].sort_values("benefit", ascending=False)
               .drop_duplicates("asset"))
    return {
        "start": start, "years": years, "method": used, "candidates": len(table),
        "risk_without_plan": round(float(baseline.sum()), 6),
        "risk_removed": round(float(table.loc[chosen, "benefit"].sum()), 6),
        "greedy_risk_removed": round(greedy_value, 6),
        "greedy_gap_percent": (round(100 * (exact_value - greedy_value) / exact_value, 3)
                               if exact_value else None),
        "per_year": per_year, "plan": rows,
        "backlog": [{"code": assets.at[b.asset, "code"], "name": assets.at[b.asset, "name"],
                     "category": assets.at[b.asset, "category"], "best_intervention": b.action,
                     "cost": int(b.cost), "risk_removed": round(float(b.benefit), 6)}
                    for b in backlog.head(100).itertuples()],
        "backlog_assets": int(backlog["asset"].nunique()),
    }


def create_planned_work_orders(session: Session, plan: dict[str, Any], *, actor: str) -> int:
    """Write the plan's first-year interventions as planned work orders (audited); return how many were new."""
    first = [row for row in plan["plan"] if row["fiscal_year"] == plan["start"]]
    ids = dict(session.execute(sa.select(Asset.code, Asset.id).where(
        Asset.code.in_([row["code"] for row in first]))).all())
    codes = [f"PLAN-{row['fiscal_year']}-{row['code']}" for row in first]
    existing = set(session.scalars(sa.select(WorkOrder.code).where(WorkOrder.code.in_(codes))))
    new = [WorkOrder(code=code, asset_id=ids[row["code"]],
                     kind="preventive" if row["intervention"] == "preventive" else "renewal",
                     cause="planned", description=f"fm plan {row['fiscal_year']}: {row['intervention']}",
                     planned_on=fiscal_year_start(row["fiscal_year"]), planned_cost=row["cost"], status="planned")
           for code, row in zip(codes, first) if code not in existing]
    session.add_all(new)
    session.flush()
    fields = ("asset_id", "kind", "cause", "description", "planned_on", "planned_cost", "status")
    for order in new:
        audit.record(session, actor=actor, source="cli", action="create", table="work_orders", record_id=order.id,
                     code=order.code, changes=audit.diff({}, {f: getattr(order, f) for f in fields}))
    return len(new)


def life_cycle_cost(session: Session, *, code: str | None = None, category: str | None = None,
                    years: int, rate: float, settings: dict[str, Any], config: RiskConfig,
                    monte_carlo: int | None = None, seed: int = 0, as_of: date) -> dict[str, Any]:
    """Preventive against reactive life-cycle cost for one asset, a category or the whole portfolio."""
    assets, distributions, models = _plan_inputs(session, as_of=as_of, config=config)
    if code is not None and code not in set(assets["code"]):
        raise ValidationError(f"no held asset with code {code!r}")
    if category is not None and category not in set(assets["category"]):
        raise ValidationError(f"no held asset of category {category!r}")
    wanted = (assets["code"] == code) if code else (assets["category"] == category) if category else \
        pd.Series(True, index=assets.index)
    curves = {s: np.zeros(years) for s in plan_lcc.STRATEGIES}
    samples = {s: np.zeros(monte_carlo or 0) for s in plan_lcc.STRATEGIES}
    counted = 0
    for group, (rows, now) in distributions.items():
        keep = wanted.loc[rows].to_numpy() & assets.loc[rows, "replacement_cost"].notna().to_numpy()
        if not keep.any():
            continue
        counted += int(keep.sum())
        theta = models.loc[group, "theta"]
        cost = assets.loc[rows, "replacement_cost"].astype(float).to_numpy()[keep]
        share = plan_options.preventive_share(settings, group)
        for strategy in plan_lcc.STRATEGIES:
            curves[strategy] += plan_lcc.expected_costs(theta, now[keep], cost, share, settings, years=years,
                                                        strategy=strategy)
            if monte_carlo:
                samples[strategy] += plan_lcc.simulated_totals(theta, now[keep], cost, share, settings,
                                                                years=years, strategy=strategy,
                                                                paths=monte_carlo, seed=seed, rate=rate)
    if counted == 0:
        raise ValidationError("no asset to cost: none held with a replacement cost in that selection")
    result = {"assets": counted, "years": years, "discount_rate": rate, "strategies": {}}
    for strategy in plan_lcc.STRATEGIES:
        result["strategies"][strategy] = {
            "total": int(round(curves[strategy].sum())),
            "discounted_total": int(round(plan_lcc.discounted(curves[strategy], rate))),
            "yearly": [int(round(v)) for v in curves[strategy]],
            **({"monte_carlo": {f"p{p}": int(round(np.percentile(samples[strategy], p))) for p in (5, 50, 95)}}
               if monte_carlo else {}),
        }
    p, r = result["strategies"]["preventive"], result["strategies"]["reactive"]
    result["saving"] = {"total": r["total"] - p["total"], "discounted_total": r["discounted_total"]
                        - p["discounted_total"],
                        "percent": round(100 * (r["discounted_total"] - p["discounted_total"])
                                         / r["discounted_total"], 1) if r["discounted_total"] else None}
    return result
