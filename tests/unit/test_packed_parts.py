"""The packing's parts (fm.domain.maps.packed._parts) are shapely.get_parts' own, in the same order."""

from __future__ import annotations

import numpy as np
import shapely

from fm.domain.maps import packed


def test_parts_are_shapely_parts_in_order():
    geoms = np.array(
        [
            shapely.Point(139.5, 35.3),
            shapely.from_wkt("MULTILINESTRING ((0 0, 1 1), (2 2, 3 3, 4 4))"),
            shapely.from_wkt("POLYGON ((0 0, 4 0, 4 4, 0 4, 0 0), (1 1, 2 1, 2 2, 1 1))"),
            shapely.from_wkt("GEOMETRYCOLLECTION (POINT (5 5), LINESTRING (0 0, 1 0))"),
            shapely.LineString([(0, 0), (0, 2)]),
            shapely.from_wkt("MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)), ((2 2, 3 2, 3 3, 2 2)))"),
            shapely.from_wkt("MULTIPOINT ((1 1), (2 2))"),
            shapely.from_wkt("GEOMETRYCOLLECTION EMPTY"),
            shapely.Point(1, 2),
        ],
        dtype=object,
    )
    parts, part_of = packed._parts(geoms)
    expected, expected_of = shapely.get_parts(geoms, return_index=True)
    assert part_of.tolist() == expected_of.tolist() == [0, 1, 1, 2, 3, 3, 4, 5, 5, 6, 6, 8]
    assert shapely.equals_exact(parts, expected, tolerance=0).all()
