"""Use cases of the individual plan page (個別施設計画): the plan, its assets, its works, its budget and execution."""

from __future__ import annotations

from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from fm.errors import NotFound
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
