"""Viewport parameters, clustering, GeoJSON and the basemap, without a database."""

from __future__ import annotations

import json
import re
from fractions import Fraction

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from fm.domain.maps import geojson
from fm.domain.maps.basemap import GSI_ATTRIBUTION, basemap
from fm.domain.maps.districts import district_values
from fm.domain.maps.viewport import (
    MapFilter,
    apply_filter,
    cluster,
    parse_filter,
    parse_viewport,
    pixels,
)
from fm.errors import ValidationError


@pytest.mark.parametrize(
    ("bbox", "zoom", "message"),
    [
        (None, "14", "bbox is required"),
        ("139.5,35.3,139.6", "14", "bbox must be four numbers"),
        ("139.5,35.3,abc,35.4", "14", "bbox must be four numbers"),
        ("139.6,35.3,139.5,35.4", "14", "west < east"),
        ("139.5,95,139.6,96", "14", "-90 ≤ south < north ≤ 90"),
        ("35.3,139.5,35.4,139.6", "14", "latitude and longitude swapped"),
        ("2.3,48.8,2.4,48.9", "14", "lies outside Japan"),
        ("139.5,35.3,139.6,35.4", None, "zoom is required"),
        ("139.5,35.3,139.6,35.4", "23", "zoom must be a whole number from 0 to 22"),
        ("139.5,35.3,139.6,35.4", "1.5", "zoom must be a whole number"),
    ],
)
def test_bad_viewport_is_named(bbox, zoom, message):
    with pytest.raises(ValidationError, match=message):
        parse_viewport(bbox, zoom)


def test_every_problem_is_reported_at_once():
    with pytest.raises(ValidationError) as caught:
        parse_viewport("x", "99")
    assert len(caught.value.problems) == 2


def test_filter_checks_each_value_against_what_exists():
    known = {"categories": ["road", "bridge"], "districts": [1, 2], "classes": ["high", "low"]}
    assert parse_filter({"category": "", "district": "2"}, **known) == MapFilter(categories=(), districts=(2,))
    assert parse_filter({"district": "", "class": " "}, **known) == MapFilter()
    with pytest.raises(ValidationError) as caught:
        parse_filter({"category": "road,castle", "district": "x", "class": "awful", "condition": "7"}, **known)
    problems = " | ".join(caught.value.problems)
    for fragment in (
        "category: unknown value 'castle'",
        "district: unknown value 'x'",
        "class: unknown value 'awful'",
        "condition: unknown value '7'",
    ):
        assert fragment in problems


def test_apply_filter_keeps_matching_rows():
    points = pd.DataFrame(
        {
            "category": ["road", "road", "bridge"],
            "district_id": [1, 2, 1],
            "class": ["high", "low", "high"],
            "state": [3, 1, np.nan],
        }
    )
    kept = apply_filter(points, MapFilter(categories=("road", "bridge"), districts=(1,), classes=("high",)))
    assert kept.index.tolist() == [0, 2]
    assert apply_filter(points, MapFilter(conditions=(3,))).index.tolist() == [0]


def test_pixels_match_leaflet():
    # What Leaflet 1.9.4 gives: L.CRS.EPSG3857.latLngToPoint(L.latLng(35.3, 139.55), 14).
    x, y = pixels(np.array([139.55]), np.array([35.3]), 14)
    assert x[0] == pytest.approx(3_723_027.342, abs=0.01) and y[0] == pytest.approx(1_657_079.941, abs=0.01)


def test_clusters_count_every_point_once_with_its_worst_class():
    rng = np.random.default_rng(1)
    order = ["very_high", "high", "low"]
    points = pd.DataFrame(
        {
            "x": rng.uniform(139.45, 139.62, 2000),
            "y": rng.uniform(35.28, 35.37, 2000),
            "class": rng.choice(order, 2000, p=[0.01, 0.2, 0.79]),
        }
    )
    cells = cluster(points, 13, order)
    assert cells["count"].sum() == 2000
    assert (cells[[f"n_{c}" for c in order]].sum(axis=1) == cells["count"]).all()
    worst = np.where(cells["n_very_high"] > 0, "very_high", np.where(cells["n_high"] > 0, "high", "low"))
    assert (cells["class"] == worst).all()
    # Coarser at lower zoom: fewer, larger cells.
    assert len(cluster(points, 11, order)) < len(cells)


