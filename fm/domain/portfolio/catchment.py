"""Catchments (利用圏): which population each site of a kind of service serves, where sites overlap, and which
areas would be left beyond a distance if one site closed (docs/portfolio.md has the formulas and a worked example).

- **An area** (a district, or any polygon with a population) is represented by one point in EPSG:6677: its
  centroid, or, when the centroid falls outside the polygon (a crescent-shaped district), its representative point
  (a point surely inside, shapely's ``point_on_surface``). fm holds no population below the district, so no
  population-weighted point can be drawn from the data; finer areas (町丁目, grid cells) give finer catchments.
- **A site** is a point in EPSG:6677: the building's point (a polygon: its representative point).
- **Distance** is straight-line in EPSG:6677, or along the network: the straight leg from the site to the nearest
  point of the network, the shortest path along the lines (Dijkstra, :mod:`scipy.sparse.csgraph`), and the straight
  leg from the network to the area's point. Lines are noded where they cross; pieces of the network that do not
  touch are joined by the shortest straight links between them (every two pieces less than :data:`GAP_M` apart,
  and a minimum spanning tree over all the pieces), crossed at their length, so that a stray piece of road strands
  no point and no distance is shorter than the straight one.
- **Served**: every area's whole population goes to its nearest site (ties: the site that comes first by code).
  **Overlap**: an area within ``distance_m`` of two or more sites. **Closing** a site: each area is assigned again
  among the others; an area *loses* when its nearest site was within ``distance_m`` before and none is after.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra

from fm.domain.geo import PLANE_CRS
from fm.domain.portfolio.usage import apportion
from fm.errors import ValidationError

AGE_CLASSES = ("age_0_14", "age_15_64", "age_65_over")
METHODS = ("straight", "network")
MAX_CELLS = 50_000
"""The most grid cells :func:`grid_cells` cuts (Kamakura, 40 km², in 100 m cells: about 6,000)."""
GAP_M = 250.0
"""Pieces of the network closer than this (m) are linked across the gap as if on foot (a path, a square, a lane not
held as an asset): on the demo's piecemeal roads this brings the median route factor (along ÷ straight) from 2.3
with the spanning tree's links alone to 1.33, about what real street networks give."""
SNAP_MM = 1000
"""Network vertices closer than a millimetre are one node (coordinates rounded to the mm in EPSG:6677)."""


@dataclass(frozen=True)
class Catchments:
    """The answer of :func:`catchments`.

    ``areas``: one row per area: code, name, population, the age classes, ``nearest`` (site code, None when no site
    is reachable), ``distance_m``, ``sites_within`` (how many sites lie within ``distance_m``), ``overlap``,
    ``beyond`` (nearest farther than ``distance_m``); with a closure also ``nearest_after``, ``distance_after_m``,
    ``loses``. ``sites``: one row per site: code, name, ``areas`` (how many it serves), population and age classes
    served, ``overlap_population`` (of those, the people also within ``distance_m`` of another site).
    """

    method: str
    distance_m: float | None
    closed: str | None
    areas: pd.DataFrame
    sites: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)


def area_points(areas: gpd.GeoDataFrame | gpd.GeoSeries) -> gpd.GeoSeries:
    """Each area's point in EPSG:6677: its centroid, or its representative point when the centroid is outside.

    >>> from shapely import Polygon, box
    >>> u = Polygon([(0, 0), (30, 0), (30, 30), (20, 30), (20, 10), (10, 10), (10, 30), (0, 30)])
    >>> points = area_points(gpd.GeoSeries([box(0, 0, 100, 50), u], crs=PLANE_CRS))
    >>> [(round(p.x, 1), round(p.y, 1)) for p in points]
    [(50.0, 25.0), (5.0, 20.0)]
    """
    plane = _plane(areas)
    centroids = plane.centroid
    inside = plane.contains(centroids) | plane.geom_type.isin(["Point", "MultiPoint"])
    return centroids.where(inside, plane.representative_point())


