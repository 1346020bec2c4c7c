"""Export then import gives back the same records, for every format and both header languages, on both backends.

Each exported file is also opened by other tools: GDAL's ``ogrinfo`` (every format,
Excel and CSV included), geopandas, and openpyxl for the workbooks.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import geopandas as gpd
import openpyxl
import pytest
import sqlalchemy as sa
from clirun import run
from iosample import KINDS, assert_same, clear, seed, snapshot

from fm.db import Database

FORMATS = ("gpkg", "geojson", "csv", "xlsx")
COUNTS = {"assets": 7, "parcels": 2, "inspections": 3, "work_orders": 2}


def ogrinfo(path) -> str:
    """``ogrinfo`` of ``path`` (the gdal-bin tool, not the Python bindings)."""
    found = shutil.which("ogrinfo")
    if found is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("ogrinfo (gdal-bin) is required under CI=true", pytrace=False)
        pytest.skip("ogrinfo not installed (apt-get install gdal-bin)")
    done = subprocess.run([found, "-ro", "-al", "-so", str(path)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip(db_url, tmp_path, fmt, lang):
    seed(db_url)
    before = snapshot(db_url)
    for kind in KINDS:
        result = run(db_url, "export", kind, str(tmp_path / f"{kind}.{fmt}"), "--lang", lang)
        assert result.exit_code == 0, result.output
        assert f"wrote {COUNTS[kind]} {kind}" in result.output
    _opened_elsewhere(tmp_path, fmt, lang)
    clear(db_url)
    for kind in KINDS:
        result = run(db_url, "import", kind, str(tmp_path / f"{kind}.{fmt}"), "--format", "json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["added"] == COUNTS[kind]
    assert_same(before, snapshot(db_url))
    for kind in KINDS:  # the same file again changes nothing
        again = json.loads(run(db_url, "import", kind, str(tmp_path / f"{kind}.{fmt}"), "--format", "json").stdout)
        assert (again["added"], again["updated"], again["unchanged"]) == (0, 0, COUNTS[kind]), kind


NOT_NEEDED_TO_IMPORT_A_LAYER = ("openpyxl", "fm.io.categories", "fm.io.ledger", "fm.io.plans", "fm.io.unit_costs")
"""What ``fm import`` of a GeoPackage does without: Excel's library and the books' importers (imported when asked)."""


def test_a_geopackage_import_loads_no_excel_nor_books(db_url, tmp_path):
    seed(db_url)
    gpkg = str(tmp_path / "assets.gpkg")
    assert run(db_url, "export", "assets", gpkg).exit_code == 0
    clear(db_url)
    code = (
        "import sys\nfrom fm.cli.running import run\n"  # the command as `fm` runs it, short of its os._exit
        f"assert not run(['import', 'assets', {gpkg!r}])\n"
        f"print(sorted(m for m in sys.modules if m.startswith({NOT_NEEDED_TO_IMPORT_A_LAYER!r})))"
    )
    environment = {**os.environ, "FM_DATABASE_URL": db_url, "FM_COMMAND_SERVER": "0"}
    done = subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, timeout=120, check=True
    )
    *said, loaded = done.stdout.strip().splitlines()
    assert f"{COUNTS['assets']} added" in said[-1] and loaded == "[]", done.stdout


def _opened_elsewhere(folder, fmt, lang) -> None:
    code = "資産番号" if lang == "ja" else "code"
    for kind in KINDS:
        path = folder / f"{kind}.{fmt}"
        info = ogrinfo(path)
        assert f"Feature Count: {COUNTS[kind]}" in info, info
        if fmt in ("gpkg", "geojson") and kind in ("assets", "parcels"):
            assert 'ID["EPSG",4326]' in info
            frame = gpd.read_file(path)
            assert frame.crs.to_epsg() == 4326 and len(frame) == COUNTS[kind]
            assert frame.geometry.notna().all()
        if fmt == "xlsx":
            sheet = openpyxl.load_workbook(path).active
            assert sheet.title == kind and sheet.max_row == COUNTS[kind] + 1
            if kind == "assets":
                assert sheet["A1"].value == code


def test_plane_crs_round_trip(db_url, tmp_path):
    """--crs 6677 writes survey coordinates that say their CRS; they import back within 1e-9 degrees."""
    seed(db_url)
    before = snapshot(db_url)
    files = {
        "assets.gpkg": ("assets",),
        "bridges.csv": ("assets", "--category", "bridge"),
        "parcels.xlsx": ("parcels",),
    }
    for name, (kind, *options) in files.items():
        assert run(db_url, "export", kind, str(tmp_path / name), "--crs", "6677", *options).exit_code == 0
    assert 'ID["EPSG",6677]' in ogrinfo(tmp_path / "assets.gpkg")
    header = (tmp_path / "bridges.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert "X座標（EPSG:6677）" in header and "Y座標（EPSG:6677）" in header
    x = gpd.read_file(tmp_path / "assets.gpkg").geometry.bounds["minx"]
    assert x.between(-100_000, 100_000).all()  # metres from the origin of zone IX, not degrees
    clear(db_url)
    for name, (kind, *_) in files.items():
        result = run(db_url, "import", kind, str(tmp_path / name))
        assert result.exit_code == 0, result.output
    after = snapshot(db_url)
    after["inspections"], after["work_orders"], after["parcel_uses"] = (
        before["inspections"].iloc[:0],
        before["work_orders"].iloc[:0],
        before["parcel_uses"].iloc[:0],
    )
    before["inspections"], before["work_orders"], before["parcel_uses"] = (
        after["inspections"],
        after["work_orders"],
        after["parcel_uses"],
    )
    assert_same(before, after)


def test_districts_export(db_url, tmp_path):
    seed(db_url)
    result = run(db_url, "export", "districts", str(tmp_path / "districts.gpkg"), "--lang", "en")
    assert result.exit_code == 0, result.output
    frame = gpd.read_file(tmp_path / "districts.gpkg")
    assert sorted(frame["code"]) == ["kamakura", "ofuna"] and set(frame.geom_type) == {"MultiPolygon"}


def test_excel_keeps_text_that_looks_like_a_formula(db_url, tmp_path):
    seed(db_url)
    database = Database(db_url)
    with database.session() as session:
        session.execute(sa.text("UPDATE assets SET notes = '=HYPERLINK(\"http://example.com\")' WHERE code = 'B-001'"))
    database.dispose()
    path = tmp_path / "assets.xlsx"
    assert run(db_url, "export", "assets", str(path), "--lang", "en").exit_code == 0
    sheet = openpyxl.load_workbook(path).active
    notes = next(c.column_letter for c in sheet[1] if c.value == "notes")
    cell = next(c for c in sheet[notes] if c.value and str(c.value).startswith("="))
    assert cell.data_type == "s"
    again = json.loads(run(db_url, "import", "assets", str(path), "--format", "json").stdout)
    assert again["unchanged"] == COUNTS["assets"]


def test_an_export_refused_leaves_the_old_file(db_url, tmp_path):
    seed(db_url)
    path = tmp_path / "assets.xlsx"
    assert run(db_url, "export", "assets", str(path)).exit_code == 0
    old = path.read_bytes()
    database = Database(db_url)
    with database.session() as session:
        session.execute(sa.text("UPDATE assets SET notes = :long WHERE code = 'B-001'"), {"long": "長" * 40_000})
    database.dispose()
    refused = run(db_url, "export", "assets", str(path))
    assert refused.exit_code == 1 and "more than the 32,767 characters an Excel cell holds" in refused.stderr
    assert "row 2, 備考" in refused.stderr
    assert path.read_bytes() == old and not list(tmp_path.glob(".*partial*"))
    missing = run(db_url, "export", "assets", str(tmp_path / "nowhere" / "a.csv"))
    assert missing.exit_code == 1 and "the folder" in missing.stderr and "does not exist" in missing.stderr
