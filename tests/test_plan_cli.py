"""fm plan and fm lcc on the demo, on SQLite and PostGIS."""

from __future__ import annotations

import json

import openpyxl
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from fm.cli import cli
from fm.db import Database


def run(url, *args):
    return CliRunner().invoke(cli, list(args), env={"FM_DATABASE_URL": url}, catch_exceptions=False)


@pytest.fixture
def demo_url(db_url):
    assert run(db_url, "demo").exit_code == 0
    return db_url


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
    for year, budget in zip(plan["per_year"], (200_000_000, 150_000_000)):
        assert year["spent"] <= budget
        assert year["spent"] == sum(r["cost"] for r in plan["plan"] if r["fiscal_year"] == year["fiscal_year"])
    codes = [row["code"] for row in plan["plan"]]
    assert len(codes) == len(set(codes))  # one intervention per asset
    first_year = sum(1 for row in plan["plan"] if row["fiscal_year"] == 2026)
    assert planned_orders(demo_url) == first_year
    assert run(demo_url, *args, "--create-work-orders").exit_code == 0
    assert planned_orders(demo_url) == first_year  # idempotent
    workbook = tmp_path / "plan.xlsx"
    assert run(demo_url, *args, "--method", "greedy", "--format", "xlsx", "--output", str(workbook)).exit_code == 0
    assert openpyxl.load_workbook(workbook).sheetnames == ["years", "plan", "backlog"]


@pytest.mark.parametrize(("args", "message"), [
    (("--budget", "-5", "--years", "1"), "budgets must not be negative"),
    (("--budget", "1e8", "--years", "0"), "at least one fiscal year"),
    (("--budget", "2026=1e8", "--start", "2026", "--years", "2"), "no budget for fiscal year(s) 2027"),
    (("--budget", "lots"), "give yen"),
])
def test_plan_refuses_odd_input(demo_url, args, message):
    result = run(demo_url, "plan", *args)
    assert result.exit_code != 0 and message in result.output


def test_lcc_shows_the_preventive_saving(demo_url):
    result = json.loads(run(demo_url, "lcc", "--category", "bridge", "--format", "json").stdout)
    preventive, reactive = result["strategies"]["preventive"], result["strategies"]["reactive"]
    assert len(preventive["yearly"]) == 50 and result["discount_rate"] == 0.04
    assert preventive["discounted_total"] < reactive["discounted_total"]
    assert result["saving"]["discounted_total"] == reactive["discounted_total"] - preventive["discounted_total"]
    one = json.loads(run(demo_url, "lcc", "--asset", "BR-00001", "--years", "10", "--monte-carlo", "200",
                         "--format", "json").stdout)
    assert one["assets"] == 1 and set(one["strategies"]["reactive"]["monte_carlo"]) == {"p5", "p50", "p95"}
    missing = run(demo_url, "lcc", "--asset", "XX-1")
    assert missing.exit_code == 1 and "no held asset with code 'XX-1'" in missing.stderr
