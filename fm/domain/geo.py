"""Coordinate conventions: geometry is stored in EPSG:4326; lengths and areas are measured in EPSG:6677.

EPSG:6677 is JGD2011 / Japan Plane Rectangular CS IX, the survey plane of Kanagawa
(and Tokyo); distances in degrees are never used for anything that has a unit.
"""

from __future__ import annotations

import geopandas as gpd
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


def _plane(frame: gpd.GeoDataFrame | gpd.GeoSeries) -> gpd.GeoSeries:
    series = frame.geometry if isinstance(frame, gpd.GeoDataFrame) else frame
    if series.crs is None:
        raise ValueError("geometry has no CRS; fm stores EPSG:4326, set it before measuring")
    return series.to_crs(PLANE_CRS)
