"""Issue 17: every yen exact and every odd cell caught, on SQLite and PostGIS.

Money goes from the file to the database and back as integers (never through float64); an odd cell is
refused with its row, field, value and reason and the database left exactly as it was, or stored as
the user meant it.
"""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from clirun import run
from databases import new_database
from iosample import rows as sql  # (named sql here: these tests name their CSV rows `rows`)
from iosample import seed

MOST = 2**63 - 1
BIG = 12_345_678_901_234_567  # above 2**53: float64 would store 12,345,678,901,234,568


@pytest.fixture(scope="module", params=["sqlite", "postgis"])
def url(request, tmp_path_factory) -> str:
    """A seeded database per backend, for the refusals (none of which may change it)."""
    url = new_database(request.param, tmp_path_factory.mktemp("exact"), request)
    seed(url)
    return url


@pytest.fixture
def fresh(db_url) -> str:
    """A seeded database per test, for the imports that write."""
    seed(db_url)
    return db_url


def everything(url: str) -> dict[str, list]:
    return {
        name: sql(url, f"SELECT * FROM {name} ORDER BY id")
        for name in ("assets", "work_orders", "inspections", "land_parcels", "parcel_uses", "districts")
    }


def rejected(url: str, kind: str, path: Path) -> str:
    """Import ``path``, expect it refused with nothing written; return the message."""
    before = everything(url)
    result = run(url, "import", kind, str(path))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert everything(url) == before
    return result.stderr


def imported(url: str, kind: str, path: Path, *options: str) -> str:
    result = run(url, "import", kind, str(path), *options)
    assert result.exit_code == 0, result.output
    return result.stdout


def write_csv(path: Path, rows: list[dict]) -> Path:
    pd.DataFrame(rows, dtype=str).to_csv(path, index=False)
    return path


NEW = {"code": "N-001", "name": "新規施設", "category": "school", "lon": "139.55", "lat": "35.32"}


# ---- money: integer yen end to end -------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_large_amounts_are_stored_and_exported_to_the_yen(fresh, tmp_path, suffix):
    rows = [
        {**NEW, "acquisition_cost": str(BIG), "replacement_cost": str(MOST)},
        {
            **NEW,
            "code": "N-002",
            "acquisition_cost": "１２，３４５，６７８，９０１，２３４，５６７円",
            "replacement_cost": "",
        },
        {**NEW, "code": "N-003", "acquisition_cost": "9007199254740993", "replacement_cost": "1,000"},
    ]
    path = tmp_path / f"big{suffix}"
    if suffix == ".csv":
        write_csv(path, rows)
    else:  # Excel's numbers are doubles: 17 digits are typed as text there, small amounts as numbers
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(list(rows[0]))
        for record in rows:
            sheet.append(
                [int(v) if v.isascii() and v.isdigit() and len(v) < 10 else (v or None) for v in record.values()]
            )
        book.save(path)
    imported(fresh, "assets", path)
    expected = [("N-001", BIG, MOST), ("N-002", BIG, None), ("N-003", 2**53 + 1, 1000)]
    query = "SELECT code, acquisition_cost, replacement_cost FROM assets WHERE code LIKE 'N-%' ORDER BY code"
    assert sql(fresh, query) == expected
    out = tmp_path / f"out{suffix}"
    assert run(fresh, "export", "assets", str(out), "--lang", "en").exit_code == 0
    if suffix == ".csv":
        back = pd.read_csv(out, dtype=str).set_index("code")
        values = [
            (c, back.at[c, "acquisition_cost"], back.at[c, "replacement_cost"]) for c in ("N-001", "N-002", "N-003")
        ]
    else:
        sheet = openpyxl.load_workbook(out, read_only=True).active
        table = list(sheet.iter_rows(values_only=True))
        columns = [str(h).split(" (")[0] for h in table[0]]
        found = {row[columns.index("code")]: row for row in table[1:]}
        values = [
            (c, found[c][columns.index("acquisition_cost")], found[c][columns.index("replacement_cost")])
            for c in ("N-001", "N-002", "N-003")
        ]
    assert [(c, str(a), None if pd.isna(r) else str(r)) for c, a, r in values] == [
        (c, str(a), None if r is None else str(r)) for c, a, r in expected
    ]
    # and the exported file imports back as it is: nothing changes
    assert "0 added, 0 updated" in imported(fresh, "assets", out)
    assert sql(fresh, query) == expected


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("1e20", "too large (at most 9,223,372,036,854,775,807)"),
        (str(MOST + 1), "too large (at most 9,223,372,036,854,775,807)"),
        ("100000000000000000000000", "too large"),
        ("12.5", "must be a whole number of yen"),
        ("-1", "must not be negative"),
    ],
)
def test_an_amount_the_column_cannot_hold_is_refused_with_its_line_and_field(url, tmp_path, value, words):
    path = tmp_path / "a.csv"
    pd.DataFrame([{**NEW, "code": "N-009", "取得価額": "1000"}, {**NEW, "取得価額": value}], dtype=str).to_csv(
        path, index=False
    )
    message = rejected(url, "assets", path)
    assert f"line 3, 取得価額: '{value}' {words}" in message, message
    assert "1 problem(s)" in message


