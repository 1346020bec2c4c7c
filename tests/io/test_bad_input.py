"""Bad files are refused whole: every problem named by row and field, and the database left exactly as it was.

The cases share one seeded database per backend (module scope); each compares every
record table, ids and timestamps included, before and after.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa
from clirun import run
from databases import new_database
from iosample import RECORD_TABLES, seed
from shapely import Point, box

from fm.db import Database

GOOD = {
    "code": "N-001",
    "name": "新規施設",
    "category": "school",
    "lon": "139.55",
    "lat": "35.32",
    "acquisition_cost": "1000",
    "acquisition_date": "2001-04-01",
    "status": "in_service",
}


@pytest.fixture(scope="module", params=["sqlite", "postgis"])
def url(request, tmp_path_factory) -> str:
    """A database holding the sample, shared by the module's tests (none of which may change it)."""
    url = new_database(request.param, tmp_path_factory.mktemp("bad"), request)
    seed(url)
    return url


def contents(url: str) -> dict[str, list]:
    database = Database(url)
    with database.connect() as connection:
        found = {
            name: connection.execute(sa.text(f"SELECT * FROM {name} ORDER BY id")).all()
            for name in (*RECORD_TABLES, "districts")
        }
    database.dispose()
    return found


def rejected(url: str, kind: str, path: Path, *options: str) -> str:
    """Import ``path``, expect it refused with nothing written; return the message."""
    before = contents(url)
    result = run(url, "import", kind, str(path), *options)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert contents(url) == before
    return result.stderr


def csv(tmp_path: Path, *rows: dict, name: str = "file.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    pd.DataFrame([{**GOOD, "code": f"N-{i:03d}", **row} for i, row in enumerate(rows, start=1)]).to_csv(
        path, index=False, encoding=encoding
    )
    return path


CSV_CASES = {  # one bad value on the second data row (line 3): field, value, expected words
    "negative cost": ("acquisition_cost", "-5", "must not be negative"),
    "non-numeric cost": ("acquisition_cost", "高い", "not a number"),
    "fractional yen": ("acquisition_cost", "12.5", "whole number"),
    "unknown category": ("category", "castle", "unknown category"),
    "unknown status": ("status", "demolished", "not one of in_service, closed, disposed"),
    "date in the future": ("acquisition_date", "2999-01-01", "is in the future"),
    "unparsable date": ("acquisition_date", "2024-13-45", "not a date"),
    "missing required": ("name", "", "required"),
    "coordinates not numbers": ("lon", "東経139度", "not numbers"),
}


@pytest.mark.parametrize("case", CSV_CASES, ids=list(CSV_CASES))
def test_bad_value_in_csv(url, tmp_path, case):
    field, value, words = CSV_CASES[case]
    message = rejected(url, "assets", csv(tmp_path, {}, {field: value}))
    shown_field = "lon/lat" if field == "lon" else field
    assert f"line 3, {shown_field}" in message and words in message, message
    assert "1 problem(s), nothing imported" in message


@pytest.mark.parametrize(
    ("lon", "lat", "words"),
    [
        ("35.32", "139.55", "longitude and latitude look swapped"),
        ("2.35", "48.85", "outside Japan"),
    ],
)
def test_geometry_outside_japan(url, tmp_path, lon, lat, words):
    message = rejected(url, "assets", csv(tmp_path, {"lon": lon, "lat": lat}))
    assert "line 2, lon/lat" in message and words in message, message


def test_every_bad_row_is_listed_in_japanese_headers(url, tmp_path):
    path = tmp_path / "ja.csv"
    pd.DataFrame(
        {
            "資産番号": ["A", "B", "A", "C"],
            "名称": ["一", "", "三", "四"],
            "施設区分": ["school", "school", "school", "castle"],
            "取得価額（円）": ["1,000", "-1", "x", "2"],
        }
    ).to_csv(path, index=False, encoding="utf-8-sig")
    message = rejected(url, "assets", path)
    for expected in (
        "line 3, 名称: required",
        "line 3, 取得価額（円）: '-1' must not be negative",
        "line 4, 取得価額（円）: 'x' not a number",
        "line 4, 資産番号: 'A' duplicate",
        "the same code as line 2",
        "line 5, 施設区分: 'castle' unknown category",
    ):
        assert expected in message, message
    assert "5 problem(s)" in message


