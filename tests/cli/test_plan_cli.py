"""fm plan, fm lcc and fm renewal on the demo, on SQLite and PostGIS."""

from __future__ import annotations

import json

import openpyxl
import pytest
import sqlalchemy as sa
from clirun import run

from fm.accounts import audit
from fm.db import Database


def planned_orders(url) -> int:
    database = Database(url)
    with database.connect() as connection:
        count = connection.execute(sa.text("SELECT count(*) FROM work_orders WHERE code LIKE 'PLAN-%'")).scalar()
    database.dispose()
    return count


def test_plan_within_budget_and_work_orders_once(demo_url, tmp_path):
    args = ("plan", "--budget", "2026=200000000,2027=150000000", "--start", "2026", "--years", "2")
    result = run(demo_url, *args, "--format", "json", "--create-work-orders")
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert plan["method"] == "exact" and plan["greedy_gap_percent"] >= 0
    for year, budget in zip(plan["per_year"], (200_000_000, 150_000_000), strict=True):
        assert year["spent"] <= budget
        assert year["spent"] == sum(r["cost"] for r in plan["plan"] if r["fiscal_year"] == year["fiscal_year"])
    removed = sum(y["risk_without_plan"] - y["risk_with_plan"] for y in plan["per_year"])
    assert removed == pytest.approx(plan["risk_removed"], rel=1e-6)  # the yearly split adds up
    assert all(y["risk_with_plan"] <= y["risk_without_plan"] for y in plan["per_year"])
    codes = [row["code"] for row in plan["plan"]]
    assert len(codes) == len(set(codes))  # one intervention per asset
    first_year = sum(1 for row in plan["plan"] if row["fiscal_year"] == 2026)
    assert planned_orders(demo_url) == first_year
    assert run(demo_url, *args, "--create-work-orders").exit_code == 0
    assert planned_orders(demo_url) == first_year  # idempotent
    database = Database(demo_url)
    with database.session() as session:
        trail, total = audit.history(session, table_name="work_orders", action="create")
    database.dispose()
    assert total == first_year and set(trail["source"]) == {"cli"} and trail["actor"].str.startswith("cli:").all()
    workbook = tmp_path / "plan.xlsx"
    assert run(demo_url, *args, "--method", "greedy", "--format", "xlsx", "--output", str(workbook)).exit_code == 0
    assert openpyxl.load_workbook(workbook).sheetnames == ["years", "plan", "backlog"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--budget", "-5", "--years", "1"), "budgets must not be negative"),
        (("--budget", "1e8", "--years", "0"), "at least one fiscal year"),
        (("--budget", "2026=1e8", "--start", "2026", "--years", "2"), "no budget for fiscal year(s) 2027"),
        (("--budget", "lots"), "give yen"),
        (("--budget", "1e400"), "give yen"),
        (("--budget", "2026=-1", "--start", "2026", "--years", "1"), "must not be negative"),
    ],
)
def test_plan_refuses_odd_input(demo_url, args, message):
    result = run(demo_url, "plan", *args)
    assert result.exit_code != 0 and message in result.output


def test_lcc_shows_the_preventive_saving(demo_url):
    result = json.loads(run(demo_url, "lcc", "--category", "bridge", "--format", "json").stdout)
    preventive, reactive = result["strategies"]["preventive"], result["strategies"]["reactive"]
    assert len(preventive["yearly"]) == 50 and result["discount_rate"] == 0.04
    assert preventive["discounted_total"] < reactive["discounted_total"]
    assert result["saving"]["discounted_total"] == reactive["discounted_total"] - preventive["discounted_total"]
    one = json.loads(
        run(demo_url, "lcc", "--asset", "BR-00001", "--years", "10", "--monte-carlo", "200", "--format", "json").stdout
    )
    assert one["assets"] == 1 and set(one["strategies"]["reactive"]["monte_carlo"]) == {"p5", "p50", "p95"}
    missing = run(demo_url, "lcc", "--asset", "XX-1")
    assert missing.exit_code == 1 and "no held asset with code 'XX-1'" in missing.stderr


def test_renewal_projection_outputs(demo_url, tmp_path):
    result = run(demo_url, "renewal", "--start", "2026", "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    simple, extended = report["scenarios"]["simple"], report["scenarios"]["extended"]
    assert len(simple["rows"]) == 40 and simple["rows"][0]["fiscal_year"] == 2026
    assert simple["total"] == sum(row["total"] for row in simple["rows"])
    assert report["difference"]["total"] == simple["total"] - extended["total"] > 0
    assert report["not_projected"] == {"park": 90, "river": 24, "retention_pond": 15, "tunnel": 6}
    workbook, chart = tmp_path / "renewal.xlsx", tmp_path / "renewal.png"
    assert (
        run(
            demo_url, "renewal", "--start", "2026", "--format", "xlsx", "--output", str(workbook), "--chart", str(chart)
        ).exit_code
        == 0
    )
    sheets = openpyxl.load_workbook(workbook)
    assert sheets.sheetnames == ["summary", "simple", "extended"]
    assert sheets["summary"]["B2"].value == simple["total"]
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    bad = run(demo_url, "renewal", "--format", "xlsx")
    assert bad.exit_code == 2 and "needs --output" in bad.output