def _geojson(path: Path, costs: list[float]) -> Path:
    """Points of new schools whose acquisition costs are JSON numbers (a float column, as GDAL reads them)."""
    features = [
        {
            "type": "Feature",
            "properties": {"code": f"G-{n:03d}", "name": "新規施設", "category": "school", "acquisition_cost": cost},
            "geometry": {"type": "Point", "coordinates": [139.55, 35.32]},
        }
        for n, cost in enumerate(costs)
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


def test_amounts_read_as_floats_are_whole_yen_exactly_or_refused(fresh, tmp_path):
    """A spatial file's numbers come as floats: whole ones int64 holds are stored exactly; any other is refused."""
    message = rejected(fresh, "assets", _geojson(tmp_path / "odd.geojson", [1000.0, 12.5, 1e20, -(2.0**63), 2.0**63]))
    assert "feature 2, acquisition_cost: '12.5' must be a whole number of yen" in message, message
    assert "feature 3, acquisition_cost: '1e+20' too large (at most 9,223,372,036,854,775,807)" in message, message
    assert "feature 4, acquisition_cost: '-9.223372036854776e+18' must not be negative" in message, message
    assert "feature 5, acquisition_cost: '9.223372036854776e+18' too large" in message, message
    assert "4 problem(s)" in message
    imported(fresh, "assets", _geojson(tmp_path / "whole.geojson", [1000.0, 2.5e16, 0.0, 9007199254740993.0]))
    stored = sql(fresh, "SELECT code, acquisition_cost FROM assets WHERE code LIKE 'G-%' ORDER BY code")
    assert stored == [("G-000", 1000), ("G-001", 25 * 10**15), ("G-002", 0), ("G-003", 9007199254740992)]


def test_a_count_beyond_an_integer_column_is_refused(url, tmp_path):
    message = rejected(url, "assets", write_csv(tmp_path / "a.csv", [{**NEW, "annual_users": str(2**31)}]))
    assert "line 2, annual_users: '2147483648' too large (at most 2,147,483,647)" in message, message


# ---- odd cells and files -------------------------------------------------------------------------------------


def test_a_field_given_twice_is_named_with_both_headers(url, tmp_path):
    path = tmp_path / "twice.csv"
    path.write_text("code,name,category,取得価額,acquisition_cost\nN-001,甲,school,100,200\n", encoding="utf-8")
    message = rejected(url, "assets", path)
    assert "line 1: 取得価額 and acquisition_cost are the same field" in message, message
    book = openpyxl.Workbook()
    book.active.append(["資産一覧"])  # a title row: the header is row 2
    book.active.append(["code", "名称", "name", "category"])
    book.active.append(["N-001", "甲", "乙", "school"])
    book.save(tmp_path / "twice.xlsx")
    message = rejected(url, "assets", tmp_path / "twice.xlsx")
    assert "row 2: 名称 and name are the same field" in message, message


def _workbook_with_formula(path: Path, saved: str | None) -> Path:
    """A sheet whose 取得価額 cell is the formula =1000*2; ``saved``: the value Excel would save with it."""
    book = openpyxl.Workbook()
    book.active.append(["code", "name", "category", "取得価額"])
    book.active.append(["B-001", "滑川橋", "bridge", "=1000*2"])
    book.save(path)
    if saved is not None:  # what Excel writes: the formula and its last value (openpyxl writes no value)
        import zipfile

        with zipfile.ZipFile(path) as archive:
            parts = {name: archive.read(name) for name in archive.namelist()}
        sheet = parts["xl/worksheets/sheet1.xml"].decode()
        assert "<f>1000*2</f><v></v>" in sheet or "<f>1000*2</f><v />" in sheet, sheet
        sheet = sheet.replace("<f>1000*2</f><v></v>", f"<f>1000*2</f><v>{saved}</v>")
        parts["xl/worksheets/sheet1.xml"] = sheet.replace("<f>1000*2</f><v />", f"<f>1000*2</f><v>{saved}</v>").encode()
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in parts.items():
                archive.writestr(name, data)
    return path


def test_a_formula_without_its_saved_value_is_refused_never_stored_empty(url, tmp_path):
    message = rejected(url, "assets", _workbook_with_formula(tmp_path / "f.xlsx", None))
    assert "row 2, 取得価額: '=1000*2' a formula whose value the file does not hold" in message, message


def test_a_formula_with_its_saved_value_gives_that_value(fresh, tmp_path):
    imported(fresh, "assets", _workbook_with_formula(tmp_path / "f.xlsx", "2000"))
    assert sql(fresh, "SELECT acquisition_cost FROM assets WHERE code = 'B-001'") == [(2000,)]


def test_a_category_change_must_fit_the_stored_geometry(url, tmp_path):
    # B-001 is a bridge drawn as a point: a road must be a line
    message = rejected(url, "assets", write_csv(tmp_path / "c.csv", [{"code": "B-001", "category": "road"}]))
    assert (
        "line 2, category: 'road' a road must be a line, and the stored geometry of B-001 is a point: "
        "give the new geometry in the file" in message
    ), message


def test_a_category_change_that_fits_keeps_the_geometry_and_one_with_a_line_is_taken(fresh, tmp_path):
    before = sql(fresh, "SELECT code, geom FROM assets WHERE code = 'B-001'")
    imported(fresh, "assets", write_csv(tmp_path / "c.csv", [{"code": "B-001", "category": "school"}]))
    assert sql(fresh, "SELECT category FROM assets WHERE code = 'B-001'") == [("school",)]
    assert sql(fresh, "SELECT code, geom FROM assets WHERE code = 'B-001'") == before
    line = [{"code": "B-001", "category": "road", "wkt (EPSG:4326)": "LINESTRING (139.55 35.31, 139.56 35.32)"}]
    imported(fresh, "assets", write_csv(tmp_path / "r.csv", line))
    assert sql(fresh, "SELECT category FROM assets WHERE code = 'B-001'") == [("road",)]


def test_a_list_of_codes_and_names_renames_assets_and_changes_nothing_else(fresh, tmp_path):
    others = "SELECT code, category, acquisition_cost, replacement_cost, district_id, geom FROM assets ORDER BY id"
    before = sql(fresh, others)
    out = imported(
        fresh,
        "assets",
        write_csv(
            tmp_path / "n.csv",
            [{"資産番号": "B-001", "名称": "滑川橋（新）"}, {"資産番号": "L-001", "名称": "図書館（改称）"}],
        ),
    )
    assert "0 added, 2 updated" in out
    assert sql(fresh, "SELECT name FROM assets WHERE code IN ('B-001', 'L-001') ORDER BY code") == [
        ("滑川橋（新）",),
        ("図書館（改称）",),
    ]
    assert sql(fresh, others) == before


def test_a_list_of_codes_and_names_cannot_add_an_asset(url, tmp_path):
    rows = [{"code": "B-001", "name": "滑川橋"}, {"code": "N-404", "name": "新しい施設"}]
    message = rejected(url, "assets", write_csv(tmp_path / "n.csv", rows))
    assert (
        "line 3, code: 'N-404' no such record to update, and a new one needs category (施設区分), "
        "which the file has no column for" in message
    ), message
    assert "1 problem(s)" in message


def test_codes_match_after_nfkc_and_in_any_case(fresh, tmp_path):
    rows = [
        {"code": "ｂ－００１", "name": "滑川橋（全角）"},  # full-width, lower case: B-001
        {"code": " l-001 ", "name": "図書館"},
    ]
    count = sql(fresh, "SELECT count(*) FROM assets")
    out = imported(fresh, "assets", write_csv(tmp_path / "w.csv", rows))
    assert "0 added, 2 updated" in out
    assert sql(fresh, "SELECT count(*) FROM assets") == count
    assert sql(fresh, "SELECT code, name FROM assets WHERE name IN ('滑川橋（全角）', '図書館') ORDER BY code") == [
        ("B-001", "滑川橋（全角）"),
        ("L-001", "図書館"),
    ]
    # an inspection and a work order name their asset in full width too
    inspection = [{"asset_code": "Ｓ－００１", "inspected_on": "2024-06-01", "soundness": "２"}]
    imported(fresh, "inspections", write_csv(tmp_path / "i.csv", inspection))
    assert sql(
        fresh,
        "SELECT i.soundness FROM inspections i JOIN assets a ON a.id = i.asset_id "
        "WHERE a.code = 'S-001' AND i.inspected_on = '2024-06-01'",
    ) == [(2,)]
    # a new code is stored in its NFKC form
    imported(fresh, "assets", write_csv(tmp_path / "new.csv", [{**NEW, "code": "Ｎ－００７"}]))
    assert sql(fresh, "SELECT code FROM assets WHERE name = '新規施設'") == [("N-007",)]


def test_the_same_code_in_two_spellings_is_a_duplicate(url, tmp_path):
    rows = [{**NEW, "code": "N-100"}, {**NEW, "code": "ｎ－１００"}]
    message = rejected(url, "assets", write_csv(tmp_path / "d.csv", rows))
    assert "line 3, code: 'n-100' duplicate: the same code as line 2" in message, message


@pytest.mark.parametrize("text", ["\x00", "\x00\x00", "滑川\x07橋", "\x1b[31m"])
def test_control_characters_in_text_are_refused(url, tmp_path, text):
    message = rejected(url, "assets", write_csv(tmp_path / "c.csv", [{**NEW, "name": text}]))
    assert f"line 2, name: {text!r} contains control characters" in message, message


def test_line_breaks_and_tabs_in_text_are_kept(fresh, tmp_path):
    imported(fresh, "assets", write_csv(tmp_path / "t.csv", [{**NEW, "notes": "一行目\n二行目\tタブ"}]))
    assert sql(fresh, "SELECT notes FROM assets WHERE code = 'N-001'") == [("一行目\n二行目\tタブ",)]


def test_moving_a_work_order_to_another_asset_is_said_in_the_summary(fresh, tmp_path):
    path = write_csv(tmp_path / "w.csv", [{"工事番号": "w-001", "資産番号": "B-002"}])
    stored = sql(fresh, "SELECT a.code FROM work_orders w JOIN assets a ON a.id = w.asset_id WHERE w.code = 'W-001'")
    assert stored == [("B-001",)]
    dry = run(fresh, "import", "work_orders", str(path), "--dry-run", "--format", "json")
    found = json.loads(dry.stdout)
    assert found["moved"] == 1
    assert found["moves"] == [{"row": "line 2", "code": "W-001", "from": "B-001", "to": "B-002"}]
    out = imported(fresh, "work_orders", path)
    assert "0 added, 1 updated" in out
    assert "line 2: work order W-001 moved from asset B-001 to B-002" in out
    assert sql(fresh, "SELECT a.code FROM work_orders w JOIN assets a ON a.id = w.asset_id WHERE w.code = 'W-001'") == [
        ("B-002",)
    ]
    # re-imported as it now is: nothing moves
    assert "moved" not in imported(fresh, "work_orders", path)
