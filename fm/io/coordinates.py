"""Each row's geometry, from a spatial file or from coordinate columns, checked and put into EPSG:4326.

A CSV or Excel file gives coordinates as ``lon``/``lat`` (経度/緯度: EPSG:4326 unless
stated), ``x``/``y`` (X座標/Y座標) or a ``wkt`` column (形状WKT). A header may state its
CRS, as fm's exports do: ``x (EPSG:6677)``, ``形状WKT（EPSG:4326）``. Otherwise, and for
a spatial file with no CRS, ``--crs`` must say it. Geometries must lie in Japan
(lon 122–154°, lat 20–46°); one that would lie there with its axes swapped is
reported as swapped, the usual mistake.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from fm.domain.geo import STORAGE_CRS
from fm.errors import FmError
from fm.io.columns import GEOMETRY_TYPES, Headers, Kind
from fm.io.files import Table, cells, numbers, parse
from fm.io.problems import Problem

JAPAN = (122.0, 20.0, 154.0, 46.0)
"""lon/lat bounds of Japan, from Yonaguni (122.9°E) to Minamitorishima (154.0°E), Okinotorishima (20.4°N)
to Etorofu (45.6°N)."""
GROUPS = (("lon", "lat"), ("x", "y"), ("wkt",))


def parse_crs(epsg: int | str) -> CRS:
    """The CRS of an EPSG code, or FmError saying the code is unknown."""
    try:
        return CRS.from_epsg(int(str(epsg).upper().removeprefix("EPSG:")))
    except (CRSError, ValueError):
        raise FmError(
            f"--crs {epsg}: not a known EPSG code (e.g. 4326 for longitude/latitude, "
            "6677 for Japan Plane Rectangular CS IX)"
        ) from None


def geometries(
    kind: Kind,
    frame: pd.DataFrame,
    table: Table,
    headers: Headers,
    names: dict[str, str],
    *,
    crs: int | None,
    problems: list[Problem],
    categories: pd.Series | None = None,
) -> gpd.GeoSeries | None:
    """Every row's geometry in EPSG:4326 (None for a row without one), or None when the file has none.

    With ``categories`` (each row's checked category), a geometry must be of a type
    :data:`~fm.io.columns.GEOMETRY_TYPES` allows for its category."""
    option = parse_crs(crs) if crs is not None else None
    if table.geometry is not None:
        label = "geometry"
        values = np.asarray(table.geometry.values, dtype=object)
        measured = shapely.has_z(values) | shapely.has_m(values)
        if measured.any():  # force_2d makes each geometry anew: only those with a Z or M
            values = values.copy()
            values[measured] = shapely.force_2d(values[measured])
        stated, implicit = table.geometry.crs, False
        unparsed = pd.Series(False, index=frame.index)
    else:
        groups = [g for g in GROUPS if set(g) & set(frame.columns)]
        if not groups:
            return None
        if len(groups) > 1:
            problems.append(Problem("", "", "", "give the geometry one way only: lon/lat, x/y or wkt columns"))
            return None
        group = groups[0]
        missing = [c for c in group if c not in frame.columns]
        if missing:
            problems.append(Problem("", "", "", f"column {missing[0]!r} missing: {' and '.join(group)} go together"))
            return None
        label = "/".join(names[c] for c in group)
        stated_epsg = {headers.epsg[c] for c in group if c in headers.epsg}
        if len(stated_epsg) > 1:
            problems.append(
                Problem(
                    "",
                    label,
                    ", ".join(f"EPSG:{e}" for e in sorted(stated_epsg)),
                    "the coordinate headers state different CRSs",
                )
            )
            return None
        code = next(iter(stated_epsg), None)
        try:
            stated = CRS.from_epsg(code) if code is not None else None
        except CRSError:
            problems.append(Problem("", label, f"EPSG:{code}", "the header states an EPSG code that does not exist"))
            return None
        implicit = stated is None and group == ("lon", "lat")
        if implicit:
            stated = CRS.from_epsg(4326)
        values, unparsed = _from_columns(group, frame)
        for index in unparsed[unparsed].index:
            shown = " ".join(str(frame.at[index, c]) for c in group)
            problems.append(
                Problem(
                    table.rows.loc[index],
                    label,
                    shown,
                    "not valid WKT" if group == ("wkt",) else "coordinates are not numbers",
                )
            )
    source = _source(stated, option, implicit, problems)
    if source is None:
        return None
    result = gpd.GeoSeries(values, index=frame.index, crs=source)
    if not source.equals(CRS.from_epsg(4326)):
        result = result.to_crs(STORAGE_CRS)
    result = result.set_crs(STORAGE_CRS, allow_override=True)
    _check(kind, result, unparsed, table.rows, label, source, problems, categories)
    if kind.geometry == "MULTIPOLYGON":
        polygons = result.geom_type == "Polygon"
        result[polygons] = [shapely.MultiPolygon([g]) for g in result[polygons]]
    return result


def _from_columns(group: tuple[str, ...], frame: pd.DataFrame) -> tuple[np.ndarray, pd.Series]:
    if group == ("wkt",):
        text = cells(frame["wkt"])
        values = shapely.from_wkt(text.astype(object).where(text.notna(), None).to_numpy(), on_invalid="ignore")
        return values, text.notna() & pd.Series(shapely.is_missing(values), index=frame.index)
    a, b = (parse(cells(frame[c]), numbers) for c in group)
    given_a, given_b = cells(frame[group[0]]).notna(), cells(frame[group[1]]).notna()
    unparsed = (given_a | given_b) & (a.isna() | b.isna())
    ok = (a.notna() & b.notna()).to_numpy()
    values = np.full(len(frame), None, dtype=object)
    values[ok] = shapely.points(a.to_numpy(dtype=float)[ok], b.to_numpy(dtype=float)[ok])
    return values, unparsed


def _source(stated: CRS | None, option: CRS | None, implicit: bool, problems: list[Problem]) -> CRS | None:
    if option is not None and stated is not None and not implicit and not option.equals(stated):
        problems.append(
            Problem(
                "",
                "",
                "",
                f"the file says its CRS is {_name(stated)} but --crs says "
                f"{_name(option)}: leave out --crs, or fix the file",
            )
        )
        return None
    source = option or stated
    if source is None:
        problems.append(
            Problem(
                "",
                "",
                "",
                "the file does not say its coordinate reference system: give it with "
                "--crs (e.g. --crs 4326 for longitude/latitude, --crs 6677 for "
                "Plane Rectangular CS IX)",
            )
        )
        return None
    if source.to_epsg(min_confidence=70) is None:
        problems.append(
            Problem(
                "",
                "",
                "",
                f"the file's CRS ({source.name}) has no EPSG code fm can check: give the right one with --crs",
            )
        )
        return None
    return source


def _name(crs: CRS) -> str:
    epsg = crs.to_epsg(min_confidence=70)
    return f"EPSG:{epsg}" if epsg else crs.name


NAMES = {
    -1: "",
    0: "Point",
    1: "LineString",
    2: "LinearRing",
    3: "Polygon",
    4: "MultiPoint",
    5: "MultiLineString",
    6: "MultiPolygon",
    7: "GeometryCollection",
}
"""Geometry type names by shapely's type id."""
SHAPES = {
    "Point": "a point",
    "MultiPoint": "a point",
    "LineString": "a line",
    "MultiLineString": "a line",
    "LinearRing": "a line",
    "Polygon": "a polygon",
    "MultiPolygon": "a polygon",
    "GeometryCollection": "a geometry collection",
    "": "",
}


def shapes(types: tuple[str, ...]) -> str:
    """``a point or a polygon``: the shapes of ``types`` in words."""
    return " or ".join(dict.fromkeys(SHAPES[t] for t in types))


def _check(
    kind: Kind,
    result: gpd.GeoSeries,
    unparsed: pd.Series,
    rows: pd.Series,
    label: str,
    source: CRS,
    problems: list[Problem],
    categories: pd.Series | None,
) -> None:
    values = result.to_numpy(dtype=object)
    missing = shapely.is_missing(values) & ~unparsed.to_numpy()
    empty = ~missing & shapely.is_empty(values)
    present = ~missing & ~empty & ~unparsed.to_numpy()
    bounds = shapely.bounds(values)
    finite = np.isfinite(bounds).all(axis=1)
    valid = np.zeros(len(values), dtype=bool)
    valid[present & finite] = shapely.is_valid(values[present & finite])
    minx, miny, maxx, maxy = bounds.T
    with np.errstate(invalid="ignore"):
        inside = (minx >= JAPAN[0]) & (maxx <= JAPAN[2]) & (miny >= JAPAN[1]) & (maxy <= JAPAN[3])
        swapped = (miny >= JAPAN[0]) & (maxy <= JAPAN[2]) & (minx >= JAPAN[1]) & (maxx <= JAPAN[3])
        metres = (np.abs(bounds) > 180).any(axis=1)
    polygonal = np.isin(shapely.get_type_id(values), (3, 6))

    def report(mask: np.ndarray, message) -> None:
        for position in np.flatnonzero(mask):
            geometry = values[position]
            shown = "" if geometry is None else shapely.to_wkt(geometry, rounding_precision=6)
            shown = shown if len(shown) <= 80 else shown[:77] + "…"
            text = message(position) if callable(message) else message
            problems.append(Problem(rows.iloc[position], label, shown, text))

    if kind.geometry_required:
        report(missing, "required: no geometry")
    report(empty, "empty geometry")
    report(present & ~finite, "coordinates are not finite (or do not convert to longitude/latitude)")
    report(present & finite & ~valid, lambda i: f"invalid geometry: {shapely.is_valid_reason(values[i])}")
    if kind.geometry == "MULTIPOLYGON":
        report(present & ~polygonal, "must be a polygon or multipolygon")
    if categories is not None:
        types = shapely.get_type_id(values)
        named = categories.to_numpy(dtype=object)
        wrong = np.zeros(len(values), dtype=bool)
        for category in pd.unique(named):  # a few categories: each checked over the whole column at once
            if allowed := GEOMETRY_TYPES.get(category, ()) if isinstance(category, str) else ():
                ids = [number for number, name in NAMES.items() if name in allowed]
                wrong |= (named == category) & ~np.isin(types, ids)
        wrong &= present

        def what(i: int) -> str:
            shown = shapes(GEOMETRY_TYPES[named[i]])
            return f"a {categories.iloc[i]} must be {shown}, not {SHAPES[NAMES[types[i]]]}"

        report(wrong, what)
    where = source.to_epsg(min_confidence=70)
    report(
        present & finite & ~inside & swapped,
        "outside Japan: longitude and latitude look swapped (lon is 122–154, lat 20–46)",
    )
    report(
        present & finite & ~inside & ~swapped & metres & (where == 4326),
        "outside Japan: these look like metres of a plane CRS, not longitude/latitude; "
        "give the file's CRS with --crs (e.g. 6677)",
    )
    report(
        present & finite & ~inside & ~swapped & ~(metres & (where == 4326)),
        f"outside Japan (lon 122–154, lat 20–46 after reprojecting from EPSG:{where}): is that the file's CRS?",
    )
