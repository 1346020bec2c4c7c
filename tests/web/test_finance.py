"""Finance pages: targets and plan budgets change what the indicators report, refuse bad values, are audited."""

from __future__ import annotations

import json

import sqlalchemy as sa
from clirun import run

from fm.model import AuditEntry, IndicatorTarget, PlanBudgetItem


def _count(app, model) -> int:
    with app.extensions["fm.database"].session() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_target_set_on_the_page_is_the_one_fm_kpi_compares_with(demo_url, app, client_as):
    finance = client_as("finance")
    response = finance.post(
        "/finance/targets",
        data={"indicator": "aging_ratio", "fiscal_year": "2030", "value": "60", "source": "財政計画"},
    )
    assert response.status_code == 302
    assert "60 %" in finance.get("/finance/targets").get_data(as_text=True)
    listed = run(demo_url, "targets").output
    assert any(
        "aging_ratio" in line and "2030" in line and "60" in line and "財政計画" in line for line in listed.splitlines()
    )
    with app.extensions["fm.database"].session() as session:
        entry = session.scalars(sa.select(AuditEntry).where(AuditEntry.table_name == "indicator_targets")).one()
    assert (entry.actor, entry.source, entry.changes["target_value"]) == ("finance", "web", [None, 60])
    assert (
        finance.post(
            "/finance/targets", data={"indicator": "aging_ratio", "fiscal_year": "2030", "value": ""}
        ).status_code
        == 302
    )
    assert not any("aging_ratio" in line and "2030" in line for line in run(demo_url, "targets").output.splitlines())


def test_bad_target_values_are_named_and_nothing_is_written(demo_url, app, client_as):
    finance = client_as("finance")
    before = _count(app, IndicatorTarget)
    page = finance.post(
        "/finance/targets?lang=en", data={"indicator": "happiness", "fiscal_year": "20x", "value": "-3"}
    )
    text = page.get_data(as_text=True)
    assert page.status_code == 400
    assert "choose an indicator" in text and "a year such as 2025" in text and "must not be negative" in text
    assert _count(app, IndicatorTarget) == before


def test_budget_amounts_drive_the_execution_rate(demo_url, app, client_as):
    finance = client_as("finance")
    page = finance.get("/finance/budgets?fiscal_year=2024").get_data(as_text=True)
    assert 'id="budgets"' in page
    with app.extensions["fm.database"].session() as session:
        plan = (
            session.execute(
                sa.text(
                    "SELECT p.code FROM individual_plans p JOIN plan_budget_items b "
                    "ON b.plan_id = p.id WHERE b.fiscal_year = 2024 AND "
                    "p.under_infrastructure_plan ORDER BY p.code"
                )
            )
            .scalars()
            .first()
        )
    before = json.loads(run(demo_url, "kpi", "--fiscal-year", "2024", "--format", "json").output)
    response = finance.post(
        f"/finance/budgets/2024/{plan}", data={"planned_amount": "¥10,000,000", "executed_amount": "10,000,000円"}
    )
    assert response.status_code == 302
    after = json.loads(run(demo_url, "kpi", "--fiscal-year", "2024", "--format", "json").output)
    rate = lambda k: next(i for i in k["indicators"] if i["indicator"] == "execution_rate")  # noqa: E731
    assert rate(after)["value"] != rate(before)["value"]
    bad = finance.post(f"/finance/budgets/2024/{plan}?lang=en", data={"planned_amount": "-1", "executed_amount": "abc"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "planned_amount: must not be negative" in text and "not a number" in text
    with app.extensions["fm.database"].session() as session:
        stored = session.execute(
            sa.select(PlanBudgetItem.planned_amount)
            .join_from(
                PlanBudgetItem,
                sa.table("individual_plans", sa.column("id"), sa.column("code")),
                sa.text("individual_plans.id = plan_budget_items.plan_id"),
            )
            .where(sa.text("individual_plans.code = :c AND plan_budget_items.fiscal_year = 2024")),
            {"c": plan},
        ).scalar()
    assert stored == 10_000_000


def test_other_roles_read_but_may_not_change(demo_url, client_as):
    engineer = client_as("engineer")
    assert engineer.get("/finance/budgets?fiscal_year=2024").status_code == 200
    assert 'action="/finance/budgets' not in engineer.get("/finance/budgets?fiscal_year=2024").get_data(as_text=True)
    assert (
        engineer.post(
            "/finance/targets", data={"indicator": "aging_ratio", "fiscal_year": "2030", "value": "1"}
        ).status_code
        == 403
    )