def grid_cells(areas: gpd.GeoDataFrame, size_m: float) -> gpd.GeoDataFrame:
    """Each area cut into the squares of a ``size_m`` grid in EPSG:6677 (aligned on multiples of ``size_m``), its
    people shared over its pieces by their area (each age class in whole people, largest remainder): finer
    catchments when the population is known only by district, on the assumption that people are spread evenly
    over it. A piece is coded ``<area code>-<n>`` (n from 1, west to east, then south to north) and keeps ``district``
    (the area's code); returned in EPSG:6677.

    >>> from shapely import box
    >>> area = gpd.GeoDataFrame({"code": ["X"], "name": ["x"], "age_0_14": [10], "age_15_64": [0],
    ...                          "age_65_over": [3]}, geometry=[box(0, 0, 1500, 1000)], crs=PLANE_CRS)
    >>> cells = grid_cells(area, 1000)
    >>> cells["code"].tolist(), cells["age_0_14"].tolist(), cells["age_65_over"].tolist()
    (['X-1', 'X-2'], [7, 3], [2, 1])
    """
    if not np.isfinite(size_m) or size_m < 50:
        raise ValidationError(f"cell: must be 50 m or more, got {size_m!r}")
    plane = areas.assign(geometry=_plane(areas)).set_crs(PLANE_CRS, allow_override=True)
    bounds = plane.geometry.bounds
    squares_needed = (
        ((bounds["maxx"] - bounds["minx"]) / size_m + 1) * ((bounds["maxy"] - bounds["miny"]) / size_m + 1)
    ).sum()
    if squares_needed > MAX_CELLS:
        raise ValidationError(
            f"cell: {size_m:g} m would cut the areas into about {squares_needed:,.0f} cells; choose a larger size"
        )
    rows = []
    for area in plane.itertuples(index=False):
        shape = area.geometry
        west, south, east, north = shape.bounds
        xs = np.arange(np.floor(west / size_m) * size_m, east, size_m)
        ys = np.arange(np.floor(south / size_m) * size_m, north, size_m)
        squares = [shapely.box(x, y, x + size_m, y + size_m) for y in ys for x in xs]
        squares.sort(key=lambda b: (b.bounds[0], b.bounds[1]))
        pieces = [p for p in shapely.intersection(squares, shape) if not p.is_empty and p.area > 0]
        weights = [max(1, round(p.area)) for p in pieces]
        shares = {c: apportion(int(getattr(area, c)), weights) for c in AGE_CLASSES}
        for n, piece in enumerate(pieces):
            rows.append(
                {
                    "code": f"{area.code}-{n + 1}",
                    "name": f"{getattr(area, 'name', area.code)} {n + 1}",
                    "district": area.code,
                    **{c: shares[c][n] for c in AGE_CLASSES},
                    "geometry": piece,
                }
            )
    columns = ["code", "name", "district", *AGE_CLASSES, "geometry"]
    return gpd.GeoDataFrame(rows, columns=columns, geometry="geometry", crs=PLANE_CRS)


def site_points(sites: gpd.GeoDataFrame | gpd.GeoSeries) -> gpd.GeoSeries:
    """Each site's point in EPSG:6677 (a point as it is; any other shape: its representative point)."""
    plane = _plane(sites)
    return plane.where(plane.geom_type == "Point", plane.representative_point())


def _plane(frame: gpd.GeoDataFrame | gpd.GeoSeries) -> gpd.GeoSeries:
    series = frame.geometry if isinstance(frame, gpd.GeoDataFrame) else frame
    if series.crs is None:
        raise ValidationError("geometry has no CRS: set it (fm stores EPSG:4326) before measuring distances")
    if series.isna().any() or series.is_empty.any():
        raise ValidationError("every site and area needs a geometry")
    return series.to_crs(PLANE_CRS)