@pytest.mark.parametrize("zoom", [11, 13, 15])
def test_clusters_equal_a_group_by_of_the_cells(zoom):
    """The numpy clustering gives what a pandas group-by of the same cells gives, classes outside the order too."""
    rng = np.random.default_rng(zoom)
    order = ["very_high", "high", "low"]
    points = pd.DataFrame(
        {
            "x": rng.uniform(139.50, 139.58, 3000),
            "y": rng.uniform(35.29, 35.35, 3000),
            "class": rng.choice([*order, "unscored", None], 3000),
        }
    )
    px, py = pixels(points["x"].to_numpy(), points["y"].to_numpy(), zoom)
    frame = points.assign(
        cx=(px // 64).astype(int),
        cy=(py // 64).astype(int),
        rank=[order.index(c) if c in order else -1 for c in points["class"]],
    )
    groups = frame.groupby(["cx", "cy"], sort=True)
    expected = groups.agg(x=("x", "mean"), y=("y", "mean"), count=("x", "size"), rank=("rank", "min"))
    found = cluster(points, zoom, order, cell_px=64)
    assert found["count"].tolist() == expected["count"].tolist()
    np.testing.assert_allclose(found[["x", "y"]].to_numpy(), expected[["x", "y"]].to_numpy(), rtol=1e-12)
    assert found["class"].tolist() == [order[r] for r in expected["rank"]]
    for key in order:
        assert found[f"n_{key}"].tolist() == groups["class"].agg(lambda c, key=key: int((c == key).sum())).tolist()


def test_features_are_simplified_by_zoom_and_rounded():
    wiggle = shapely.LineString([(139.5 + i * 1e-5, 35.3 + (i % 2) * 1e-7) for i in range(200)])
    frame = gpd.GeoDataFrame({"code": ["R-1"], "class": ["low"]}, geometry=[wiggle], crs=4326)
    coarse = geojson.features(frame, ["code", "class"], zoom=12)["features"][0]["geometry"]["coordinates"]
    full = geojson.features(frame, ["code", "class"])["features"][0]["geometry"]["coordinates"]
    assert len(coarse) == 2 and len(full) == 200
    assert all(len(repr(v).split(".")[1]) <= 6 for point in full for v in point)


def test_feature_text_is_json_of_every_kind_of_geometry_and_property():
    """The viewport's answer is written from shapely's GeoJSON text and each row's properties, not parsed and
    written again: it must still be one JSON document with every value as it is."""
    shapes = [
        shapely.Point(139.5, 35.0),
        shapely.LineString([(139.5, 35.3), (139.6, 35.31)]),
        shapely.MultiPolygon([shapely.box(139.5, 35.3, 139.51, 35.31), shapely.box(139.52, 35.3, 139.53, 35.31)]),
    ]
    frame = gpd.GeoDataFrame(
        {"code": ['B-"1"', "道路\n2", "P-3"], "class": ["high", None, np.nan]}, geometry=shapes, crs=4326
    )
    text = geojson.features_text(frame, ["code", "class"], zoom=15, layer="risk", mode="features", total=3)
    data = json.loads(text)
    assert list(data) == ["type", "layer", "mode", "total", "features"]
    assert [f["properties"] for f in data["features"]] == [
        {"code": 'B-"1"', "class": "high"},
        {"code": "道路\n2", "class": None},
        {"code": "P-3", "class": None},
    ]
    assert [f["geometry"]["type"] for f in data["features"]] == ["Point", "LineString", "MultiPolygon"]
    assert data["features"][0]["geometry"]["coordinates"] == [139.5, 35.0]
    assert "道路" in text  # Japanese kept readable, as everywhere in the API


def test_a_tiny_polygon_is_kept_when_simplification_would_empty_it():
    tiny = shapely.box(139.5, 35.3, 139.50001, 35.30001)
    frame = gpd.GeoDataFrame({"code": ["P-1"]}, geometry=[tiny], crs=4326)
    assert geojson.features(frame, ["code"], zoom=5)["features"][0]["geometry"]["type"] == "Polygon"


def test_basemap_settings():
    gsi = basemap("gsi")
    assert [t.url.split("/")[4] for t in gsi] == ["pale", "std"]
    assert all(t.attribution == GSI_ATTRIBUTION and "地理院タイル" in t.attribution for t in gsi)
    assert basemap("https://tiles.example.jp/{z}/{x}/{y}.png", "© Example")[0].attribution == "© Example"
    with pytest.raises(ValidationError, match="attribution"):
        basemap("https://tiles.example.jp/{z}/{x}/{y}.png")
    with pytest.raises(ValidationError, match="XYZ tile URL"):
        basemap("osm")


def test_district_values_for_each_kind_of_indicator():
    districts = gpd.GeoDataFrame({"id": [1, 2]}, geometry=[shapely.box(0, 0, 1, 1)] * 2, crs=4326)
    where = pd.Series({10: 1, 11: 1, 12: 2})
    risk = district_values("risk", districts, where, pd.DataFrame({"id": [10, 11, 12], "score": [0.2, 0.4, 0.9]}))
    assert risk["value"].tolist() == pytest.approx([0.3, 0.9])
    aging = district_values(
        "aging_ratio",
        districts,
        where,
        pd.DataFrame({"id": [10, 11], "acquisition_cost": [100, 300], "accumulated_depreciation": [50, 250]}),
    )
    assert aging["value"].tolist()[0] == pytest.approx(75.0) and aging["value"].isna().tolist() == [False, True]
    repairs = district_values("reactive_repairs", districts, where, pd.DataFrame({"asset_id": [12, 12, 10]}))
    assert repairs["value"].tolist() == [1.0, 2.0]


def test_district_aging_ratio_adds_up_its_yen_exactly():
    # Sums of yen past 2⁵³ (float64 holds whole numbers exactly only that far): the float sums showed 2⁵³ yen of
    # 2⁵³ + 4 in the popup, a yen lost and one made up; the ratio is the exact fraction's nearest float.
    districts = gpd.GeoDataFrame({"id": [1]}, geometry=[shapely.box(0, 0, 1, 1)], crs=4326)
    rows = pd.DataFrame({"id": [10, 11], "acquisition_cost": [2**53, 3], "accumulated_depreciation": [2**53, 1]})
    aging = district_values("aging_ratio", districts, pd.Series({10: 1, 11: 1}), rows)
    assert aging["numerator"].tolist() == [2**53 + 1] and aging["denominator"].tolist() == [2**53 + 3]
    assert aging["value"].tolist() == [float(Fraction(100 * (2**53 + 1), 2**53 + 3))]
    assert rows["accumulated_depreciation"].astype(float).sum() == 2**53  # what the float sum said


def test_category_labels_are_escaped_for_the_layer_switcher():
    from fm.domain.maps.basemap import basemap
    from fm.domain.maps.build import asset_map
    from fm.domain.maps.style import RISK

    districts = gpd.GeoDataFrame({"id": [1]}, geometry=[shapely.box(139.5, 35.3, 139.6, 35.4)], crs=4326)
    m = asset_map(
        "risk",
        categories=pd.DataFrame({"code": ["x"], "label": ["<img src=x onerror=alert(1)>"]}),
        classes=RISK,
        tiles=basemap("none"),
        bounds=(139.5, 35.3, 139.6, 35.4),
        static=None,
        lang="ja",
        title="t",
        labels={},
        source={"data": {"type": "FeatureCollection", "features": []}},
        districts=districts,
    )
    names = re.findall(r'("[^"]*") : feature_group_', m.get_root().render())
    assert [json.loads(n) for n in names] == ["&lt;img src=x onerror=alert(1)&gt;"]  # Leaflet shows it as text