def test_json_lists_problems_as_records(url, tmp_path):
    before = contents(url)
    result = run(url, "import", "assets", str(csv(tmp_path, {"acquisition_cost": "-5"})), "--format", "json")
    assert result.exit_code == 1 and contents(url) == before
    problems = json.loads(result.stdout)["problems"]
    assert problems == [
        {"row": "line 2", "field": "acquisition_cost", "value": "-5", "message": "must not be negative"}
    ]


def wkt_parcels(tmp_path: Path, wkt: str, header: str = "wkt (EPSG:4326)") -> Path:
    path = tmp_path / "parcels.csv"
    pd.DataFrame(
        {"code": ["LP-9", "LP-10"], header: ["POLYGON ((139.5 35.3, 139.51 35.3, 139.51 35.31, 139.5 35.3))", wkt]}
    ).to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("wkt", "words"),
    [
        (
            "POLYGON ((139.5 35.3, 139.51 35.31, 139.51 35.3, 139.5 35.31, 139.5 35.3))",
            "invalid geometry: Self-intersection",
        ),
        ("POLYGON EMPTY", "empty geometry"),
        ("POLYGON ((139.5 35.3, 139.51", "not valid WKT"),
        ("POINT (139.5 35.3)", "must be a polygon"),
        ("", "required: no geometry"),
    ],
    ids=["self-intersecting", "empty", "not wkt", "point for a parcel", "no geometry"],
)
def test_bad_geometry(url, tmp_path, wkt, words):
    message = rejected(url, "parcels", wkt_parcels(tmp_path, wkt))
    assert "line 3, wkt (EPSG:4326)" in message and words in message, message


def test_wkt_without_crs_needs_crs(url, tmp_path):
    path = wkt_parcels(tmp_path, "POLYGON ((139.6 35.3, 139.61 35.3, 139.61 35.31, 139.6 35.3))", header="wkt")
    assert "does not say its coordinate reference system" in rejected(url, "parcels", path)
    dry = run(url, "import", "parcels", str(path), "--crs", "4326", "--dry-run")
    assert dry.exit_code == 0 and "2 added" in dry.output, dry.output


def gpkg(tmp_path: Path, crs, geometry=None, name: str = "assets.gpkg") -> Path:
    frame = gpd.GeoDataFrame(
        {"code": ["G-1"], "name": ["点"], "category": ["school"]}, geometry=[geometry or Point(139.55, 35.32)], crs=crs
    )
    frame.to_file(tmp_path / name, layer="assets")
    return tmp_path / name


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_geopackage_without_crs(url, tmp_path):
    path = gpkg(tmp_path, None)
    assert "does not say its coordinate reference system: give it with --crs" in rejected(url, "assets", path)
    assert run(url, "import", "assets", str(path), "--crs", "4326", "--dry-run").exit_code == 0


def test_geopackage_with_a_wrong_crs(url, tmp_path):
    metres = gpkg(tmp_path, 4326, Point(-12_000.0, -48_000.0))
    message = rejected(url, "assets", metres)
    assert "feature 1, geometry" in message and "look like metres of a plane CRS" in message, message
    plane = gpkg(tmp_path, 6677, Point(-12_000.0, -48_000.0), name="plane.gpkg")
    assert "the file says its CRS is EPSG:6677 but --crs says EPSG:4326" in rejected(
        url, "assets", plane, "--crs", "4326"
    )
    assert "not a known EPSG code" in rejected(url, "assets", plane, "--crs", "99999")