def distance_matrix(
    sites: gpd.GeoDataFrame | gpd.GeoSeries,
    areas: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    network: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
) -> np.ndarray:
    """Metres from each site (rows) to each area's point (columns): straight-line in EPSG:6677, or along
    ``network`` (lines) when given; ``inf`` where the network joins no path.

    >>> from shapely import LineString, Point
    >>> sites = gpd.GeoSeries([Point(0, 0)], crs=PLANE_CRS)
    >>> areas = gpd.GeoSeries([Point(300, 400)], crs=PLANE_CRS)
    >>> distance_matrix(sites, areas).tolist()
    [[500.0]]
    >>> road = gpd.GeoSeries([LineString([(0, 10), (300, 10), (300, 400)])], crs=PLANE_CRS)
    >>> distance_matrix(sites, areas, network=road).tolist()
    [[700.0]]
    """
    s = site_points(sites)
    a = area_points(areas)
    sx, sy = s.x.to_numpy(), s.y.to_numpy()
    ax, ay = a.x.to_numpy(), a.y.to_numpy()
    if network is None:
        return np.hypot(sx[:, None] - ax[None, :], sy[:, None] - ay[None, :])
    return _network_distances(np.column_stack([sx, sy]), np.column_stack([ax, ay]), _plane(network))


def _segments(lines: gpd.GeoSeries) -> np.ndarray:
    """The network as straight segments (n × 2 × 2), noded where lines cross."""
    parts = shapely.get_parts(lines[lines.geom_type.isin(["LineString", "MultiLineString"])].to_numpy())
    parts = parts[~shapely.is_empty(parts)]
    if len(parts) == 0:
        raise ValidationError("network: there are no lines to measure along")
    noded = shapely.get_parts(shapely.node(shapely.multilinestrings(parts)))
    coords, index = shapely.get_coordinates(noded, return_index=True)
    same = index[:-1] == index[1:]
    segments = np.stack([coords[:-1][same], coords[1:][same]], axis=1)
    return segments[np.hypot(*(segments[:, 1] - segments[:, 0]).T) > 0]


def _pieces(segments: np.ndarray) -> np.ndarray:
    """The connected piece each segment belongs to (segments sharing an end, to the mm)."""
    _nodes, ends = np.unique(np.round(segments.reshape(-1, 2) * SNAP_MM), axis=0, return_inverse=True)
    ends = ends.reshape(-1, 2)
    graph = csr_matrix((np.ones(len(ends)), (ends[:, 0], ends[:, 1])), shape=(ends.max() + 1, ends.max() + 1))
    return connected_components(graph, directed=False)[1][ends[:, 0]]


def _gap_links(segments: np.ndarray) -> np.ndarray:
    """Straight links (m × 2 × 2) across the gaps between pieces of the network that do not touch: the shortest link
    between every two pieces less than :data:`GAP_M` apart, and the links of a minimum spanning tree over the pieces
    (Borůvka's rounds: each group of pieces linked to its nearest other group until one is left), so that every piece
    is joined, and by the shortest gaps."""
    pieces = _pieces(segments)
    geoms = shapely.linestrings(segments)
    links: list[np.ndarray] = [np.zeros((0, 2, 2))]
    order = np.argsort(pieces, kind="stable")
    shapes = shapely.multilinestrings(geoms[order], indices=pieces[order])
    near, other = shapely.STRtree(shapes).query(shapes, predicate="dwithin", distance=GAP_M)
    pairs = near < other
    links.append(
        shapely.get_coordinates(shapely.shortest_line(shapes[near[pairs]], shapes[other[pairs]])).reshape(-1, 2, 2)
    )
    group = pieces
    while group.max() > 0:
        labels, group = np.unique(group, return_inverse=True)
        order = np.argsort(group, kind="stable")
        shapes = shapely.multilinestrings(geoms[order], indices=group[order])
        mine, other = shapely.STRtree(shapes).query_nearest(shapes, all_matches=False, exclusive=True)
        lines = shapely.shortest_line(shapes[mine], shapes[other])
        links.append(shapely.get_coordinates(lines).reshape(-1, 2, 2))
        joined = csr_matrix((np.ones(len(mine)), (mine, other)), shape=(len(labels), len(labels)))
        group = connected_components(joined, directed=False)[1][group]
    return np.concatenate(links)


