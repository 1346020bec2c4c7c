"""What a map's viewport gets: the parameters it asks with, checked, and either its features or,
when there are too many to draw, clusters of them on a screen grid.

A map of 100,000 assets stays fast because the browser never holds more than
``MAX_FEATURES`` features: past that, the server groups the points of the viewport into
cells of ``CELL_PX`` screen pixels (Web Mercator, at the requested zoom) and sends one
marker per cell with its count and its worst class.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fm.domain import params
from fm.errors import ValidationError

MAX_FEATURES = 5_000
CELL_PX = 64
MAX_ZOOM = 22
# Japan and its seas, lon/lat: a viewport wholly outside it is a mistake (often lon/lat swapped).
JAPAN = (122.0, 20.0, 154.0, 46.0)
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


@dataclass(frozen=True)
class Viewport:
    """The part of the map shown: ``bbox`` (west, south, east, north) in lon/lat, and the zoom level."""

    bbox: tuple[float, float, float, float]
    zoom: int


@dataclass(frozen=True)
class MapFilter:
    """Which assets a map shows; ``None`` means no restriction."""

    categories: tuple[str, ...] | None = None
    districts: tuple[int, ...] | None = None
    classes: tuple[str, ...] | None = None
    conditions: tuple[int, ...] | None = None


def parse_viewport(bbox: str | None, zoom: str | None) -> Viewport:
    """The viewport from query-string values ``bbox=west,south,east,north`` and ``zoom=N``.

    Every problem is gathered into one :class:`~fm.errors.ValidationError`.

    Examples
    --------
    >>> parse_viewport("139.5,35.3,139.6,35.35", "14")
    Viewport(bbox=(139.5, 35.3, 139.6, 35.35), zoom=14)
    """
    problems = []
    parts = (bbox or "").split(",")
    box: tuple[float, float, float, float] | None = None
    if bbox is None:
        problems.append("bbox is required: west,south,east,north in degrees (EPSG:4326)")
    elif len(parts) != 4 or not all(_NUMBER.fullmatch(p.strip()) for p in parts):
        problems.append(f"bbox must be four numbers west,south,east,north, got {bbox!r}")
    else:
        west, south, east, north = (float(p) for p in parts)
        swapped = JAPAN[1] <= west <= JAPAN[3] and JAPAN[0] <= south <= JAPAN[2]
        hint = " (latitude and longitude swapped? the order is west,south,east,north)" if swapped else ""
        if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
            problems.append(f"bbox {bbox!r}: needs -180 ≤ west < east ≤ 180 and -90 ≤ south < north ≤ 90{hint}")
        elif east < JAPAN[0] or west > JAPAN[2] or north < JAPAN[1] or south > JAPAN[3]:
            problems.append(f"bbox {bbox!r} lies outside Japan{hint}")
        else:
            box = (west, south, east, north)
    level = None
    if zoom is None:
        problems.append("zoom is required, e.g. zoom=14")
    elif not re.fullmatch(r"[0-9]{1,2}", zoom) or int(zoom) > MAX_ZOOM:
        problems.append(f"zoom must be a whole number from 0 to {MAX_ZOOM}, got {zoom!r}")
    else:
        level = int(zoom)
    if problems:
        raise ValidationError(problems)
    assert box is not None and level is not None
    return Viewport(box, level)


def parse_filter(
    args: Mapping[str, str], *, categories: Sequence[str], districts: Sequence[int], classes: Sequence[str]
) -> MapFilter:
    """The filter from comma-separated ``category``, ``district``, ``class`` and ``condition`` values,
    each checked against what exists. An empty value means no restriction (a form's "all"),
    except ``category``, where it means none shown (every layer switched off).

    Examples
    --------
    >>> parse_filter({"category": "road,bridge", "condition": "3,4", "class": ""}, categories=["road", "bridge"],
    ...              districts=[1, 2], classes=["high"])
    MapFilter(categories=('road', 'bridge'), districts=None, classes=None, conditions=(3, 4))
    """
    problems: list[str] = []

    def listed(name: str, known: Sequence, convert=str) -> tuple | None:
        raw = args.get(name)
        if raw is None or (not raw.strip() and name != "category"):
            return None
        return params.listed(name, raw, known, problems, convert)

    found = MapFilter(
        categories=listed("category", categories),
        districts=listed("district", districts, int),
        classes=listed("class", classes),
        conditions=listed("condition", (1, 2, 3, 4, 5), int),
    )
    if problems:
        raise ValidationError(problems)
    return found


def _filtered(found: MapFilter) -> list[tuple[str, tuple]]:
    pairs = (
        ("category", found.categories),
        ("district_id", found.districts),
        ("class", found.classes),
        ("state", found.conditions),
    )
    return [(column, allowed) for column, allowed in pairs if allowed is not None]


def filter_columns(found: MapFilter) -> list[str]:
    """The columns :func:`apply_filter` reads to apply ``found`` (none when it keeps everything)."""
    return [column for column, _ in _filtered(found)]


def apply_filter(points: pd.DataFrame, found: MapFilter) -> pd.DataFrame:
    """The rows of ``points`` (with the columns category, district_id, class, state, or those of them
    :func:`filter_columns` names) that ``found`` keeps."""
    keep = np.ones(len(points), dtype=bool)
    for column, allowed in _filtered(found):
        keep &= points[column].isin(allowed).to_numpy()
    return points[keep]


def meets(
    minx: np.ndarray, miny: np.ndarray, maxx: np.ndarray, maxy: np.ndarray, bbox: tuple[float, float, float, float]
) -> np.ndarray:
    """Which of the boxes meet ``bbox`` (west, south, east, north): the comparison a spatial index makes (R*Tree on
    SQLite, ``&&`` on PostGIS), on the boxes it holds.

    Examples
    --------
    >>> meets(np.array([0.0, 2.0]), np.array([0.0, 0.0]), np.array([1.0, 3.0]), np.array([1.0, 1.0]), (1, 0, 1.5, 1))
    array([ True, False])
    """
    west, south, east, north = bbox
    return (maxx >= west) & (minx <= east) & (maxy >= south) & (miny <= north)


def pixels(lon: np.ndarray, lat: np.ndarray, zoom: int) -> tuple[np.ndarray, np.ndarray]:
    """Web Mercator pixel coordinates at ``zoom`` (256-pixel tiles), as Leaflet computes them.

    Examples
    --------
    >>> [float(v[0]) for v in pixels(np.array([0.0]), np.array([0.0]), 0)]
    [128.0, 128.0]
    """
    scale = 256 * 2.0**zoom
    lat_rad = np.radians(np.clip(lat, -85.05112878, 85.05112878))
    x = (lon + 180) / 360 * scale
    y = (1 - np.log(np.tan(lat_rad) + 1 / np.cos(lat_rad)) / np.pi) / 2 * scale
    return x, y


def cluster_base(points: pd.DataFrame, order: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What :func:`cluster` computes of each point whatever the zoom: its pixel coordinates at zoom 0 and the rank
    of its class in ``order`` (-1: a class outside it). Kept with the points, a viewport does not compute them
    again (the logarithms and tangents, and the look-up of each class, were most of a clustered viewport's time)."""
    px0, py0 = pixels(points["x"].to_numpy(float), points["y"].to_numpy(float), 0)
    rank = pd.Index(list(order)).get_indexer(points["class"]).astype(np.int64)
    return px0, py0, rank


def cluster(
    points: pd.DataFrame,
    zoom: int,
    order: Sequence[str],
    *,
    cell_px: int = CELL_PX,
    base: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> pd.DataFrame:
    """One row per grid cell holding points: its centre (mean x, y), ``count``, the worst ``class``
    (earliest in ``order``) and the count of each class (``n_<class>``); ``base``: :func:`cluster_base` of the
    points if already computed.

    Examples
    --------
    >>> pts = pd.DataFrame({"x": [139.55, 139.5501, 139.6], "y": [35.32, 35.3201, 35.35],
    ...                     "class": ["low", "high", "low"]})
    >>> cluster(pts, 12, ["high", "low"])[["count", "class", "n_high", "n_low"]].to_dict("records")
    [{'count': 2, 'class': 'high', 'n_high': 1, 'n_low': 1}, {'count': 1, 'class': 'low', 'n_high': 0, 'n_low': 1}]
    """
    x, y = points["x"].to_numpy(float), points["y"].to_numpy(float)
    px0, py0, rank = base if base is not None else cluster_base(points, order)
    scale = 2.0**zoom  # a power of two: the same floats as pixels(x, y, zoom)
    px, py = px0 * scale, py0 * scale
    cx, cy = (px // cell_px).astype(np.int64), (py // cell_px).astype(np.int64)
    # numpy over one key per cell, in (cx, cy) order: a pandas group-by and cross-table here were most of a
    # zoomed-out map viewport's time (25,000 points)
    cells, cell = np.unique(cx * (cy.max(initial=0) + 1) + cy, return_inverse=True)
    count = np.bincount(cell, minlength=len(cells))
    worst = np.full(len(cells), len(order), dtype=np.int64)
    np.minimum.at(worst, cell, rank)
    known = rank >= 0
    by_class = np.bincount(cell[known] * len(order) + rank[known], minlength=len(cells) * len(order))
    return pd.DataFrame(  # made at once: a column added at a time cost more than the counting
        {
            "x": np.bincount(cell, weights=x, minlength=len(cells)) / count,
            "y": np.bincount(cell, weights=y, minlength=len(cells)) / count,
            "count": count,
            **{f"n_{key}": by_class[index :: len(order)] for index, key in enumerate(order)},
            "class": [order[r] for r in worst.tolist()],  # -1 (outside ``order``): its last
        }
    )
