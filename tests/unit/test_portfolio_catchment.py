"""Catchments on a hand-made case in EPSG:6677, worked by hand (docs/portfolio.md has the same example).

Sites A (0, 0) and B (3000, 0); four areas, 200 m squares centred at P1 (0, 400), P2 (1200, 0), P3 (3000, 800),
P4 (6000, 0) with 1,000, 500, 2,000 and 100 people.

Straight lines: A–P1 400, A–P2 1200, B–P2 1800, B–P3 800, B–P4 3000 (the others farther). Within 2,000 m: P1 A
only, P2 both (overlap), P3 B only, P4 none (beyond). A serves P1 + P2 = 1,500, B serves P3 + P4 = 2,100. Closing
A: P1's nearest becomes B at √(3000² + 400²) = 3026.5 m > 2,000: P1 loses (1,000 people); P2 keeps B at 1,800.

Network: a main road along y = −100 from x = −500 to 6500, a side road x = 3000 from y = −100 to 1000, and a stray
piece (6000, 300)–(6000, 600) touching neither (joined to the main road by the shortest link, (6000, 300)–(6000, −100),
400 m). A's leg to the main road 100, B on the side road (leg 0), P1 leg 500, P2 100, P3 on the side road (0), P4 100
(the stray piece is 300 away):
A–P1 100 + 0 + 500 = 600; A–P2 100 + 1200 + 100 = 1400; B–P2 100 (down the side road) + 1800 + 100 = 2000;
B–P3 800; B–P4 100 + 3000 + 100 = 3200; B–P1 100 + 3000 + 500 = 3600; A–P3 100 + 3000 + 900 = 4000.
A point Q (6100, 600) stands on the stray piece's top (leg 100): B–Q = 100 + 3000 + 400 (the link) + 300 + 100 = 3900.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely import LineString, Point, box

from fm.domain.geo import PLANE_CRS, STORAGE_CRS
from fm.domain.portfolio.catchment import area_points, catchments, distance_matrix
from fm.errors import ValidationError


def _sites() -> gpd.GeoDataFrame:
    # stored as the database holds them (EPSG:4326), in the wrong order: the code orders them
    frame = gpd.GeoDataFrame(
        {"code": ["B", "A"], "name": ["site B", "site A"]}, geometry=[Point(3000, 0), Point(0, 0)], crs=PLANE_CRS
    )
    return frame.to_crs(STORAGE_CRS)


def _areas() -> gpd.GeoDataFrame:
    centres = [(0, 400), (1200, 0), (3000, 800), (6000, 0)]
    return gpd.GeoDataFrame(
        {
            "code": ["P1", "P2", "P3", "P4"],
            "name": ["one", "two", "three", "four"],
            "age_0_14": [100, 50, 200, 10],
            "age_15_64": [600, 300, 1000, 60],
            "age_65_over": [300, 150, 800, 30],
        },
        geometry=[box(x - 100, y - 100, x + 100, y + 100) for x, y in centres],
        crs=PLANE_CRS,
    ).to_crs(STORAGE_CRS)


def _network() -> gpd.GeoDataFrame:
    lines = [LineString([(-500, -100), (6500, -100)]), LineString([(3000, -100), (3000, 1000)])]
    lines.append(LineString([(6000, 300), (6000, 600)]))
    return gpd.GeoDataFrame(geometry=lines, crs=PLANE_CRS).to_crs(STORAGE_CRS)


def test_area_points_are_centroids_in_the_plane() -> None:
    points = area_points(_areas())
    assert np.allclose(points.x, [0, 1200, 3000, 6000], atol=1e-3)
    assert np.allclose(points.y, [400, 0, 800, 0], atol=1e-3)


def test_straight_line_catchments_worked_by_hand() -> None:
    found = catchments(_sites(), _areas(), distance_m=2000, close="A")
    areas = found.areas.set_index("code")
    assert found.method == "straight"
    assert areas["nearest"].tolist() == ["A", "A", "B", "B"]
    assert areas["distance_m"].tolist() == [400.0, 1200.0, 800.0, 3000.0]
    assert areas["sites_within"].tolist() == [1, 2, 1, 0]
    assert areas["overlap"].tolist() == [False, True, False, False]
    assert areas["beyond"].tolist() == [False, False, False, True]
    assert areas["nearest_after"].tolist() == ["B", "B", "B", "B"]
    assert areas["distance_after_m"].tolist() == [3026.5, 1800.0, 800.0, 3000.0]
    assert areas["loses"].tolist() == [True, False, False, False]
    sites = found.sites.set_index("code")
    assert sites.index.tolist() == ["A", "B"]
    assert sites["population"].tolist() == [1500, 2100]
    assert sites["age_65_over"].tolist() == [450, 830]
    assert sites["overlap_population"].tolist() == [500, 0]
    assert found.summary == {
        "population": 3600,
        "unreachable_population": 0,
        "beyond_population": 100,
        "overlap_population": 500,
        "beyond_population_after": 1100,
        "losing_areas": 1,
        "losing_population": 1000,
    }


def test_network_catchments_worked_by_hand() -> None:
    matrix = distance_matrix(_sites().sort_values("code"), _areas(), network=_network())
    assert np.allclose(matrix, [[600, 1400, 4000, 6200], [3600, 2000, 800, 3200]], atol=0.01)
    found = catchments(_sites(), _areas(), distance_m=2000, network=_network(), close="A")
    areas = found.areas.set_index("code")
    assert found.method == "network"
    assert areas["distance_m"].tolist() == [600.0, 1400.0, 800.0, 3200.0]
    assert areas["overlap"].tolist() == [False, True, False, False]  # B–P2 is exactly 2,000 m: within
    assert areas["distance_after_m"].tolist() == [3600.0, 2000.0, 800.0, 3200.0]
    assert areas["loses"].tolist() == [True, False, False, False]


def test_pieces_of_the_network_that_do_not_touch_are_joined_by_the_shortest_link() -> None:
    sites = gpd.GeoDataFrame({"code": ["B"], "name": ["b"]}, geometry=[Point(3000, 0)], crs=PLANE_CRS)
    q = gpd.GeoSeries([Point(6100, 600)], crs=PLANE_CRS)
    assert distance_matrix(sites, q, network=_network()).round(3).tolist() == [[3900.0]]
    straight = distance_matrix(sites, q)
    assert straight[0, 0] < 3900  # along the network is never shorter than straight


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"distance_m": -1}, "distance"),
        ({"distance_m": float("nan")}, "distance"),
        ({"distance_m": "far"}, "distance"),
        ({"close": "A"}, "distance"),
        ({"distance_m": 100, "close": "Z"}, "close"),
    ],
)
def test_bad_parameters_are_refused_naming_the_field(options: dict, field: str) -> None:
    with pytest.raises(ValidationError, match=rf"^{field}: "):
        catchments(_sites(), _areas(), **options)


def test_bad_areas_are_refused_naming_the_record() -> None:
    areas = _areas()
    areas.loc[2, "age_65_over"] = -5
    with pytest.raises(ValidationError, match="area P3: population"):
        catchments(_sites(), areas)
    with pytest.raises(ValidationError, match="sites: there is no site"):
        catchments(_sites().iloc[:0], _areas())


def test_along_scattered_roads_every_distance_is_finite_and_never_shorter_than_straight() -> None:
    rng = np.random.default_rng(16)
    start = rng.uniform(0, 5000, (60, 2))
    angle = rng.uniform(0, 2 * np.pi, 60)
    end = start + 300 * np.column_stack([np.cos(angle), np.sin(angle)])
    roads = gpd.GeoSeries([LineString([a, b]) for a, b in zip(start, end, strict=True)], crs=PLANE_CRS)
    sites = gpd.GeoSeries([Point(p) for p in rng.uniform(0, 5000, (5, 2))], crs=PLANE_CRS)
    areas = gpd.GeoSeries([Point(p) for p in rng.uniform(0, 5000, (40, 2))], crs=PLANE_CRS)
    along = distance_matrix(sites, areas, network=roads)
    assert np.isfinite(along).all()
    assert (along >= distance_matrix(sites, areas) - 1e-6).all()
