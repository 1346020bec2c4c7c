"""Edge cases found in review: codes in any case, ambiguous rows elsewhere in the table, CRSs stated
wrongly in headers, numeric codes from a GeoPackage, GeoPackages holding other layers, formulas."""

from __future__ import annotations

import io

import geopandas as gpd
import openpyxl
import pandas as pd
import pyogrio
import sqlalchemy as sa
from clirun import run
from iosample import seed
from shapely import Point

from fm.db import Database
from fm.io import files


def _sql(url: str, query: str, *, write: bool = False) -> list[tuple]:
    database = Database(url)
    with database.connect() as connection:
        result = connection.execute(sa.text(query))
        found = [] if write else result.all()
        if write:
            connection.commit()
    database.dispose()
    return found


def test_codes_match_in_any_case_and_are_stored_as_the_database_spells_them(db_url, tmp_path):
    seed(db_url)
    _sql(db_url, "UPDATE districts SET code = 'D01' WHERE code = 'kamakura'", write=True)
    path = tmp_path / "assets.csv"
    pd.DataFrame(
        {"code": ["N-1", "N-2"], "name": ["甲", "乙"], "category": ["School", "BRIDGE"], "district": ["d01", "D01"]}
    ).to_csv(path, index=False)
    result = run(db_url, "import", "assets", str(path))
    assert result.exit_code == 0, result.output
    assert _sql(
        db_url,
        "SELECT a.category, d.code FROM assets a JOIN districts d ON d.id = a.district_id "
        "WHERE a.code LIKE 'N-%' ORDER BY a.code",
    ) == [("school", "D01"), ("bridge", "D01")]


def test_same_day_inspections_elsewhere_do_not_block_an_import(db_url, tmp_path):
    seed(db_url)
    _sql(
        db_url,
        "INSERT INTO inspections (asset_id, inspected_on, method, soundness) SELECT id, '2019-06-01', "
        "'visual', 2 FROM assets WHERE code = 'B-002'",
        write=True,
    )
    _sql(
        db_url,
        "INSERT INTO inspections (asset_id, inspected_on, method, soundness) SELECT id, '2019-06-01', "
        "'visual', 3 FROM assets WHERE code = 'B-002'",
        write=True,
    )
    path = tmp_path / "inspections.csv"
    pd.DataFrame({"asset_code": ["B-001"], "inspected_on": ["2024-06-01"], "soundness": ["2"]}).to_csv(
        path, index=False
    )
    result = run(db_url, "import", "inspections", str(path))
    assert result.exit_code == 0 and "1 added" in result.output, result.output
    touching = tmp_path / "ambiguous.csv"
    pd.DataFrame({"asset_code": ["B-002"], "inspected_on": ["2019-06-01"], "soundness": ["4"]}).to_csv(
        touching, index=False
    )
    refused = run(db_url, "import", "inspections", str(touching))
    assert refused.exit_code == 1 and "several inspections of this asset on this day" in refused.output


def test_a_wrong_crs_in_the_headers_is_named_not_a_traceback(db_url, tmp_path):
    seed(db_url)
    for headers, message in (
        (("x (EPSG:66770)", "y (EPSG:66770)"), "EPSG code that does not exist"),
        (("lon (EPSG:4326)", "lat (EPSG:6677)"), "state different CRSs"),
    ):
        path = tmp_path / "assets.csv"
        pd.DataFrame(
            {"code": ["N-1"], "name": ["甲"], "category": ["school"], headers[0]: ["-2000"], headers[1]: ["-30000"]}
        ).to_csv(path, index=False)
        result = run(db_url, "import", "assets", str(path))
        assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output


def test_numeric_codes_from_a_geopackage_stay_whole(db_url, tmp_path):
    seed(db_url)
    path = tmp_path / "assets.gpkg"
    gpd.GeoDataFrame(
        {"code": [1001.0, 1002.0], "name": ["甲", "乙"], "category": ["school", "school"]},
        geometry=[Point(139.55, 35.32), Point(139.551, 35.321)],
        crs=4326,
    ).to_file(path, layer="assets")
    result = run(db_url, "import", "assets", str(path))
    assert result.exit_code == 0, result.output
    assert _sql(db_url, "SELECT code FROM assets WHERE code IN ('1001', '1002') ORDER BY code") == [
        ("1001",),
        ("1002",),
    ]


def test_export_refuses_to_remove_other_layers_of_a_geopackage(db_url, tmp_path):
    seed(db_url)
    path = tmp_path / "city.gpkg"
    gpd.GeoDataFrame({"note": ["keep me"]}, geometry=[Point(139.5, 35.3)], crs=4326).to_file(path, layer="notes")
    result = run(db_url, "export", "assets", str(path))
    assert result.exit_code == 1 and "also holds the layers notes" in result.output
    assert [name for name, _ in pyogrio.list_layers(path)] == ["notes"]


def test_excel_text_starting_with_equals_stays_text():
    buffer = io.BytesIO()
    files.write_excel(pd.DataFrame({"name": ['=HYPERLINK("http://x","a")', "普通"]}), buffer, "list")
    sheet = openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).active
    assert sheet["A2"].data_type == "s" and sheet["A2"].value.startswith("=HYPERLINK")
