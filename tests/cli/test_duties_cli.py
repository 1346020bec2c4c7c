"""fm duties, /api/duties and fm restrictions on a hand-made register, on SQLite and PostGIS."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from clirun import run
from dutysample import add_judged

from fm.accounts import audit
from fm.db import Database


@pytest.fixture
def judged_url(db_url: str) -> str:
    return add_judged(db_url)


def test_duties_as_json_equal_the_api(judged_url, client):
    result = run(judged_url, "duties", "--as-of", "2026-04-01", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["code"], r["soundness"], r["deadline"], r["state"], r["overdue"]) for r in rows] == [
        ("B-001", "Ⅳ", "2024-07-01", "none", 639),  # 2024-06-01 + 30 days of grace; 639 days to 2026-04-01
        ("B-002", "Ⅲ", "2025-05-01", "planned", 335),
    ]
    assert client.get("/api/duties?as_of=2026-04-01").get_json() == rows
    assert client.get("/api/duties?as_of=2026-04-01&state=planned").get_json() == rows[1:]
    assert client.get("/api/duties?as_of=2024-06-15&overdue=1").get_json() == []
    assert client.get("/api/duties?as_of=2026-13-01").status_code == 400
    table = run(judged_url, "duties", "--as-of", "2026-04-01")
    assert "2 duties, 2 overdue, as of 2026-04-01" in table.output


def test_a_restriction_meets_the_iv_duty_and_is_audited(judged_url, client):
    args = ("restrictions", "add", "TR-1", "--asset", "B-001", "--kind", "closed", "--from", "2024-06-03")
    result = run(judged_url, *args)
    assert result.exit_code == 0, result.output
    rows = json.loads(run(judged_url, "duties", "--as-of", "2026-04-01", "--format", "json").stdout)
    b1 = next(r for r in rows if r["code"] == "B-001")
    assert (b1["state"], b1["restricted_since"], b1["met"], b1["overdue"]) == ("restricted", "2024-06-03", True, 0)
    listed = json.loads(run(judged_url, "restrictions", "--format", "json").stdout)
    assert listed == [
        {
            "code": "TR-1",
            "asset_code": "B-001",
            "kind": "closed",
            "starts_on": "2024-06-03",
            "ends_on": None,
            "inspected_on": "2024-06-01",
            "notes": None,
        }
    ]
    database = Database(judged_url)
    with database.session() as session:
        trail, total = audit.history(session, table_name="traffic_restrictions")
    database.dispose()
    assert total == 1 and trail.iloc[0]["record_code"] == "TR-1"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--from", "2024-07-01", "--to", "2024-06-30"), "restriction TR-2: ends_on 2024-06-30 is before starts_on"),
        (("--from", "2024-05-01"), "restriction TR-2: starts_on 2024-05-01 is before the inspection of 2024-06-01"),
        (("--from", "2024-07-01", "--inspection", "2024-07-01"), "restriction TR-2: inspected_on 2024-07-01"),
    ],
)
def test_bad_restrictions_are_refused_and_nothing_is_written(judged_url, args, words):
    result = run(judged_url, "restrictions", "add", "TR-2", "--asset", "B-001", "--kind", "load_limit", *args)
    assert result.exit_code == 1 and words in result.stderr
    database = Database(judged_url)
    with database.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM traffic_restrictions")).scalar() == 0
    database.dispose()


def test_unknown_asset_and_taken_code_are_named(judged_url):
    missing = run(
        judged_url, "restrictions", "add", "TR-3", "--asset", "NOPE", "--kind", "closed", "--from", "2025-01-01"
    )
    assert missing.exit_code == 1 and "asset_code 'NOPE' is not in the register" in missing.stderr
    ok = ("restrictions", "add", "TR-3", "--asset", "B-001", "--kind", "closed", "--from", "2025-01-01")
    assert run(judged_url, *ok).exit_code == 0
    again = run(judged_url, *ok)
    assert again.exit_code == 1 and "code 'TR-3' is taken" in again.stderr


def plan(url: str, budget: str, *extra: str) -> tuple[dict, str]:
    result = run(url, "plan", "--budget", budget, "--start", "2026", "--years", "2", "--format", "json", *extra)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), result.stderr


def test_plan_schedules_the_duty_first_when_the_budget_covers_it(judged_url):
    result, _ = plan(judged_url, "60000000")
    first = [row for row in result["plan"] if row["duty"]]
    # B-001 judged Ⅳ: its renewal (the replacement cost, ¥54,000,000) in FY2026, its deadline long past.
    assert [(r["code"], r["fiscal_year"], r["intervention"], r["cost"], r["duty"]) for r in first] == [
        ("B-001", 2026, "renewal", 54_000_000, "Ⅳ")
    ]
    assert result["per_year"][0]["spent_on_duties"] == 54_000_000
    duties = result["duties"]
    assert duties["considered"] and duties["scheduled"] == 1 and duties["shortfall"] == 0
    # B-002 (Ⅲ) has no replacement cost: unmet, named, and not counted in yen.
    assert [(u["code"], u["cost"]) for u in duties["unmet"]] == [("B-002", None)]


def test_plan_short_of_the_duties_says_the_shortfall_per_year(judged_url):
    result, _ = plan(judged_url, "50000000")
    # ¥54,000,000 due in FY2026 (deadline past), ¥50,000,000 there: ¥4,000,000 short; FY2027 nothing due.
    assert [y["duty_shortfall"] for y in result["per_year"]] == [4_000_000, 0]
    assert result["duties"]["shortfall"] == 4_000_000
    assert ("B-001", 54_000_000) in [(u["code"], u["cost"]) for u in result["duties"]["unmet"]]
    table = run(judged_url, "plan", "--budget", "50000000", "--start", "2026", "--years", "2")
    assert table.exit_code == 0
    assert "the budget cannot cover the statutory duties: 2 left unmet, short FY2026 ¥4,000,000" in table.stderr
    ignored, _ = plan(judged_url, "50000000", "--ignore-duties")
    assert not ignored["duties"]["considered"] and ignored["duties"]["unmet"] == []
    assert all(row["duty"] is None for row in ignored["plan"])
