"""fm duties, /api/duties and fm restrictions on a hand-made register, on SQLite and PostGIS."""

from __future__ import annotations

import json
from datetime import date

import pytest
import sqlalchemy as sa
from clirun import run
from sample import add_sample

from fm.accounts import audit
from fm.db import Database
from fm.model import Inspection, WorkOrder


@pytest.fixture
def judged_url(db_url: str) -> str:
    """The sample register with B-001 judged Ⅳ on 2024-06-01 and B-002 judged Ⅲ on 2020-05-01 (next due
    2025-05-01), and a renewal of B-002 planned."""
    database = Database(db_url)
    with database.session() as session:
        ids = add_sample(session)
        session.add_all(
            [
                Inspection(asset_id=ids["B-001"], inspected_on=date(2024, 6, 1), soundness=4),
                Inspection(
                    asset_id=ids["B-002"], inspected_on=date(2020, 5, 1), soundness=3, next_due_on=date(2025, 5, 1)
                ),
                WorkOrder(
                    code="W-B2", asset_id=ids["B-002"], kind="renewal", status="planned", planned_on=date(2026, 6, 1)
                ),
            ]
        )
    database.dispose()
    return db_url


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
