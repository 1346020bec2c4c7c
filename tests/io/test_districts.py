"""`fm import districts`: a city's own districts from a file, round trip with `fm export districts`, and the
polygons refused (overlap with another district beyond the tolerance for shared edges, invalid, wrong CRS)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import sqlalchemy as sa
from clirun import run
from databases import new_database
from iosample import assert_same, seed
from shapely import Polygon, box

from fm.db import Database
from fm.io import store

FORMATS = (("gpkg", "ja"), ("geojson", "en"), ("csv", "ja"), ("xlsx", "en"))


def districts(url: str) -> dict[str, pd.DataFrame]:
    database = Database(url)
    with database.session() as session:
        frame = pd.DataFrame(store.read_table(session, "districts")).drop(columns=["id"])
    database.dispose()
    return {"districts": frame.sort_values("code").reset_index(drop=True)}


def test_round_trip_into_a_fresh_database(db_url, backend, tmp_path, request):
    """Every format, both header languages: exported from one database, imported into a fresh one (then
    emptied of districts for the next format), the same districts; the same file again changes nothing."""
    seed(db_url)
    (tmp_path / "other").mkdir()
    other = new_database(backend, tmp_path / "other", request)
    for fmt, lang in FORMATS:
        path = tmp_path / f"districts.{fmt}"
        assert run(db_url, "export", "districts", str(path), "--lang", lang).exit_code == 0
        result = run(other, "import", "districts", str(path), "--format", "json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["added"] == 2, fmt
        assert_same(districts(db_url), districts(other))
        again = json.loads(run(other, "import", "districts", str(path), "--format", "json").stdout)
        assert (again["added"], again["updated"], again["unchanged"]) == (0, 0, 2), fmt
        database = Database(other)
        with database.session() as session:
            session.execute(sa.text("DELETE FROM districts"))
        database.dispose()


def _csv(path, rows: list[tuple[str, str, object]], crs: str = "EPSG:4326") -> None:
    frame = pd.DataFrame(
        [
            {"地域コード": c, "名称": n, "英語名": n.upper(), "人口": 1000, f"形状WKT（{crs}）": g.wkt}
            for c, n, g in rows
        ]
    )
    frame.to_csv(path, index=False)


def test_bad_polygons_refused_and_nothing_written(db_url, tmp_path):
    seed(db_url)  # kamakura: 139.53–139.58 × 35.29–35.34; ofuna above it, sharing the edge at 35.34
    before = districts(db_url)
    path = tmp_path / "d.csv"
    _csv(
        path,
        [
            ("north", "北", box(139.51, 35.37, 139.56, 35.40)),  # shares ofuna's top edge: fine
            ("east", "東", box(139.58, 35.29, 139.62, 35.33)),  # shares kamakura's east edge: fine
            ("west", "西", box(139.45, 35.29, 139.531, 35.33)),  # 0.001° (about 90 m) into kamakura
            ("cross", "交", box(139.60, 35.30, 139.63, 35.32)),  # inside east, in the same file
        ],
    )
    result = run(db_url, "import", "districts", str(path))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == "Error: d.csv: 2 problem(s), nothing imported:", lines
    assert lines[1].startswith("line 4, geometry: 'west' overlaps the stored district kamakura by 403,516 m²")
    assert lines[2].startswith("line 5, geometry: 'cross' overlaps district east (line 3) by 4,035,128 m²")
    bow = Polygon([(139.40, 35.20), (139.42, 35.22), (139.42, 35.20), (139.40, 35.22)])
    _csv(path, [("bow", "蝶", bow)])
    invalid = run(db_url, "import", "districts", str(path)).output
    assert "line 2, 形状WKT（EPSG:4326）" in invalid and "invalid geometry: Self-intersection" in invalid
    assert_same(before, districts(db_url))
    # The edge-sharing districts alone go in; a district redrawn in the same file may move into freed ground.
    _csv(path, [("north", "北", box(139.51, 35.37, 139.56, 35.40)), ("east", "東", box(139.58, 35.29, 139.62, 35.33))])
    assert run(db_url, "import", "districts", str(path)).exit_code == 0
    _csv(
        path,
        [
            ("kamakura", "鎌倉", box(139.53, 35.29, 139.57, 35.34)),
            ("east", "東", box(139.57, 35.29, 139.62, 35.33)),
        ],
    )
    moved = run(db_url, "import", "districts", str(path), "--format", "json")
    assert json.loads(moved.stdout)["updated"] == 2, moved.output


@pytest.mark.parametrize("backend", ["sqlite"])  # the CRS is read before any database
def test_plane_coordinates_without_their_crs(db_url, tmp_path):
    path = tmp_path / "d.csv"
    square = box(-30000, -60000, -29000, -59000).wkt  # metres of EPSG:6677, in Kamakura
    stated = pd.DataFrame({"code": ["a"], "name": ["甲"], "name_en": ["A"], "wkt (EPSG:4326)": [square]})
    stated.to_csv(path, index=False)
    result = run(db_url, "import", "districts", str(path))
    assert result.exit_code == 1 and "look like metres of a plane CRS" in result.output
    pd.DataFrame({"code": ["a"], "name": ["甲"], "name_en": ["A"], "wkt": [square]}).to_csv(path, index=False)
    assert run(db_url, "import", "districts", str(path), "--crs", "6677").exit_code == 0
    assert districts(db_url)["districts"]["code"].tolist() == ["a"]
