"""fm score and fm inspections on the demo, on SQLite and PostGIS; CLI JSON equals the API's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date

import pytest
import sqlalchemy as sa
from clirun import run
from sample import add_sample

from fm.db import Database
from fm.model import Inspection


def test_score_stores_a_run_with_its_configuration(demo_url, client):
    result = run(demo_url, "score", "--as-of", "2026-04-01")
    assert result.exit_code == 0, result.output
    assert "assets scored for 2026-04-01" in result.output
    database = Database(demo_url)
    with database.connect() as connection:
        runs = connection.execute(sa.text("SELECT id, config FROM risk_runs")).all()
        scores = connection.execute(sa.text("SELECT count(*) FROM risk_scores")).scalar()
        held = connection.execute(sa.text("SELECT count(*) FROM assets WHERE status <> 'disposed'")).scalar()
    config = runs[0].config if isinstance(runs[0].config, dict) else json.loads(runs[0].config)
    assert len(runs) == 1 and scores == held and config["horizon_years"] == 5
    # The same day again replaces the run rather than adding to it.
    assert run(demo_url, "score", "--as-of", "2026-04-01").exit_code == 0
    with database.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM risk_scores")).scalar() == held
    database.dispose()
    top = json.loads(run(demo_url, "score", "--top", "5", "--format", "json").stdout)
    assert top == json.loads(client.get("/api/risk?top=5").get_data(as_text=True))
    worst = top["scores"]
    assert [row["score"] for row in worst] == sorted((row["score"] for row in worst), reverse=True)
    assert all(row["reasons"] for row in worst)


def test_explain_says_why(demo_url, client):
    run(demo_url, "score")
    code = json.loads(run(demo_url, "score", "--top", "1", "--format", "json").stdout)["scores"][0]["code"]
    text = run(demo_url, "score", "--explain", code, "--lang", "en")
    assert text.exit_code == 0 and f"{code}" in text.output and "#1 of" in text.output
    assert "at the inspection of" in text.output or "never inspected" in text.output
    assert client.get(f"/api/risk/{code}?lang=en").get_json()["rank"] == 1
    missing = run(demo_url, "score", "--explain", "XX-00000")
    assert missing.exit_code == 1 and "no risk score for asset 'XX-00000'" in missing.stderr


def test_models_report_expected_years(demo_url, client):
    models = json.loads(run(demo_url, "score", "--model", "--format", "json").stdout)
    bridge = next(m for m in models if m["category"] == "bridge")
    assert bridge["states"] == 4 and len(bridge["expected_years"]) == 3
    assert "inspection pairs" in bridge["source"] and "Bayesian update" in bridge["source"]
    assert client.get("/api/risk/models").get_json() == models
    for m in models:
        # every category estimated; each hazard inside its own credible interval; the default beside it
        assert all(lo <= t <= hi for lo, t, hi in zip(m["theta_lower"], m["theta"], m["theta_upper"], strict=True))
        assert m["theta_default"] > 0 and m["years_to_worst"] == pytest.approx(sum(m["expected_years"]), abs=0.05)
        assert all(sum(band["observed"]) == pytest.approx(1, abs=1e-3) for band in m["by_age"])
    # the demo's completed reactive repairs (sudden-failure fixes) drop their pairs now, by reason
    assert sum(m["dropped"].get("work:reactive", 0) for m in models) > 0
    table = run(demo_url, "score", "--model")
    assert table.exit_code == 0 and "pairs used, dropped: " in table.output and "by age" in table.output
    csv = run(demo_url, "score", "--model", "--format", "csv").stdout.splitlines()
    assert csv[0] == "category,state,hazard,lower_95,upper_95,default,expected_years"
    assert len(csv) == 1 + sum(m["states"] - 1 for m in models)


@pytest.mark.parametrize("backend", ["sqlite"])  # one column read the same way on both (migrations test both)
def test_repairs_that_record_the_condition_after_them_are_split_not_dropped(db_url):
    """The sample's bridge B-001 inspected Ⅱ in 2019 and Ⅱ again in 2024, with a reactive repair (W-001) done
    in 2021 between: dropped while the repair records nothing, split at the repair once it records Ⅰ."""
    database = Database(db_url)
    with database.session() as session:
        ids = add_sample(session)
        session.add(Inspection(asset_id=ids["B-001"], inspected_on=date(2024, 10, 1), soundness=2))

    def bridge() -> dict:
        result = run(db_url, "score", "--model", "--format", "json")
        assert result.exit_code == 0, result.output
        return next(m for m in json.loads(result.stdout) if m["category"] == "bridge")

    before = bridge()
    assert (before["pairs"], before["dropped"]) == (0, {"work:reactive": 1})
    with database.engine.begin() as connection:
        connection.execute(sa.text("UPDATE work_orders SET state_after = 1 WHERE code = 'W-001'"))
    database.dispose()
    after = bridge()
    assert (after["pairs"], after["dropped"]) == (1, {})
    # a move from Ⅰ seen: the best state's hazard rises above what staying put would give
    assert after["theta"][0] > before["theta"][0]


@pytest.mark.parametrize("backend", ["sqlite"])  # the models travel as JSON, the same on both backends
def test_a_second_score_reuses_the_models_until_an_inspection_changes_them(db_url):
    database = Database(db_url)
    with database.session() as session:
        ids = add_sample(session)

    def scored() -> tuple[dict, list]:
        result = run(db_url, "score", "--as-of", "2026-04-01", "--format", "json")
        assert result.exit_code == 0, result.output
        with database.connect() as connection:
            rows = connection.execute(sa.text("SELECT * FROM risk_scores ORDER BY asset_id")).all()
        return json.loads(result.stdout), [tuple(row)[1:] for row in rows]  # all but the run's id

    first, scores = scored()
    second, again = scored()
    assert (first["models"], second["models"]) == ("fitted", "reused")
    assert again == scores  # the very same floats: the models kept at full precision
    with database.session() as session:
        session.add(Inspection(asset_id=ids["B-001"], inspected_on=date(2024, 10, 1), soundness=3))
    third, changed = scored()
    database.dispose()
    assert third["models"] == "fitted" and changed != scores


def test_model_page_in_both_languages(demo_url, client):
    ja = client.get("/risk/models").get_data(as_text=True)
    assert "<h1>劣化予測モデル</h1>" in ja and "95パーセント信用区間" in ja and "<svg" in ja
    assert 'id="model-bridge"' in ja and "Ⅲ" in ja
    en = client.get("/risk/models?lang=en").get_data(as_text=True)
    assert "<h1>Deterioration models</h1>" in en and "spans completed reactive work" in en


def test_listing_before_any_score_says_what_to_run(db_url):
    result = run(db_url, "score", "--top", "3")
    assert result.exit_code == 1 and "run `fm score` first" in result.stderr


def test_overdue_inspections(demo_url, client):
    run(demo_url, "score")
    result = run(demo_url, "inspections", "--overdue", "--fiscal-year", "2026", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows and {row["status"] for row in rows} <= {"overdue", "due", "never_inspected"}
    assert rows == client.get("/api/inspections/due?fiscal_year=2026").get_json()
    overdue = [row for row in rows if row["status"] != "due"]
    scores = [row["risk_score"] for row in overdue]
    assert scores == sorted(scores, reverse=True)


def test_bad_configuration_is_one_line_per_problem(demo_url, tmp_path):
    path = tmp_path / "risk.toml"
    path.write_text("[consequence]\nrailway = -2\n")
    result = run(demo_url, "score", "--config", str(path))
    assert result.exit_code == 1 and "'consequence.railway' must be a number ≥ 0" in result.stderr


NOT_NEEDED_TO_SCORE = ("alembic", "geoalchemy2")
"""What ``fm score`` on SQLite with the models reused does without: the schema check is one query (not Alembic),
geometry columns are read as WKB (not through GeoAlchemy2)."""


@pytest.mark.parametrize("backend", ["sqlite"])  # what a command imports; PostgreSQL needs GeoAlchemy2's events
def test_score_imports_only_what_it_needs(demo_url):
    assert run(demo_url, "score", "--as-of", "2026-04-01").exit_code == 0  # fits the models
    code = (
        "import sys\nfrom fm.cli.running import run\n"  # the command as `fm` runs it, short of its os._exit
        "assert not run(['score', '--as-of', '2026-04-01'])\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {NOT_NEEDED_TO_SCORE!r}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "FM_DATABASE_URL": demo_url},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    *said, loaded = done.stdout.strip().splitlines()
    assert "models reused" in said[-1] and loaded == "[]", done.stdout
