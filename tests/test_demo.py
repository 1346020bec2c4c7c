"""The demo register: reproducible, loadable on both backends, and giving the published figures."""

from __future__ import annotations

import csv
import json
import math
from datetime import date
from fractions import Fraction

import pytest
import sqlalchemy as sa
from clirun import run
from sample import add_sample

from fm.db import Database
from fm.demo.build import build
from fm.demo.dataset import TABLES, demo_folder, write
from fm.demo.scale import generate_scaled
from fm.domain.fiscal import fiscal_year

PUBLISHED = [
    ("plan_coverage", 2025, 52.3),
    ("underused_land", 2025, 9039.08),
    ("aging_ratio", 2024, 67.7),
    ("execution_rate", 2024, 48.0),
]


def counts(url) -> dict[str, int]:
    database = Database(url)
    with database.connect() as connection:
        found = {name: connection.execute(sa.text(f"SELECT count(*) FROM {name}")).scalar() for name in TABLES}
    database.dispose()
    return found


def test_shipped_files_are_what_the_generator_makes(tmp_path):
    write(build(), tmp_path)
    for name in TABLES:
        assert (tmp_path / f"{name}.csv").read_bytes() == (demo_folder() / f"{name}.csv").read_bytes(), name


def test_demo_gives_the_published_figures(db_url):
    result = run(db_url, "demo", "--no-score")
    assert result.exit_code == 0, result.output
    assert "assets 4,315" in result.output
    report = json.loads(run(db_url, "kpi", "--format", "json").stdout)
    values = {(row["indicator"], row["fiscal_year"]): row["value"] for row in report["indicators"]}
    for indicator, year, published in PUBLISHED:
        assert values[(indicator, year)] == published, indicator
    assert report["fiscal_years"] == list(range(2014, 2026))


def test_demo_depreciation_is_exact_to_the_yen_in_every_year(db_url):
    """Every asset's accumulated depreciation and book value, FY2014–FY2025, equal the rule worked out with
    exact fractions (the float product used to leave most categories 29 to 74 yen short)."""
    assert run(db_url, "demo").exit_code == 0
    for year in range(2014, 2026):
        records = json.loads(
            run(db_url, "kpi", "--records", "aging_ratio", "--fiscal-year", str(year), "--format", "json").stdout
        )
        assert records
        for row in records:
            acquired = date.fromisoformat(row["acquisition_date"])
            cost, life = row["acquisition_cost"], row["useful_life_years"]
            share = Fraction(max(year - fiscal_year(acquired), 0), life)
            expected = cost - 1 if share >= 1 else math.floor(cost * share)
            assert row["accumulated_depreciation"] == expected, (year, row["code"])
            assert row["book_value"] == cost - expected


def test_demo_is_idempotent_and_reset_starts_over(db_url):
    assert run(db_url, "demo", "--no-score").exit_code == 0
    before = counts(db_url)
    again = run(db_url, "demo", "--no-score")
    assert again.exit_code == 0 and "already loaded" in again.output
    assert counts(db_url) == before
    reset = run(db_url, "demo", "--no-score", "--reset")
    assert reset.exit_code == 0 and counts(db_url) == before


def test_demo_refuses_a_register_of_other_data(db_url):
    database = Database(db_url)
    with database.session() as session:
        add_sample(session)
    database.dispose()
    result = run(db_url, "demo", "--no-score")
    assert result.exit_code == 1 and "already holds 6 assets" in result.stderr and "--reset" in result.stderr
    assert counts(db_url)["assets"] == 6


def test_kpi_records_and_api_agree(db_url, client):
    run(db_url, "demo", "--no-score")
    cli_json = json.loads(
        run(db_url, "kpi", "--records", "underused_land", "--fiscal-year", "2025", "--format", "json").stdout
    )
    api_json = client.get("/api/kpi/underused_land/records?fiscal_year=2025").get_json()
    assert cli_json == api_json
    assert round(sum(row["area_m2"] for row in api_json), 2) == 9039.08
    assert (
        run(db_url, "kpi", "--fiscal-year", "2025", "--format", "json").stdout
        == client.get("/api/kpi?fiscal_year=2025").get_data(as_text=True) + "\n"
    )


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/api/kpi?fiscal_year=abc", "fiscal_year must be a year"),
        ("/api/kpi?fiscal_year=²", "fiscal_year must be a year"),
        ("/api/risk?top=²", "top must be a whole number from 1 to 9999999"),
        ("/api/kpi/happiness/records?fiscal_year=2025", "unknown indicator 'happiness'"),
        ("/api/kpi/aging_ratio/records", "fiscal_year is required"),
        ("/api/kpi?convention=monthly", "convention must be"),
    ],
)
def test_api_rejects_bad_parameters(client, path, message):
    response = client.get(path)
    assert response.status_code == 400 and message in response.get_json()["error"]["message"]


