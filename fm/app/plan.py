"""Use cases of preventive maintenance planning: `fm plan` and `fm lcc`."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from fm import progress
from fm.accounts import audit
from fm.app.duties import duty_frame
from fm.app.risk import fitted_models, risk_inputs
from fm.domain.duties import DutySettings
from fm.domain.fiscal import fiscal_year, fiscal_year_start
from fm.domain.plan import benefit as plan_benefit
from fm.domain.plan import duties as plan_duties
from fm.domain.plan import lcc as plan_lcc
from fm.domain.plan import optimise as plan_optimise
from fm.domain.plan import options as plan_options
from fm.domain.plan.options import load_interventions as load_interventions
from fm.domain.risk import deterioration
from fm.domain.risk import score as risk_score
from fm.domain.risk.config import RiskConfig
from fm.errors import ValidationError
from fm.model import Asset, WorkOrder

AUTO_EXACT_LIMIT = 100_000  # candidates: HiGHS takes ~8 s at 42,000, ~26 s at 85,000, hits 120 s at 212,000


def _plan_inputs(session: Session, *, as_of: date, config: RiskConfig):
    inputs = risk_inputs(session, as_of=as_of, config=config)
    states = deterioration.inspection_states(inputs["inspections"], inputs["assets"], inputs["categories"])
    models, _, _ = fitted_models(session, states, inputs, config)
    assets = inputs["assets"]
    assets = assets.join(
        risk_score.consequence(assets, inputs["districts"], inputs["network"], config)[["consequence"]]
    )
    _, distributions = risk_score.state_distributions(assets, states, models, as_of, inputs["repairs"])
    return assets, distributions, models


def maintenance_plan(
    session: Session,
    *,
    start: int,
    budgets: list[int],
    method: str = "auto",
    settings: dict[str, Any],
    config: RiskConfig,
    ignore_duties: bool = False,
    duty_settings: DutySettings | None = None,
) -> dict[str, Any]:
    """The year-by-year plan: first every statutory duty's measure before its deadline
    (:mod:`fm.domain.plan.duties`), then what removes the most risk within what is left of each
    year's budget. With ``ignore_duties``, risk alone (for comparison)."""
    years = len(budgets)
    if years < 1:
        raise ValidationError("the horizon must be at least one fiscal year")
    if any(b < 0 for b in budgets):
        raise ValidationError(f"budgets must not be negative: {budgets}")
    if method not in ("auto", "exact", "greedy"):
        raise ValidationError(f"method must be auto, exact or greedy, got {method!r}")
    as_of = fiscal_year_start(start)
    progress.report("reading the register and its risk", 0, 4)
    assets, distributions, models = _plan_inputs(session, as_of=as_of, config=config)
    progress.report("building the candidate interventions", 1, 4)
    table, baseline = plan_benefit.candidates(assets, distributions, models, settings, years=years)
    duties = (
        _open_duties(session, assets, start=start, as_of=as_of, settings=duty_settings)
        if not ignore_duties
        else pd.DataFrame(columns=[*plan_duties.DUTY_COLUMNS, "label"])
    )
    progress.report("choosing within the budgets", 2, 4)
    first = plan_duties.schedule_duties(table, duties, np.array(budgets, "int64"))
    rest = table[~first.decided]  # the solvers choose among the others, with what the duties left
    budget = first.remaining  # whole yen (int64): the solvers compare and subtract budgets in integers
    forced = pd.Series(first.chosen, index=table.index)

    def solved(mask_on_rest: np.ndarray) -> pd.Series:
        return forced | pd.Series(mask_on_rest, index=rest.index).reindex(table.index, fill_value=False)

    greedy = solved(plan_optimise.solve_greedy(rest, budget))
    used = "exact" if method == "exact" or (method == "auto" and len(rest) <= AUTO_EXACT_LIMIT) else "greedy"
    chosen = solved(plan_optimise.solve_exact(rest, budget)) if used == "exact" else greedy
    if used == "exact" and table.loc[greedy, "benefit"].sum() > table.loc[chosen, "benefit"].sum():
        chosen = greedy  # the solver stopped at its time limit short of the greedy plan
    exact_value = float(table.loc[chosen, "benefit"].sum()) if used == "exact" else None
    greedy_value = float(table.loc[greedy, "benefit"].sum())
    picked = (
        table[chosen]
        .assign(duty=forced[chosen])
        .sort_values(["year", "duty", "benefit"], ascending=[True, False, False])
    )
    labels = duties.set_index("asset")["label"] if len(duties) else pd.Series(dtype=object)
    deadlines = duties.set_index("asset")["deadline"] if len(duties) else pd.Series(dtype=object)
    rows = [
        {
            "fiscal_year": start + int(c.year),
            "code": assets.at[c.asset, "code"],
            "name": assets.at[c.asset, "name"],
            "category": assets.at[c.asset, "category"],
            "intervention": c.action,
            "cost": int(c.cost),
            "risk_removed": round(float(c.benefit), 6),
            "duty": labels.get(c.asset) if c.duty else None,
            "deadline": deadlines.get(c.asset) if c.duty else None,
        }
        for c in picked.itertuples()
    ]
    without, with_plan = plan_benefit.risk_by_year(assets, distributions, models, settings, picked, years=years)
    per_year = []
    for y in range(years):
        spent = int(picked.loc[picked["year"] == y, "cost"].sum())
        per_year.append(
            {
                "fiscal_year": start + y,
                "budget": int(budgets[y]),
                "spent": spent,
                "spent_on_duties": int(first.spent[y]),
                "duty_shortfall": int(first.shortfall[y]),
                "used_percent": round(100 * spent / budgets[y], 1) if budgets[y] else None,
                "interventions": int((picked["year"] == y).sum()),
                "risk_without_plan": round(float(without[y]), 6),
                "risk_with_plan": round(float(with_plan[y]), 6),
            }
        )
    chosen_assets = set(picked["asset"])
    backlog = (
        table[~table["asset"].isin(chosen_assets)].sort_values("benefit", ascending=False).drop_duplicates("asset")
    )
    return {
        "start": start,
        "years": years,
        "method": used,
        "candidates": len(table),
        "risk_without_plan": round(float(baseline.sum()), 6),
        "risk_removed": round(float(table.loc[chosen, "benefit"].sum()), 6),
        "greedy_risk_removed": round(greedy_value, 6),
        "greedy_gap_percent": (round(100 * (exact_value - greedy_value) / exact_value, 3) if exact_value else None),
        "per_year": per_year,
        "plan": rows,
        "backlog": [
            {
                "code": assets.at[b.asset, "code"],
                "name": assets.at[b.asset, "name"],
                "category": assets.at[b.asset, "category"],
                "best_intervention": b.action,
                "cost": int(b.cost),
                "risk_removed": round(float(b.benefit), 6),
            }
            for b in backlog.head(100).itertuples()
        ],
        "backlog_assets": int(backlog["asset"].nunique()),
        "duties": {
            "considered": not ignore_duties,
            "scheduled": int(first.chosen.sum()),
            "unmet": [
                {
                    "code": u.code,
                    "name": assets.at[u.asset, "name"],
                    "category": assets.at[u.asset, "category"],
                    "soundness": u.label,
                    "deadline": u.deadline,
                    "cost": None if pd.isna(u.cost) else int(u.cost),
                    "reason": u.reason,
                }
                for u in first.unmet.merge(duties[["asset", "label"]], on="asset").itertuples()
            ],
            "shortfall": int(first.shortfall.sum()),
            "due_after_horizon": first.later,
        },
    }


