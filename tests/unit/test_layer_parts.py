"""A spatial file's layer read a part at a time (``fm.io.files.Layer``, what the importer adds while the rest of a
GeoPackage is still in the file) gives, part by part, exactly what reading it whole gives: the values, their types,
the geometries with their CRS, and each row's place in the file; a file that loses features while it is read is
said to have changed, never read short."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pandas as pd
import pytest
from shapely import LineString, Point

from fm.errors import FmError
from fm.io import files


def _layer_file(path, count: int = 7) -> None:
    gpd.GeoDataFrame(
        {
            "code": [f"LP-{n}" for n in range(count)],
            "name": [None if n % 3 == 0 else f"名前 {n}" for n in range(count)],
            "year_built": [None if n % 4 == 1 else 1960 + n for n in range(count)],
            "length_m": [n * 0.5 for n in range(count)],
            "acquired": [dt.date(2000, 1, 1) + dt.timedelta(days=n) for n in range(count)],
            "shelter": [n % 2 == 0 for n in range(count)],
        },
        geometry=[
            Point(139.55 + n / 1000, 35.32) if n % 2 else LineString([(139.5, 35.3), (139.5 + n / 100, 35.31)])
            for n in range(count)
        ],
        crs=6677 if path.suffix == ".gpkg" else 4326,
    ).to_file(path, layer="assets")


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson"])
def test_the_parts_of_a_layer_are_the_layer_read_whole(tmp_path, suffix):
    path = tmp_path / f"assets{suffix}"
    _layer_file(path)
    whole = files.read(path, kind="assets")
    layer = files.open_layer(path, layer=None, kind="assets")
    assert layer is not None and layer.count == 7 and layer.spatial
    assert layer.fields == [str(c) for c in whole.frame.columns]
    parts = [layer.part(rows) for rows in (slice(0, 1), slice(1, 3), slice(3, 6), slice(6, 9))]
    assert [part.count for part in parts] == [1, 2, 3, 1]
    assert list(parts[1].rows) == ["feature 2", "feature 3"] and list(parts[1].frame.index) == [1, 2]
    pd.testing.assert_frame_equal(pd.concat([part.frame for part in parts]), whole.frame)
    pd.testing.assert_series_equal(pd.concat([part.rows for part in parts]), whole.rows)
    geometry = pd.concat([part.geometry for part in parts])
    assert geometry.crs == whole.geometry.crs and geometry.geom_equals_exact(whole.geometry, 0).all()
    pd.testing.assert_series_equal(layer.column("code"), whole.frame["code"], check_names=False)


def test_a_geopackage_that_loses_features_while_it_is_read_has_changed(tmp_path):
    path = tmp_path / "assets.gpkg"
    _layer_file(path, 7)
    layer = files.open_layer(path, layer=None, kind="assets")
    assert layer is not None
    layer.part(slice(0, 2))
    _layer_file(path, 4)
    with pytest.raises(FmError, match=r"assets.gpkg changed while fm read it: layer assets had 7 features, then 4"):
        layer.part(slice(2, 6))


def test_a_file_that_is_not_spatial_or_holds_nothing(tmp_path):
    table = tmp_path / "assets.csv"
    table.write_text("code,name\nA-1,橋\n", encoding="utf-8")
    assert files.open_layer(table, layer=None, kind="assets") is None
    empty = tmp_path / "empty.gpkg"
    _layer_file(empty, 0)
    with pytest.raises(FmError, match="empty.gpkg holds no records"):
        files.open_layer(empty, layer=None, kind="assets")
    with pytest.raises(FmError, match="fm reads and writes"):
        files.open_layer(tmp_path / "assets.shp", layer=None, kind="assets")
