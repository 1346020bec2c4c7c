"""Use cases of the individual plan page (個別施設計画): the plan, its assets, its works, its budget and execution."""

from __future__ import annotations

from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from fm.app.kpi import kpi_data
from fm.domain.kpi import measure
from fm.errors import NotFound, ValidationError
from fm.io import store
from fm.model import metadata


def _rows(session: Session, query: sa.Select) -> list[dict[str, Any]]:
    return [dict(row) for row in session.execute(query).mappings()]


def plan_page(session: Session, code: str) -> dict[str, Any]:
    """The individual plan ``code``: ``plan`` (attributes), ``assets`` (code, name, category and district
    names), ``works`` (fiscal year, asset, description, cost; ``works_total``) and ``budget`` (fiscal year,
    planned and executed amounts, ``rate`` executed/planned or None; ``budget_total``)."""
    plans, links, assets, categories, districts, works, budget = (
        metadata.tables[n]
        for n in (
            "individual_plans",
            "plan_assets",
            "assets",
            "asset_categories",
            "districts",
            "plan_works",
            "plan_budget_items",
        )
    )
    found = _rows(session, sa.select(plans).where(plans.c.code == code))
    if not found:
        raise NotFound(f"no individual plan with code {code!r}")
    plan = found[0]
    covered = _rows(
        session,
        sa.select(
            assets.c.code,
            assets.c.name,
            assets.c.status,
            categories.c.name.label("category_name"),
            categories.c.name_en.label("category_name_en"),
            districts.c.name.label("district_name"),
            districts.c.name_en.label("district_name_en"),
        )
        .join(links, links.c.asset_id == assets.c.id)
        .join(categories, categories.c.code == assets.c.category)
        .outerjoin(districts, districts.c.id == assets.c.district_id)
        .where(links.c.plan_id == plan["id"])
        .order_by(assets.c.code),
    )
    scheduled = _rows(
        session,
        sa.select(
            works.c.fiscal_year,
            works.c.description,
            works.c.cost,
            assets.c.code.label("asset_code"),
            assets.c.name.label("asset_name"),
        )
        .outerjoin(assets, assets.c.id == works.c.asset_id)
        .where(works.c.plan_id == plan["id"])
        .order_by(works.c.fiscal_year, works.c.id),
    )
    items = _rows(
        session,
        sa.select(budget.c.fiscal_year, budget.c.planned_amount, budget.c.executed_amount)
        .where(budget.c.plan_id == plan["id"])
        .order_by(budget.c.fiscal_year),
    )
    for item in items:
        item["rate"] = item["executed_amount"] / item["planned_amount"] if item["planned_amount"] else None
    frame = pd.DataFrame(items, columns=["planned_amount", "executed_amount"])
    return {
        "plan": plan,
        "assets": covered,
        "works": scheduled,
        "works_total": int(sum(w["cost"] for w in scheduled)),
        "budget": items,
        "budget_total": {
            "planned_amount": int(frame["planned_amount"].sum()),
            "executed_amount": int(frame["executed_amount"].sum()),
        },
    }


PLAN_STATES = ("in_force", "not_adopted", "ended")
COVERAGE_FILTERS = ("covering", "none")


def plan_list(
    session: Session,
    *,
    fiscal_year: int,
    status: str | None = None,
    period: int | None = None,
    category: str | None = None,
    coverage: str | None = None,
) -> dict[str, Any]:
    """The individual plans with what each covers and spends, filtered: ``status`` (``in_force``: adopted and
    its period not ended by ``fiscal_year``; ``not_adopted``; ``ended``), ``period`` (a fiscal year the plan's
    period holds), ``category`` (covers an asset of it), ``coverage`` (``covering``: covers an asset that needs
    a plan; ``none``: covers none). Also the plan-coverage figure of ``fiscal_year`` the plans feed
    (``coverage_figure``: value, covered, needed), counted as the indicator counts it."""
    if status is not None and status not in PLAN_STATES:
        raise ValidationError(f"status must be one of {', '.join(PLAN_STATES)}, got {status!r}")
    if coverage is not None and coverage not in COVERAGE_FILTERS:
        raise ValidationError(f"coverage must be one of {', '.join(COVERAGE_FILTERS)}, got {coverage!r}")
    plans = pd.DataFrame(store.read_table(session, "individual_plans"))
    links = store.read_table(session, "plan_assets")
    assets = store.read_table(session, "assets", ["id", "category", "needs_individual_plan"])
    budget = store.read_table(session, "plan_budget_items")
    covered = links.merge(assets.rename(columns={"id": "asset_id"}), on="asset_id")
    by_plan = covered.groupby("plan_id")
    plans["assets"] = plans["id"].map(by_plan.size()).fillna(0).astype(int)
    plans["needing"] = plans["id"].map(by_plan["needs_individual_plan"].sum()).fillna(0).astype(int)
    plans["categories"] = (
        plans["id"]
        .map(by_plan["category"].agg(lambda c: sorted(set(c))))
        .map(lambda c: c if isinstance(c, list) else [])
    )
    sums = budget.groupby("plan_id")[["planned_amount", "executed_amount"]].sum()
    plans["planned_amount"] = plans["id"].map(sums["planned_amount"]).fillna(0).astype("int64")
    plans["executed_amount"] = plans["id"].map(sums["executed_amount"]).fillna(0).astype("int64")
    ended = plans["period_end_fy"].notna() & (plans["period_end_fy"] < fiscal_year)
    plans["status"] = [
        "not_adopted" if pd.isna(a) else ("ended" if e else "in_force")
        for a, e in zip(plans["adopted_on"], ended, strict=True)
    ]
    chosen = pd.Series(True, index=plans.index)
    if status:
        chosen &= plans["status"] == status
    if period is not None:
        start, end = plans["period_start_fy"], plans["period_end_fy"]
        chosen &= (start.isna() | (start <= period)) & (end.isna() | (end >= period))
    if category:
        chosen &= plans["categories"].map(lambda c: category in c)
    if coverage == "covering":
        chosen &= plans["needing"] > 0
    elif coverage == "none":
        chosen &= plans["needing"] == 0
    figure = measure("plan_coverage", kpi_data(session), fiscal_year=fiscal_year)
    rows = plans[chosen].sort_values("code")
    return {
        "rows": rows[
            [
                "code",
                "title",
                "status",
                "adopted_on",
                "period_start_fy",
                "period_end_fy",
                "assets",
                "needing",
                "categories",
                "planned_amount",
                "executed_amount",
            ]
        ].reset_index(drop=True),
        "total": len(plans),
        "coverage_figure": {
            "value": figure.value,
            "covered": int(figure.numerator),
            "needed": int(figure.denominator or 0),
            "fiscal_year": fiscal_year,
        },
        "categories": {
            c.code: {"name": c.name, "name_en": c.name_en} for c in store.read_categories(session).itertuples()
        },
    }