def _open_duties(
    session: Session, assets: pd.DataFrame, *, start: int, as_of: date, settings: DutySettings | None
) -> pd.DataFrame:
    """The duties with no measure started on the first day of the plan, by the planner's asset labels."""
    found = duty_frame(session, as_of=as_of, settings=settings)
    found = found[found["state"].isin(["none", "planned"])]
    label = pd.Series(assets.index, index=assets["id"])
    found = found[found["asset_id"].isin(label.index)]
    return pd.DataFrame(
        {
            "asset": found["asset_id"].map(label).to_numpy(),
            "code": found["code"].to_numpy(),
            "soundness": found["soundness"].map({"Ⅲ": 3, "Ⅳ": 4}).to_numpy(),
            "deadline": found["deadline"].to_numpy(),
            "deadline_year": (fiscal_year(pd.to_datetime(found["deadline"])) - start).astype("int64").to_numpy(),
            "label": found["soundness"].to_numpy(),
        }
    )


def create_planned_work_orders(session: Session, plan: dict[str, Any], *, actor: str) -> int:
    """Write the plan's first-year interventions as planned work orders (audited); return how many were new."""
    first = [row for row in plan["plan"] if row["fiscal_year"] == plan["start"]]
    ids = dict(
        session.execute(sa.select(Asset.code, Asset.id).where(Asset.code.in_([row["code"] for row in first]))).all()
    )
    codes = [f"PLAN-{row['fiscal_year']}-{row['code']}" for row in first]
    existing = set(session.scalars(sa.select(WorkOrder.code).where(WorkOrder.code.in_(codes))))
    new = [
        WorkOrder(
            code=code,
            asset_id=ids[row["code"]],
            kind="preventive" if row["intervention"] == "preventive" else "renewal",
            cause="planned",
            description=f"fm plan {row['fiscal_year']}: {row['intervention']}",
            planned_on=fiscal_year_start(row["fiscal_year"]),
            planned_cost=row["cost"],
            status="planned",
        )
        for code, row in zip(codes, first, strict=True)
        if code not in existing
    ]
    session.add_all(new)
    session.flush()
    fields = ("asset_id", "kind", "cause", "description", "planned_on", "planned_cost", "status")
    for order in new:
        audit.record(
            session,
            actor=actor,
            source="cli",
            action="create",
            table="work_orders",
            record_id=order.id,
            code=order.code,
            changes=audit.diff({}, {f: getattr(order, f) for f in fields}),
        )
    return len(new)


