"""Coordinate conventions: geometry is stored in EPSG:4326; lengths and areas are measured in EPSG:6677.

EPSG:6677 is JGD2011 / Japan Plane Rectangular CS IX, the survey plane of Kanagawa
(and Tokyo); distances in degrees are never used for anything that has a unit.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

STORAGE_CRS = "EPSG:4326"
PLANE_CRS = "EPSG:6677"


def area_m2(frame: gpd.GeoDataFrame | gpd.GeoSeries) -> pd.Series:
    """Area of each geometry in m², measured in EPSG:6677.

    Examples
    --------
    >>> from shapely import box
    >>> square = gpd.GeoSeries([box(0, 0, 100, 100)], crs=PLANE_CRS).to_crs(STORAGE_CRS)
    >>> round(float(area_m2(square).iloc[0]), 6)
    10000.0
    """
    return _plane(frame).area


def length_m(frame: gpd.GeoDataFrame | gpd.GeoSeries) -> pd.Series:
    """Length of each geometry in m, measured in EPSG:6677."""
    return _plane(frame).length


def prepare() -> None:
    """Look the two CRSs and the transformation between them up once, as a process's first measurement would
    (PROJ's database, 20-30 ms): the command server does it before forking a command (fm.app.conventions.prepare)."""
    length_m(gpd.GeoSeries.from_xy([139.55], [35.32], crs=STORAGE_CRS))


def _plane(frame: gpd.GeoDataFrame | gpd.GeoSeries) -> gpd.GeoSeries:
    series = frame.geometry if isinstance(frame, gpd.GeoDataFrame) else frame
    if series.crs is None:
        raise ValueError("geometry has no CRS; fm stores EPSG:4326, set it before measuring")
    return series.to_crs(PLANE_CRS)


OVERLAP_TOLERANCE_M = 0.5
"""Two districts whose common ground is at most this wide (m, in EPSG:6677: its area over half its perimeter)
only share an edge: the slivers left along a boundary drawn twice, or with other vertices, are not an overlap."""


def overlaps(
    shapes: gpd.GeoSeries, others: gpd.GeoSeries | None = None, *, tolerance_m: float = OVERLAP_TOLERANCE_M
) -> pd.DataFrame:
    """The pairs of polygons whose common ground is wider than ``tolerance_m``: ``left`` and ``right`` (index
    labels; ``right`` in ``others`` when given, else in ``shapes``, each pair once), ``area_m2`` and ``width_m``.

    The intersection is taken in the stored CRS, where a shared edge is the same line in both polygons, and
    measured in EPSG:6677.

    >>> from shapely import box
    >>> plane = gpd.GeoSeries([box(0, 0, 100, 100), box(100, 0, 200, 100), box(150, 50, 250, 150)], crs=PLANE_CRS)
    >>> overlaps(plane.to_crs(STORAGE_CRS)).round(0).to_dict("records")
    [{'left': 1, 'right': 2, 'area_m2': 2500.0, 'width_m': 25.0}]
    """
    right = shapes if others is None else others
    empty = pd.DataFrame({"left": [], "right": [], "area_m2": [], "width_m": []})
    if not len(shapes) or not len(right):
        return empty
    if shapes.crs is None or right.crs is None:
        raise ValueError("geometry has no CRS; fm stores EPSG:4326, set it before measuring")
    right = right.to_crs(shapes.crs)
    a, b = right.sindex.query(shapes.to_numpy(), predicate="intersects")
    if others is None:
        keep = a < b
        a, b = a[keep], b[keep]
    common = gpd.GeoSeries(shapes.to_numpy()[a], crs=shapes.crs).intersection(
        gpd.GeoSeries(right.to_numpy()[b], crs=shapes.crs)
    )
    plane = common.to_crs(PLANE_CRS)
    area = plane.area.to_numpy()
    half_perimeter = plane.boundary.length.to_numpy() / 2
    width = np.divide(area, half_perimeter, out=np.zeros_like(area), where=half_perimeter > 0)
    found = width > tolerance_m
    return pd.DataFrame(
        {
            "left": shapes.index[a[found]],
            "right": right.index[b[found]],
            "area_m2": area[found],
            "width_m": width[found],
        }
    ).reset_index(drop=True)