def _network_distances(sites: np.ndarray, areas: np.ndarray, lines: gpd.GeoSeries) -> np.ndarray:
    segments = _segments(lines)
    links = _gap_links(segments)
    geoms = shapely.linestrings(segments)
    points = np.vstack([sites, areas])
    # Every point (sites, areas, the ends of the gap links) stands on its nearest segment at its foot.
    standing = np.vstack([points, links.reshape(-1, 2)])
    geometries = shapely.points(standing)
    nearest = shapely.STRtree(geoms).query_nearest(geometries, all_matches=False)[1]
    along = shapely.line_locate_point(geoms[nearest], geometries)
    foot = shapely.get_coordinates(shapely.line_interpolate_point(geoms[nearest], along))
    leg = np.hypot(*(points - foot[: len(points)]).T)
    # Split each segment at the feet standing on it, so a path can run along it to them.
    start, end = segments[:, 0], segments[:, 1]
    order = np.lexsort((along, nearest))
    attached = np.zeros(len(segments), dtype=bool)
    attached[nearest] = True
    pieces: list[np.ndarray] = [np.concatenate([start[~attached], end[~attached]], axis=1)]
    for seg in np.unique(nearest):
        mine = order[nearest[order] == seg]
        chain = np.vstack([start[seg], foot[mine], end[seg]])
        pieces.append(np.concatenate([chain[:-1], chain[1:]], axis=1))
    link_feet = foot[len(points) :].reshape(-1, 2, 2)
    pieces.append(np.concatenate([link_feet[:, 0], link_feet[:, 1]], axis=1))
    edges = np.vstack(pieces)
    every = np.round(np.vstack([edges[:, :2], edges[:, 2:], foot[: len(points)]]) * SNAP_MM)
    nodes, ends = np.unique(every, axis=0, return_inverse=True)
    n = len(edges)
    u, v, w = ends[:n], ends[n : 2 * n], np.hypot(*(edges[:, 2:] - edges[:, :2]).T)
    foot_node = ends[2 * n :]
    frame = pd.DataFrame({"u": np.minimum(u, v), "v": np.maximum(u, v), "w": w})
    frame = frame[frame["u"] != frame["v"]].groupby(["u", "v"], as_index=False)["w"].min()
    graph = csr_matrix((frame["w"], (frame["u"], frame["v"])), shape=(len(nodes), len(nodes)))
    k = len(sites)
    origins, back = np.unique(foot_node[:k], return_inverse=True)
    paths = dijkstra(graph, directed=False, indices=origins)[back][:, foot_node[k:]]
    return leg[:k, None] + paths + leg[None, k:]


def check_distance(distance_m: float | None) -> float | None:
    """``distance_m`` if it is a finite number ≥ 0 (or None), else a ValidationError naming it.

    >>> check_distance(800), check_distance(None)
    (800.0, None)
    """
    if distance_m is None:
        return None
    try:
        value = float(distance_m)
    except (TypeError, ValueError):
        raise ValidationError(f"distance: must be a number of metres, got {distance_m!r}") from None
    if not np.isfinite(value) or value < 0:
        raise ValidationError(f"distance: must be a number of metres, 0 or more, got {distance_m!r}")
    return value


