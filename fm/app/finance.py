"""Finance staff's records: indicator targets and the yearly planned / executed amounts of each plan.

The execution-rate indicator counts the budget items; the dashboard compares indicators with
the targets. Amounts are integer yen, checked by the importer's number rules; every change is audited.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from fm.accounts import audit
from fm.errors import NotFound, ValidationError
from fm.io.validate import yen
from fm.model import IndividualPlan, PlanBudgetItem


def budgets(session: Session, fiscal_year: int) -> pd.DataFrame:
    """Every plan with its planned and executed amounts of ``fiscal_year`` (missing: no item yet)."""
    rows = session.execute(
        sa.select(
            IndividualPlan.code,
            IndividualPlan.title,
            IndividualPlan.under_infrastructure_plan,
            PlanBudgetItem.planned_amount,
            PlanBudgetItem.executed_amount,
        )
        .outerjoin(
            PlanBudgetItem, (PlanBudgetItem.plan_id == IndividualPlan.id) & (PlanBudgetItem.fiscal_year == fiscal_year)
        )
        .order_by(IndividualPlan.code)
    ).all()
    frame = pd.DataFrame(
        rows, columns=["code", "title", "under_infrastructure_plan", "planned_amount", "executed_amount"]
    )
    for column in ("planned_amount", "executed_amount"):
        frame[column] = frame[column].astype("Int64")
    return frame


def set_budget(
    session: Session, plan_code: str, fiscal_year: int, *, planned: str, executed: str, actor: str, via: str
) -> None:
    """Set the planned and executed amounts (yen, as typed: ``1,200,000`` or ``¥1200000``) of one plan-year."""
    amounts, problems = {}, []
    for field, text in (("planned_amount", planned), ("executed_amount", executed)):
        try:
            amounts[field] = yen(text, field=field)
        except ValidationError as exc:
            problems += exc.problems
    if problems:
        raise ValidationError(problems)
    plan = session.scalar(sa.select(IndividualPlan).where(IndividualPlan.code == plan_code))
    if plan is None:
        raise NotFound(f"no individual plan {plan_code!r}")
    item = session.scalar(
        sa.select(PlanBudgetItem).where(PlanBudgetItem.plan_id == plan.id, PlanBudgetItem.fiscal_year == fiscal_year)
    )
    before = {"planned_amount": item.planned_amount, "executed_amount": item.executed_amount} if item else {}
    if item is None:
        item = PlanBudgetItem(plan_id=plan.id, fiscal_year=fiscal_year)
        session.add(item)
    item.planned_amount, item.executed_amount = amounts["planned_amount"], amounts["executed_amount"]
    session.flush()
    changes = audit.diff(before, amounts)
    if changes:
        audit.record(
            session,
            actor=actor,
            source=via,
            action="update" if before else "create",
            table="plan_budget_items",
            record_id=item.id,
            code=f"{plan_code} FY{fiscal_year}",
            changes=changes,
        )
