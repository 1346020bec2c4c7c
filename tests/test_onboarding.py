"""A second city from files alone: 架空市 (geodata/onboarding/kaso/, made by make_city.py) onboarded into a fresh
database in the order docs/onboarding.md gives, then every indicator, the risk scores, a map and the dashboard.
Nothing of Kamakura (no demo) is in the database."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

from clirun import run

from fm.domain.maps import packed

CITY = Path(__file__).resolve().parent.parent / "geodata" / "onboarding"
FILES = (
    ("districts", "districts.geojson", 4),
    ("assets", "assets.csv", 222),
    ("inspections", "inspections.csv", 296),
    ("work_orders", "work_orders.csv", 37),
    ("plans", "plans.xlsx", 3),
    ("ledger", "ledger.csv", 228),
)


def test_the_script_makes_the_files_shipped(tmp_path):
    runpy.run_path(str(CITY / "make_city.py"), run_name="make")["main"](tmp_path)
    for name in ("assets.csv", "inspections.csv", "work_orders.csv", "ledger.csv", "districts.geojson"):
        assert (tmp_path / name).read_bytes() == (CITY / "kaso" / name).read_bytes(), name


def test_a_city_from_files_alone(db_url, app, client_as, tmp_path):
    for kind, name, count in FILES:
        extra = ["--fiscal-year", "2024"] if kind == "ledger" else []
        result = run(db_url, "import", kind, str(CITY / "kaso" / name), *extra, "--format", "json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["added"] == count, kind
    matched = json.loads(run(db_url, "ledger", "match", "--format", "json").stdout)["counts"]
    assert matched == {"matched": 222, "doubtful": 0, "unmatched": 0, "outside": 6}

    report = json.loads(run(db_url, "kpi", "--fiscal-year", "2024", "--format", "json").stdout)
    values = {row["indicator"]: row["value"] for row in report["indicators"]}
    assert len(values) == 8 and values["plan_coverage"] and values["execution_rate"] and values["preventive_share"]
    # The register's aging ratio and the ledger's (made from the same costs and lives) agree.
    ledger = json.loads(run(db_url, "ledger", "aging", "--format", "json").stdout)["totals"]
    assert ledger["ledger_ratio"] == ledger["fm_ratio"] == round(values["aging_ratio"], 1)

    scored = run(db_url, "score")
    assert scored.exit_code == 0 and "222 assets scored" in scored.output, scored.output
    assert run(db_url, "map", "risk", str(tmp_path / "risk.html")).exit_code == 0
    html = (tmp_path / "risk.html").read_text(encoding="utf-8")
    start = html.index('"packed":') + len('"packed":')  # the file's features, packed (fm/domain/maps/packed.py)
    cards = packed.unpack(json.JSONDecoder().raw_decode(html, start)[0])["card"]
    assert "架空橋1" in {card["name"] for card in cards}

    viewer = client_as("viewer")
    page = viewer.get("/dashboard?fiscal_year=2024&lang=en")
    assert page.status_code == 200 and "Individual facility plan coverage" in page.get_data(as_text=True)
    assert viewer.get("/plans").status_code == 200 and viewer.get("/ledger").status_code == 200
    assert "北部" in viewer.get("/api/stats").get_data(as_text=True)