def test_inspection_problems(url, tmp_path):
    path = tmp_path / "inspections.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["点検結果一覧"])  # a title row above the header
    sheet.append(["資産番号", "点検日", "健全度", "状態評価"])
    sheet.append(["B-001", "2025-05-01", "Ⅲ", None])
    sheet.append(["NOPE-1", "2025-05-02", "V", None])
    sheet.append(["B-002", "2025-05-03", 2, 3])
    book.save(path)
    message = rejected(url, "inspections", path)
    assert "row 4, 資産番号: 'NOPE-1' no asset with this code in the database" in message, message
    assert "row 4, 健全度: 'V' not a soundness class" in message
    assert "row 5, 健全度: '2' give exactly one of 健全度 and 状態評価" in message
    assert "row 3" not in message


def test_work_order_problems(url, tmp_path):
    path = tmp_path / "work.geojson"
    frame = pd.DataFrame(
        {
            "code": ["W-9", "W-10"],
            "asset_code": ["B-001", "ZZZ"],
            "kind": ["reactive", "fix"],
            "status": ["completed", "planned"],
        }
    )
    gpd.GeoDataFrame(frame, geometry=[None, None], crs=4326).to_file(path)
    message = rejected(url, "work_orders", path)
    assert "feature 1, status: 'completed' a completed work order needs its completed_on" in message, message
    assert "feature 2, asset_code: 'ZZZ' no asset" in message and "feature 2, kind: 'fix' not one of" in message
    assert "feature 1, kind: 'reactive' a reactive work order needs its cause" in message


def test_work_order_start_and_cause_rules(url, tmp_path):
    path = tmp_path / "work.csv"
    pd.DataFrame(
        {
            "工事番号": ["W-20", "W-21", "W-22"],
            "資産番号": "B-001",
            "種別": ["reactive", "preventive", "renewal"],
            "原因": [None, None, "planned"],
            "着手日": ["2025-05-10", "2999-01-01", "2025-05-10"],
            "完了日": ["2025-05-20", None, "2025-05-01"],
            "状態": ["completed", "in_progress", "completed"],
        }
    ).to_csv(path, index=False)
    message = rejected(url, "work_orders", path)
    assert "line 2, 原因: a reactive work order needs its 原因" in message, message
    assert "line 3, 着手日: '2999-01-01' is in the future" in message
    assert "line 4, 完了日: '2025-05-01' is before the start date" in message
    assert message.count("line ") == 3


