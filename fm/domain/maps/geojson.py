"""GeoJSON for the browser: geometries simplified to what the zoom level can show, coordinates
rounded to 1e-6° (about 0.1 m), so a viewport of features stays small."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from fm.serialize import to_json

DECIMALS = 6


def tolerance(zoom: int) -> float:
    """Half a screen pixel at ``zoom``, in degrees of longitude: detail finer than that cannot show.

    Examples
    --------
    >>> round(tolerance(14), 7)
    4.29e-05
    """
    return 360 / (256 * 2**zoom) / 2


def geometries(geoms: gpd.GeoSeries, zoom: int | None) -> list[str]:
    """GeoJSON geometry objects as text, simplified for ``zoom`` (``None``: full detail) and rounded."""
    values = geoms.to_numpy()
    if zoom is not None:
        simple = shapely.simplify(values, tolerance(zoom), preserve_topology=True)
        values = np.where(shapely.is_empty(simple), values, simple)
    values = shapely.transform(values, lambda coords: np.round(coords, DECIMALS))
    return shapely.to_geojson(values).tolist()


def features(
    frame: gpd.GeoDataFrame, properties: Sequence[str], *, zoom: int | None = None, **members: Any
) -> dict[str, Any]:
    """:func:`features_text` as objects (an exported file, a test).

    Examples
    --------
    >>> frame = gpd.GeoDataFrame({"code": ["B-1"]}, geometry=[shapely.Point(139.5512345678, 35.3)], crs=4326)
    >>> features(frame, ["code"], mode="features")["features"][0]
    {'type': 'Feature', 'geometry': {'type': 'Point', 'coordinates': [139.551235, 35.3]}, 'properties': {'code': 'B-1'}}
    """
    return json.loads(features_text(frame, properties, zoom=zoom, **members))


def features_text(
    frame: gpd.GeoDataFrame, properties: Sequence[str], *, zoom: int | None = None, **members: Any
) -> str:
    """A FeatureCollection of ``frame``'s rows with the given property columns, as compact JSON text; ``members``
    are added at the top level (e.g. ``mode``, ``total``): :func:`collection_text` of :func:`feature_texts`."""
    return collection_text(feature_texts(frame, properties, zoom=zoom), **members)


def feature_texts(frame: gpd.GeoDataFrame, properties: Sequence[str], *, zoom: int | None = None) -> list[str]:
    """Each row of ``frame`` as the compact JSON text of one Feature: its geometry as :func:`geometries` writes it
    for ``zoom``, and the given property columns (missing values as null).

    Written from shapely's GeoJSON text of each geometry as it is: parsing those texts into objects only to write
    them out again was a third of a map viewport's time (2,300 lines at zoom 15). Each text depends on its own row
    alone, so texts made once can be kept and joined again (the map's viewport, fm.app.maps)."""
    return feature_texts_by_zoom(frame, properties, [zoom])[zoom]


def feature_texts_by_zoom(
    frame: gpd.GeoDataFrame, properties: Sequence[str], zooms: Sequence[int | None]
) -> dict[int | None, list[str]]:
    """:func:`feature_texts` at each of ``zooms``, the properties written once for all of them."""
    values = frame[list(properties)].astype(object).where(frame[list(properties)].notna(), None)
    written = [to_json(row, compact=True) for row in values.to_dict("records")]
    return {
        zoom: [
            f'{{"type":"Feature","geometry":{geometry},"properties":{row}}}'
            for geometry, row in zip(geometries(frame.geometry, zoom), written, strict=True)
        ]
        for zoom in zooms
    }


def collection_text(features: Iterable[str], **members: Any) -> str:
    """A FeatureCollection's compact JSON text from its features' texts (:func:`feature_texts`), with ``members``
    at the top level before them.

    Examples
    --------
    >>> collection_text(['{"type":"Feature"}'], mode="features", total=1)
    '{"type":"FeatureCollection","mode":"features","total":1,"features":[{"type":"Feature"}]}'
    """
    head = to_json({"type": "FeatureCollection", **members}, compact=True)[:-1]
    return f'{head},"features":[{",".join(features)}]}}'


def clusters(cells: pd.DataFrame, **members: Any) -> dict[str, Any]:
    """A FeatureCollection of cluster points from :func:`fm.domain.maps.viewport.cluster`."""
    counts = [c for c in cells.columns if c.startswith("n_")]
    # column by column as Python values: a frame's to_dict cost more than the rest of a clustered viewport
    records = zip(*(cells[c].to_numpy().tolist() for c in ["x", "y", "count", "class", *counts]), strict=True)
    feats = []
    for x, y, count, worst, *by_class in records:
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [round(x, DECIMALS), round(y, DECIMALS)]},
                "properties": {
                    "count": int(count),
                    "class": worst,
                    "classes": {c[2:]: int(n) for c, n in zip(counts, by_class, strict=True) if n},
                },
            }
        )
    return {"type": "FeatureCollection", **members, "features": feats}