def test_targets_can_be_set_and_removed(db_url):
    assert run(db_url, "targets", "set", "underused_land", "--fiscal-year", "2030", "--value", "5000").exit_code == 0
    report = json.loads(run(db_url, "kpi", "--fiscal-year", "2025", "--format", "json").stdout)
    # no records at all: values undefined or zero, but the target is there
    land = next(row for row in report["indicators"] if row["indicator"] == "underused_land")
    assert land["target"]["value"] == 5000.0 and land["target"]["fiscal_year"] == 2030
    assert run(db_url, "targets", "set", "underused_land", "--fiscal-year", "2030").exit_code == 0
    assert "underused_land" not in run(db_url, "targets").output
    bad = run(db_url, "targets", "set", "plan_coverage", "--fiscal-year", "2030", "--value", "-5")
    assert bad.exit_code == 1 and "negative" in bad.stderr


def test_scaled_register_loads(tmp_path, db_url):
    written = generate_scaled(3000, tmp_path / "scaled", chunk=1000)
    assert written["assets"] == 3000 and written["inspections"] > 3000
    result = run(db_url, "demo", "--no-score", "--data", str(tmp_path / "scaled"))
    assert result.exit_code == 0, result.output
    assert counts(db_url)["assets"] == 3000


def test_incomplete_dataset_is_named(tmp_path, db_url):
    (tmp_path / "assets.csv").write_text("id,code\n")
    result = run(db_url, "demo", "--no-score", "--data", str(tmp_path))
    assert result.exit_code == 1 and "missing districts.csv" in result.stderr


def test_loader_refuses_unknown_columns_and_takes_empty_tables(tmp_path, db_url):
    write(build(), tmp_path)
    (tmp_path / "indicator_targets.csv").write_text("id,indicator,target_year,target_value,source\n")
    assert run(db_url, "demo", "--no-score", "--data", str(tmp_path)).exit_code == 0
    assert counts(db_url)["indicator_targets"] == 0
    (tmp_path / "districts.csv").write_text((tmp_path / "districts.csv").read_text().replace("id,code", "id,colour", 1))
    result = run(db_url, "demo", "--no-score", "--data", str(tmp_path), "--reset")
    assert result.exit_code == 1 and "districts.csv: unknown column(s) colour" in result.stderr
    assert counts(db_url)["assets"] == 4315  # nothing half-written


def test_loader_names_a_geometry_its_column_cannot_hold(tmp_path, db_url):
    write(build(), tmp_path)
    assert run(db_url, "demo", "--no-score", "--data", str(tmp_path)).exit_code == 0
    parcels = tmp_path / "land_parcels.csv"
    with parcels.open(newline="") as file:
        rows = list(csv.reader(file))
    rows[3][rows[0].index("geom")] = "POINT (139.55 35.32)"
    with parcels.open("w", newline="") as file:
        csv.writer(file).writerows(rows)
    result = run(db_url, "demo", "--no-score", "--data", str(tmp_path), "--reset")
    assert result.exit_code == 1
    assert "land_parcels.csv line 4, geom: geometry is a Point; this column holds MULTIPOLYGON" in result.stderr
    assert counts(db_url)["assets"] == 4315  # nothing half-written: the reset undone with the load


def test_reset_forgets_old_risk_runs(db_url):
    assert run(db_url, "demo", "--no-score").exit_code == 0 and run(db_url, "score").exit_code == 0
    assert run(db_url, "demo", "--no-score", "--reset").exit_code == 0
    result = run(db_url, "score", "--top", "3")
    assert result.exit_code == 1 and "run `fm score` first" in result.stderr


def test_demo_comes_scored_with_its_duties(db_url):
    result = run(db_url, "demo")
    assert result.exit_code == 0 and "risk scored for" in result.output
    top = json.loads(run(db_url, "score", "--top", "5", "--format", "json").stdout)
    assert len(top["scores"]) == 5
    duties = json.loads(run(db_url, "duties", "--format", "json").stdout)
    fourth = [d for d in duties if d["soundness"] == "Ⅳ"]
    # Every structure judged Ⅳ was restricted (or repaired) within the grace days, as a city would.
    assert fourth and all(d["met"] and d["state"] in ("restricted", "started", "completed") for d in fourth)
    assert any(d["soundness"] == "Ⅲ" and d["overdue"] > 0 for d in duties)  # the new figures mean something
    assert run(db_url, "demo").output.count("risk scored") == 0  # loaded and scored already: nothing to do