def test_condition_after_the_work_must_fit_the_status_and_the_scale(url, tmp_path):
    path = tmp_path / "work.csv"
    pd.DataFrame(
        {
            "工事番号": ["W-30", "W-31", "W-32", "W-001"],
            "資産番号": ["B-001", "B-001", "S-001", "B-001"],
            "種別": "preventive",
            "完了日": ["2025-05-20", None, "2025-05-20", "2021-02-01"],
            "状態": ["completed", "planned", "completed", "in_progress"],
            "工事後の状態": ["5", "Ⅱ", "5", None],
        }
    ).to_csv(path, index=False)
    message = rejected(url, "work_orders", path)
    assert "line 2, 工事後の状態: '5' asset B-001 is a bridge, whose condition is a soundness class Ⅰ–Ⅳ" in message
    assert "line 3, 工事後の状態: '2' only a completed work order records the condition after the work" in message
    assert message.count("line ") == 2, message  # a school's score may be 5; W-001 without one may be reopened
    bad = tmp_path / "work_orders.csv"
    pd.DataFrame({"code": ["W-33"], "asset_code": "B-001", "kind": "renewal", "state_after": ["good"]}).to_csv(
        bad, index=False
    )
    message = rejected(url, "work_orders", bad)
    assert "line 2, state_after: 'good' not a condition state" in message, message


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
@pytest.mark.parametrize("suffix", [".gpkg", ".xlsx", ".geojson"])
def test_unreadable_file(url, tmp_path, damage, suffix):
    good = tmp_path / f"good{suffix}"
    run(url, "export", "assets", str(good))
    path = tmp_path / f"bad{suffix}"
    data = good.read_bytes()
    path.write_bytes(b"\x00\x01not a file at all" * 50 if damage == "garbage" else data[: len(data) // 3])
    assert "cannot read bad" in rejected(url, "assets", path)


def test_truncated_csv(url, tmp_path):
    path = tmp_path / "cut.csv"
    path.write_text('code,name,category\nN-1,"途中で切れた名前', encoding="utf-8")
    assert "cannot read cut.csv as CSV" in rejected(url, "assets", path)


def test_file_of_another_kind(url, tmp_path):
    path = tmp_path / "work_orders.csv"
    assert run(url, "export", "work_orders", str(path), "--lang", "en").exit_code == 0
    message = rejected(url, "assets", path)
    assert "this is a file of work_orders, not of assets: import it with `fm import work_orders`" in message


def test_unknown_and_missing_columns(url, tmp_path):
    path = tmp_path / "cols.csv"
    pd.DataFrame({"code": ["X"], "nmae": ["typo"], "acquisition_cost": ["-1"]}).to_csv(path, index=False)
    message = rejected(url, "assets", path)
    assert "nmae: unknown column for assets" in message
    assert "line 2, acquisition_cost: '-1' must not be negative" in message  # the columns there are checked too
    assert "name: required column missing (header 'name' or '名称')" in message
    assert "category: required column missing" in message


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("empty.csv", b"", "empty.csv is empty"),
        ("header.csv", b"code,name,category\n", "holds no records"),
        ("assets.shp", b"x", "fm reads and writes .gpkg"),
    ],
)
def test_empty_or_foreign_file(url, tmp_path, name, content, words):
    path = tmp_path / name
    path.write_bytes(content)
    assert words in rejected(url, "assets", path)


def test_empty_layer(url, tmp_path):
    path = tmp_path / "empty.gpkg"
    gpd.GeoDataFrame({"code": []}, geometry=gpd.GeoSeries([], crs=4326)).to_file(path, layer="assets")
    assert "holds no records" in rejected(url, "assets", path)


def test_layer_and_sheet_choice(url, tmp_path):
    path = tmp_path / "two.gpkg"
    gpkg(tmp_path, 4326, name="two.gpkg")
    gpd.GeoDataFrame({"x": [1]}, geometry=[box(139.5, 35.3, 139.6, 35.4)], crs=4326).to_file(path, layer="other")
    assert run(url, "import", "assets", str(path), "--dry-run").exit_code == 0  # the layer named assets
    assert "has no layer 'nope'; it has: assets, other" in rejected(url, "assets", path, "--layer", "nope")
    _table_xlsx(tmp_path / "x.xlsx", ["code", "name", "category"], ["X", "x", "school"])
    assert "has no sheet 'nope'" in rejected(url, "assets", tmp_path / "x.xlsx", "--sheet", "nope")


def test_encoding_that_is_not_utf8_or_cp932(url, tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes(b"code,name,category\nN-1,\xe9t\xe9 \x81 ,school\n")  # Latin-1 with a stray 0x81
    assert "neither UTF-8 nor Shift_JIS" in rejected(url, "assets", path)
    assert "is not utf-8" in rejected(url, "assets", path, "--encoding", "utf-8")


def test_a_new_parcel_needs_a_geometry(url, tmp_path):
    path = tmp_path / "parcels.xlsx"
    _table_xlsx(
        path,
        ["土地番号", "利用状況", "用途の開始日"],
        ["LP-001", "unused", "2025-01-10"],
        ["LP-NEW", "unused", "2025-01-10"],
    )
    message = rejected(url, "parcels", path)
    assert "row 3: 'LP-NEW' new parcels need a geometry" in message and "row 2" not in message, message


def _table_xlsx(path: Path, *rows: list) -> None:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)