def life_cycle_cost(
    session: Session,
    *,
    code: str | None = None,
    category: str | None = None,
    years: int,
    rate: float,
    settings: dict[str, Any],
    config: RiskConfig,
    monte_carlo: int | None = None,
    seed: int = 0,
    as_of: date,
) -> dict[str, Any]:
    """Preventive against reactive life-cycle cost for one asset, a category or the whole portfolio."""
    assets, distributions, models = _plan_inputs(session, as_of=as_of, config=config)
    if code is not None and code not in set(assets["code"]):
        raise ValidationError(f"no held asset with code {code!r}")
    if category is not None and category not in set(assets["category"]):
        raise ValidationError(f"no held asset of category {category!r}")
    wanted = (
        (assets["code"] == code)
        if code
        else (assets["category"] == category)
        if category
        else pd.Series(True, index=assets.index)
    )
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
            curves[strategy] += plan_lcc.expected_costs(
                theta, now[keep], cost, share, settings, years=years, strategy=strategy
            )
            if monte_carlo:
                samples[strategy] += plan_lcc.simulated_totals(
                    theta,
                    now[keep],
                    cost,
                    share,
                    settings,
                    years=years,
                    strategy=strategy,
                    paths=monte_carlo,
                    seed=seed,
                    rate=rate,
                )
    if counted == 0:
        raise ValidationError("no asset to cost: none held with a replacement cost in that selection")
    result = {"assets": counted, "years": years, "discount_rate": rate, "strategies": {}}
    for strategy in plan_lcc.STRATEGIES:
        result["strategies"][strategy] = {
            "total": int(round(curves[strategy].sum())),
            "discounted_total": int(round(plan_lcc.discounted(curves[strategy], rate))),
            "yearly": [int(round(v)) for v in curves[strategy]],
            **(
                {"monte_carlo": {f"p{p}": int(round(np.percentile(samples[strategy], p))) for p in (5, 50, 95)}}
                if monte_carlo
                else {}
            ),
        }
    p, r = result["strategies"]["preventive"], result["strategies"]["reactive"]
    result["saving"] = {
        "total": r["total"] - p["total"],
        "discounted_total": r["discounted_total"] - p["discounted_total"],
        "percent": round(100 * (r["discounted_total"] - p["discounted_total"]) / r["discounted_total"], 1)
        if r["discounted_total"]
        else None,
    }
    return result