def catchments(
    sites: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    *,
    distance_m: float | None = None,
    network: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    close: str | None = None,
) -> Catchments:
    """Which population each site serves, the overlaps within ``distance_m`` and, with ``close`` (a site's
    code), the areas that would lose their site within ``distance_m``.

    ``sites``: code (unique), name, geometry. ``areas``: code, name, the age classes (:data:`AGE_CLASSES`,
    whole people), geometry. Both with a CRS. ``network``: lines to measure along instead of straight lines.
    """
    distance = check_distance(distance_m)
    if close is not None and distance is None:
        raise ValidationError("distance: give the distance (m) within which a closed site's areas must keep a site")
    if len(sites) == 0:
        raise ValidationError("sites: there is no site to serve the areas")
    if sites["code"].duplicated().any():
        raise ValidationError(
            f"sites: codes must be unique, {sites['code'][sites['code'].duplicated()].iloc[0]!r} is not"
        )
    order = np.argsort(sites["code"].to_numpy(), kind="stable")
    sites = sites.iloc[order].reset_index(drop=True)
    if close is not None and close not in set(sites["code"]):
        raise ValidationError(f"close: {close!r} is not one of these sites ({', '.join(sites['code'])})")
    missing = [c for c in AGE_CLASSES if c not in areas.columns]
    if missing:
        raise ValidationError(f"areas: missing the population column(s) {', '.join(missing)}")
    people = areas[list(AGE_CLASSES)]
    if people.isna().any().any() or (people < 0).any().any():
        bad = areas["code"][(people.isna() | (people < 0)).any(axis=1)].iloc[0]
        raise ValidationError(f"area {bad}: population by age class must be whole numbers, 0 or more")
    matrix = distance_matrix(sites, areas, network=network)
    frame = pd.DataFrame(
        {
            "code": areas["code"].to_numpy(),
            "name": areas["name"].to_numpy() if "name" in areas else areas["code"].to_numpy(),
            "population": people.sum(axis=1).astype("int64").to_numpy(),
            **{c: people[c].astype("int64").to_numpy() for c in AGE_CLASSES},
        }
    )
    codes = sites["code"].to_numpy()
    frame["nearest"], frame["distance_m"] = _nearest(matrix, codes)
    if distance is not None:
        within = matrix <= distance
        frame["sites_within"] = within.sum(axis=0)
        frame["overlap"] = frame["sites_within"] >= 2
        frame["beyond"] = ~within.any(axis=0)
    if close is not None:
        kept = codes != close
        frame["nearest_after"], frame["distance_after_m"] = _nearest(matrix[kept], codes[kept])
        after = frame["distance_after_m"].fillna(np.inf)
        frame["beyond_after"] = after > distance
        frame["loses"] = ~frame["beyond"] & frame["beyond_after"]
    served = _served(sites, frame)
    summary = _summary(frame, distance, close)
    method = "straight" if network is None else "network"
    return Catchments(method=method, distance_m=distance, closed=close, areas=frame, sites=served, summary=summary)


def _nearest(matrix: np.ndarray, codes: np.ndarray) -> tuple[pd.Series, pd.Series]:
    if matrix.shape[0] == 0:
        n = matrix.shape[1]
        return pd.Series([None] * n, dtype=object), pd.Series(np.full(n, np.nan), dtype=float)
    best = np.argmin(matrix, axis=0)  # the first of equals: sites are in code order
    distance = matrix[best, np.arange(matrix.shape[1])]
    reachable = np.isfinite(distance)
    return (
        pd.Series(np.where(reachable, codes[best], None), dtype=object),
        pd.Series(np.where(reachable, np.round(distance, 1), np.nan), dtype=float),
    )


def _served(sites: gpd.GeoDataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    columns = ["population", *AGE_CLASSES]
    by_site = frame.groupby("nearest")[columns].sum()
    count = frame.groupby("nearest").size()
    out = pd.DataFrame({"code": sites["code"], "name": sites["name"] if "name" in sites else sites["code"]})
    out["areas"] = out["code"].map(count).fillna(0).astype("int64")
    for column in columns:
        out[column] = out["code"].map(by_site[column]).fillna(0).astype("int64")
    if "overlap" in frame:
        shared = frame[frame["overlap"]].groupby("nearest")["population"].sum()
        out["overlap_population"] = out["code"].map(shared).fillna(0).astype("int64")
    return out


def _summary(frame: pd.DataFrame, distance: float | None, close: str | None) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "population": int(frame["population"].sum()),
        "unreachable_population": int(frame.loc[frame["nearest"].isna(), "population"].sum()),
    }
    if distance is not None:
        summary["beyond_population"] = int(frame.loc[frame["beyond"], "population"].sum())
        summary["overlap_population"] = int(frame.loc[frame["overlap"], "population"].sum())
    if close is not None:
        summary["beyond_population_after"] = int(frame.loc[frame["beyond_after"], "population"].sum())
        summary["losing_areas"] = int(frame["loses"].sum())
        summary["losing_population"] = int(frame.loc[frame["loses"], "population"].sum())
    return summary
