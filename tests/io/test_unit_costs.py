"""Renewal unit costs as data: exported with the packaged starting values, edited, imported back (validated,
audited, all or nothing); a changed unit cost moves `fm renewal` by exactly the amount worked out by hand."""

from __future__ import annotations

import json

import openpyxl
import sqlalchemy as sa
from clirun import run
from shapely import LineString, Point

from fm.db import Database
from fm.model import Asset


def _renewal(url: str) -> dict:
    out = run(url, "renewal", "--start", "2027", "--years", "40", "--format", "json")
    assert out.exit_code == 0, out.output
    return json.loads(out.stdout)["scenarios"]


def test_unit_costs_round_trip_change_and_refusal(db_url, tmp_path):
    database = Database(db_url)
    with database.session() as session:
        session.add_all(
            [
                Asset(
                    code="R-1",
                    name="市道1号",
                    category="road",
                    geom=LineString([(139.55, 35.31), (139.551, 35.31)]),
                    year_built=2000,
                    length_m=150.0,
                    width_m=10.0,
                ),
                Asset(
                    code="S-1",
                    name="第一小学校",
                    category="school",
                    geom=Point(139.55, 35.32),
                    year_built=2000,
                    floor_area_m2=1000.0,
                ),
            ]
        )
    before = _renewal(db_url)
    path = tmp_path / "unit_costs.xlsx"
    assert run(db_url, "export", "unit-costs", str(path)).exit_code == 0
    book = openpyxl.load_workbook(path)
    sheet = book.active
    assert [c.value for c in sheet[1]] == ["施設区分", "大規模改修単価（円）", "更新単価（円）", "鋼橋更新単価（円）"]
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    assert [c.value for c in rows["school"]] == ["school", 170_000, 330_000, None]  # the packaged 17 / 33 万円/m²
    assert [c.value for c in rows["bridge"]] == ["bridge", None, 425_000, 500_000]
    unchanged = json.loads(run(db_url, "import", "unit-costs", str(path), "--format", "json").stdout)
    assert (unchanged["added"], unchanged["updated"], unchanged["unchanged"]) == (0, 0, 15)
    assert _renewal(db_url) == before
    english = tmp_path / "unit_costs.csv"
    assert run(db_url, "export", "unit-costs", str(english), "--lang", "en").exit_code == 0
    assert english.read_text(encoding="utf-8-sig").splitlines()[0] == (
        "category,refurbish_yen,renewal_yen,steel_renewal_yen"
    )
    again = json.loads(run(db_url, "import", "unit-costs", str(english), "--format", "json").stdout)
    assert (again["format"], again["updated"], again["unchanged"]) == ("CSV", 0, 15)

    rows["road"][2].value = 5_000  # was 4,700 yen/m²
    rows["school"][1].value = 180_000  # refurbishment, was 170,000 yen/m²
    book.save(path)
    done = json.loads(run(db_url, "import", "unit-costs", str(path), "--format", "json").stdout)
    assert (done["added"], done["updated"], done["unchanged"]) == (0, 2, 13)
    after = _renewal(db_url)
    # road: 1,500 m² ÷ 15 years × 300 yen more = 30,000 a year, 40 years; ÷ 20 years in the extended scenario.
    # school (built 2000): refurbished at 30 in FY2030 in the simple scenario, 1,000 m² × 10,000 yen more;
    # the extended scenario's events are shares of the rebuilding cost, which did not change.
    assert after["simple"]["total"] - before["simple"]["total"] == 40 * 30_000 + 10_000_000
    assert after["extended"]["total"] - before["extended"]["total"] == 40 * 22_500
    with database.session() as session:
        entries = session.execute(
            sa.text("SELECT action, record_code FROM audit_log WHERE table_name = 'renewal_unit_costs' ORDER BY id")
        ).all()
    assert sorted(tuple(e) for e in entries) == [("update", "road"), ("update", "school")]

    rows["road"][2].value = 0
    rows["hall"][2].value = -5
    sheet.append(["moon_base", 1, 2, None])
    book.save(path)
    refused = run(db_url, "import", "unit-costs", str(path))
    assert refused.exit_code == 1
    assert "更新単価（円）: '0' must be greater than 0" in refused.output
    assert "更新単価（円）: '-5' must be greater than 0" in refused.output
    assert "moon_base" in refused.output
    rows["road"][2].value, rows["hall"][2].value = 6_000, 400_000
    sheet.delete_rows(sheet.max_row)
    rows["bridge"][1].value = 100  # a bridge has no refurbishment in the projection
    book.save(path)
    refused = run(db_url, "import", "unit-costs", str(path))
    assert refused.exit_code == 1 and "bridge has no refurbishment" in refused.output
    assert _renewal(db_url) == after  # nothing of the refused files was written (road stays 5,000)
    database.dispose()