def test_a_rule_only_the_database_can_check(url, tmp_path):
    """The file cannot know B-001 was acquired in 1968; the database's CHECK refuses, and rolls back whole.
    The refusal names the record's line, its code and the field, as the file's own checks do."""
    path = tmp_path / "disposed.csv"
    pd.DataFrame(
        {
            "code": ["N-1", "B-001"],
            "name": ["新規", "滑川橋"],
            "category": ["school", "bridge"],
            "status": ["in_service", "disposed"],
            "disposed_on": ["", "1960-01-01"],
        }
    ).to_csv(path, index=False)
    message = rejected(url, "assets", path)
    assert "disposed.csv: 1 problem(s), nothing imported" in message, message
    assert "line 3, disposed_on: '1960-01-01' the database refused B-001" in message, message
    assert "disposed_after_acquired" in message


def test_a_new_record_the_database_refuses_is_found_among_many(url, tmp_path):
    """A rule the database holds and the file's checks do not (added by another program here): the one new
    record it refuses is found among the others (halving under savepoints) and named by its line and code,
    and by the field where the database names its constraint (PostgreSQL)."""
    postgresql = url.startswith("postgresql")
    database = Database(url)
    rule = (
        "ALTER TABLE assets ADD CONSTRAINT ck_assets_not_1999 CHECK (year_built <> 1999)"
        if postgresql
        else "CREATE TRIGGER not_1999 BEFORE INSERT ON assets WHEN NEW.year_built = 1999 "
        "BEGIN SELECT RAISE(ABORT, 'no asset of 1999'); END"
    )
    with database.session() as session:
        session.execute(sa.text(rule))
    try:
        path = csv(tmp_path, *({"year_built": "1999" if n == 5 else "2001"} for n in range(8)))
        message = rejected(url, "assets", path)
    finally:
        with database.session() as session:
            session.execute(
                sa.text(
                    "ALTER TABLE assets DROP CONSTRAINT ck_assets_not_1999" if postgresql else "DROP TRIGGER not_1999"
                )
            )
        database.dispose()
    assert "1 problem(s), nothing imported" in message, message
    if postgresql:
        assert "line 7, year_built: '1999' the database refused N-006: " in message, message
        assert "ck_assets_not_1999" in message, message
    else:
        assert "line 7: the database refused N-006: no asset of 1999" in message, message


def test_csv_lines_count_line_breaks_inside_quotes(url, tmp_path):
    path = csv(tmp_path, {"name": "二行の\n名称"}, {"acquisition_cost": "-1"})
    assert "line 4, acquisition_cost: '-1' must not be negative" in rejected(url, "assets", path)


@pytest.mark.parametrize(
    ("category", "wkt", "words"),
    [
        ("road", "POINT (139.55 35.32)", "a road must be a line, not a point"),
        ("school", "LINESTRING (139.55 35.32, 139.56 35.33)", "a school must be a point or a polygon, not a line"),
        (
            "bridge",
            "POLYGON ((139.5 35.3, 139.51 35.3, 139.51 35.31, 139.5 35.3))",
            "a bridge must be a point or a line, not a polygon",
        ),
    ],
    ids=["road as a point", "school as a line", "bridge as a polygon"],
)
def test_geometry_type_must_fit_the_category(url, tmp_path, category, wkt, words):
    path = tmp_path / "assets.csv"
    pd.DataFrame(
        {
            "code": ["N-1", "N-2"],
            "name": ["甲", "乙"],
            "category": ["park", category],
            "wkt (EPSG:4326)": ["POINT (139.55 35.32)", wkt],
        }
    ).to_csv(path, index=False)
    message = rejected(url, "assets", path)
    assert f"line 3, wkt (EPSG:4326): '{wkt}' {words}" in message, message
    assert "1 problem(s)" in message
