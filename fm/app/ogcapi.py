"""Use cases of the OGC API – Features service (``/ogcapi``): plain functions in pygeoapi's shape
(``pygeoapi/api/itemtypes.py``): the request's parameters in, a JSON body out (the web layer picks
the media type, renders HTML and sets headers). Every bad parameter raises :class:`OgcError` with the
status and OGC exception code it answers with.

Collections are fm's own records read through :mod:`fm.io.features` (paging, bbox, property and date
filters inside SQL), with what fm knows of them: an asset's latest risk score and class, its condition
and its individual plan's status; a parcel's use and underused flag; a district's indicators.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from sqlalchemy.orm import Session

from fm.app.maps import district_indicator
from fm.domain.fiscal import fiscal_year
from fm.domain.geo import PLANE_CRS, area_m2
from fm.domain.maps.districts import INDICATORS as DISTRICT_INDICATORS
from fm.domain.maps.districts import LABELS as INDICATOR_LABELS
from fm.errors import FmError, ValidationError
from fm.io import features
from fm.io.store import CRS as STORAGE_CRS

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG6677 = "http://www.opengis.net/def/crs/EPSG/0/6677"
CRS_LIST = (CRS84, EPSG6677)
CRS_ALIASES = {"CRS84": CRS84, "EPSG:4326": CRS84, "OGC:CRS84": CRS84, "EPSG:6677": EPSG6677}
"""Short names taken as well as the URIs (``EPSG:4326`` as lon/lat, the order GIS tools use)."""
DEFAULT_LIMIT = 10
MAX_LIMIT = 10_000
RESERVED = frozenset({"f", "bbox", "bbox-crs", "crs", "datetime", "limit", "offset", "lang"})
CONFORMANCE = (
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
)
COLLECTIONS = {
    "assets": (
        "資産",
        "Assets",
        "施設・インフラ資産と最新のリスク評価、点検結果、個別施設計画の状況",
        "Facilities and infrastructure with their latest risk score and class, condition and plan status",
    ),
    "parcels": (
        "公有地",
        "Land parcels",
        "公有地と現在の利用状況（低・未利用の別）",
        "Public land parcels with their current use and whether they are underused",
    ),
    "districts": ("地域", "Districts", "地域と今年度の指標", "Districts with this fiscal year's indicators"),
    "inspections": ("点検", "Inspections", "点検記録（位置は資産のもの）", "Inspection records, at their asset"),
    "work_orders": (
        "工事",
        "Work orders",
        "修繕・更新工事（位置は資産のもの）",
        "Repairs and renewals, at their asset",
    ),
    "plans": (
        "個別施設計画",
        "Individual plans",
        "個別施設計画と対象資産（対象資産の代表点）",
        "Individual facility plans and the assets they cover (a point on each)",
    ),
}
"""id → Japanese and English title and description."""


class OgcError(FmError):
    """A request the service refuses: its HTTP status and OGC exception code."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code = status, code


def _invalid(message: str) -> OgcError:
    return OgcError(400, "InvalidParameterValue", message)


@dataclass(frozen=True)
class Request:
    """A normalised request: the base URL of the service (no trailing slash), its query and the format."""

    base: str
    args: Mapping[str, str]
    fmt: str = "json"
    lang: str = "ja"

    def url(self, path: str, **query: Any) -> str:
        kept = {k: v for k, v in query.items() if v is not None}
        return f"{self.base}{path}" + (f"?{urlencode(kept)}" if kept else "")


def _title(name: str, lang: str) -> tuple[str, str]:
    ja, en, ja_text, en_text = COLLECTIONS[name]
    return (en, en_text) if lang == "en" else (ja, ja_text)


def landing(request: Request) -> dict[str, Any]:
    """The landing page: what the service is and where its parts are."""
    return {
        "title": "fm OGC API – Features" if request.lang == "en" else "fm OGC API – Features（施設マネジメント）",
        "description": "fm's assets, land, districts, inspections, work orders and plans for GIS clients",
        "links": [
            {"rel": "self", "type": "application/json", "title": "this document", "href": request.url("/", f="json")},
            {"rel": "alternate", "type": "text/html", "title": "this page", "href": request.url("/", f="html")},
            {
                "rel": "service-desc",
                "type": "application/vnd.oai.openapi+json;version=3.0",
                "title": "the API definition (OpenAPI 3.0)",
                "href": request.url("/api"),
            },
            {
                "rel": "service-doc",
                "type": "text/html",
                "title": "the API definition",
                "href": request.url("/api", f="html"),
            },
            {
                "rel": "conformance",
                "type": "application/json",
                "title": "conformance classes",
                "href": request.url("/conformance", f="json"),
            },
            {
                "rel": "data",
                "type": "application/json",
                "title": "collections",
                "href": request.url("/collections", f="json"),
            },
        ],
    }


def conformance() -> dict[str, Any]:
    return {"conformsTo": list(CONFORMANCE)}


def _known(name: str) -> None:
    if name not in COLLECTIONS:
        raise OgcError(404, "NotFound", f"no collection {name!r}; collections: {', '.join(COLLECTIONS)}")


def _interval(dates: tuple[date | None, date | None] | None) -> list[list[str | None]] | None:
    if dates is None:
        return None
    return [[f"{d.isoformat()}T00:00:00Z" if d else None for d in dates]]


def collection(session: Session, request: Request, name: str) -> dict[str, Any]:
    """One collection's metadata: titles, its extent in space and time, its CRSs and links."""
    _known(name)
    source = features.sources(session)[name]
    box, dates = features.extent(session, source)
    title, description = _title(name, request.lang)
    extent: dict[str, Any] = {"spatial": {"bbox": [list(box) if box else [-180, -90, 180, 90]], "crs": CRS84}}
    if dates is not None:
        extent["temporal"] = {
            "interval": _interval(dates),
            "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
        }
    path = f"/collections/{name}"
    return {
        "id": name,
        "title": title,
        "description": description,
        "itemType": "feature",
        "extent": extent,
        "crs": list(CRS_LIST),
        "storageCrs": CRS84,
        "links": [
            {"rel": "self", "type": "application/json", "title": "this document", "href": request.url(path, f="json")},
            {"rel": "alternate", "type": "text/html", "title": "this page", "href": request.url(path, f="html")},
            {
                "rel": "items",
                "type": "application/geo+json",
                "title": "the features",
                "href": request.url(f"{path}/items", f="json"),
            },
            {
                "rel": "items",
                "type": "text/html",
                "title": "the features",
                "href": request.url(f"{path}/items", f="html"),
            },
            {
                "rel": "describedby",
                "type": "application/schema+json",
                "title": "the features' properties (JSON Schema)",
                "href": request.url(f"{path}/queryables", f="json"),
            },
            {
                "rel": "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                "type": "application/schema+json",
                "title": "the properties to filter on",
                "href": request.url(f"{path}/queryables", f="json"),
            },
        ],
    }


def collections(session: Session, request: Request) -> dict[str, Any]:
    """Every collection's metadata."""
    return {
        "collections": [collection(session, request, name) for name in COLLECTIONS],
        "links": [
            {"rel": "self", "type": "application/json", "href": request.url("/collections", f="json")},
            {"rel": "alternate", "type": "text/html", "href": request.url("/collections", f="html")},
        ],
    }


def _json_type(column: Any) -> dict[str, Any]:
    try:
        python = column.type.python_type
    except NotImplementedError:
        python = str
    if python is bool:
        return {"type": "boolean"}
    if python is int:
        return {"type": "integer"}
    if python is float:
        return {"type": "number"}
    if python is date:
        return {"type": "string", "format": "date"}
    return {"type": "string"}


def queryables(session: Session, request: Request, name: str) -> dict[str, Any]:
    """The properties ``/items`` filters on (``?property=value``), as a JSON Schema."""
    _known(name)
    source = features.sources(session)[name]
    props = {p: {"title": p, **_json_type(source.columns[p])} for p in source.properties}
    return {
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": request.url(f"/collections/{name}/queryables"),
        "type": "object",
        "title": _title(name, request.lang)[0],
        "properties": {"geometry": {"$ref": "https://geojson.org/schema/Geometry.json"}, **props},
    }


def _crs(value: str | None, what: str) -> str:
    if value is None or value == "":
        return CRS84
    uri = CRS_ALIASES.get(value, value)
    if uri not in CRS_LIST:
        raise _invalid(f"{what} {value!r} is not supported; use one of {', '.join(CRS_LIST)}")
    return uri


def _whole(args: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _invalid(f"{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise _invalid(f"{name} must be between {low} and {high}, got {value}")
    return value


def _bbox(args: Mapping[str, str]) -> tuple[float, float, float, float] | None:
    raw = args.get("bbox")
    if raw is None:
        return None
    try:
        numbers = [float(part) for part in raw.split(",")]
    except ValueError:
        raise _invalid(f"bbox must be four numbers minx,miny,maxx,maxy, got {raw!r}") from None
    if len(numbers) == 6:  # 3D box: the heights do not matter in 2D
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    if len(numbers) != 4 or not all(np.isfinite(numbers)):
        raise _invalid(f"bbox must be four numbers minx,miny,maxx,maxy, got {raw!r}")
    minx, miny, maxx, maxy = numbers
    crs = _crs(args.get("bbox-crs"), "bbox-crs")
    if crs == EPSG6677:  # the CRS's own axis order: northing, easting
        miny, minx, maxy, maxx = numbers
    if minx > maxx or miny > maxy:
        raise _invalid(f"bbox {raw!r}: the lower corner must come first (minx <= maxx and miny <= maxy)")
    if crs == CRS84:
        if not (-180 <= minx <= 180 and -180 <= maxx <= 180 and -90 <= miny <= 90 and -90 <= maxy <= 90):
            raise _invalid(f"bbox {raw!r} is outside longitude -180..180, latitude -90..90")
        return minx, miny, maxx, maxy
    if max(abs(n) for n in numbers) > 1e7:  # no plane zone reaches 10,000 km from its origin
        raise _invalid(f"bbox {raw!r} in EPSG:6677 is outside the area that CRS covers")
    box = _FROM_PLANE.transform_bounds(minx, miny, maxx, maxy, densify_pts=21)
    if not (np.isfinite(box).all() and -180 <= box[0] <= box[2] <= 180 and -90 <= box[1] <= box[3] <= 90):
        raise _invalid(f"bbox {raw!r} in EPSG:6677 is outside the area that CRS covers")
    return box


def _date(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo is None else value.astimezone(UTC).replace(tzinfo=None)


def _datetime(args: Mapping[str, str]) -> tuple[date | None, date | None] | None:
    raw = args.get("datetime")
    if raw is None:
        return None
    parts = raw.split("/")
    try:
        if len(parts) == 1:
            day = _date(parts[0]).date()
            return day, day
        if len(parts) == 2:
            start, end = (None if p in ("", "..") else _date(p).date() for p in parts)
            if start is not None and end is not None and start > end:
                raise _invalid(f"datetime {raw!r}: the start is after the end")
            return start, end
    except ValueError:
        pass
    raise _invalid(f"datetime must be an RFC 3339 date-time, date or interval (a/b, ../b, a/..), got {raw!r}")


def _value(column: Any, raw: str, name: str) -> Any:
    kind = _json_type(column)
    try:
        if kind["type"] == "boolean":
            if raw.lower() not in ("true", "false", "1", "0"):
                raise ValueError
            return raw.lower() in ("true", "1")
        if kind["type"] == "integer":
            return int(raw)
        if kind["type"] == "number":
            return float(raw)
        if kind.get("format") == "date":
            return date.fromisoformat(raw)
    except ValueError:
        raise _invalid(f"property {name} is {kind.get('format', kind['type'])}, got {raw!r}") from None
    return raw


def _query(source: features.Source, name: str, args: Mapping[str, str]) -> tuple[features.Query, str]:
    equal = {}
    for key, raw in args.items():
        if key in RESERVED:
            continue
        if key not in source.properties:
            raise _invalid(f"collection {name} has no property {key!r} to filter on; see its queryables")
        equal[key] = _value(source.columns[key], raw, key)
    interval = _datetime(args)
    if interval is not None and source.date is None:
        raise _invalid(f"collection {name} has no date: datetime does not apply")
    query = features.Query(
        limit=_whole(args, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT),
        offset=_whole(args, "offset", 0, 0, 2**31 - 1),
        bbox=_bbox(args),
        equal=equal,
        interval=interval,
    )
    return query, _crs(args.get("crs"), "crs")


def _geometry(session: Session, name: str, frame: pd.DataFrame, crs: str) -> tuple[gpd.GeoSeries, pd.DataFrame]:
    """The features' geometries in ``crs`` (and the frame with what depends on them)."""
    if name == "plans":
        points = features.plan_points(session, frame["id"].tolist())
        points["geom"] = shapely.point_on_surface(points["geom"].to_numpy())
        grouped = points.groupby("plan_id")["geom"].agg(lambda g: shapely.MultiPoint(list(g)))
        shapes = frame["id"].map(grouped)
    else:
        shapes = frame["geom"]
    series = gpd.GeoSeries(shapes.where(shapes.notna(), None).to_numpy(), crs=STORAGE_CRS, index=frame.index)
    if name == "parcels":
        frame = frame.assign(area_m2=area_m2(series).round(2))
    if crs == EPSG6677:  # easting, northing by pyproj; then the CRS's own order: northing, easting
        series = gpd.GeoSeries(shapely.transform(series.to_numpy(), _to_plane), crs=PLANE_CRS, index=series.index)
    return series, frame


_PLANE = Transformer.from_crs(STORAGE_CRS, PLANE_CRS, always_xy=True)
_FROM_PLANE = Transformer.from_crs(PLANE_CRS, STORAGE_CRS, always_xy=True)


def _to_plane(xy: np.ndarray) -> np.ndarray:
    east, north = _PLANE.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([north, east])


def _enrich(session: Session, name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """What is computed rather than stored: a district's indicators (an asset's plan status is SQL, see
    fm.io.features)."""
    if not len(frame):
        return frame
    year = fiscal_year(date.today())
    if name == "districts":
        for indicator in DISTRICT_INDICATORS:
            try:
                values = district_indicator(session, indicator, fiscal_year=year).set_index("id")["value"]
            except ValidationError:  # no risk run yet
                values = pd.Series(dtype=float)
            frame[indicator] = frame["id"].map(values)
        frame["fiscal_year"] = year
    return frame


def indicator_labels(lang: str) -> dict[str, str]:
    return {k: v[1 if lang == "en" else 0] for k, v in INDICATOR_LABELS.items()}


def _features(
    session: Session, name: str, source: features.Source, frame: pd.DataFrame, crs: str
) -> list[dict[str, Any]]:
    frame = _enrich(session, name, frame)
    geometry, frame = _geometry(session, name, frame, crs)
    shapes = geometry.to_numpy()
    names = [c for c in frame.columns if c not in ("id", "geom") or c == source.key]
    # column by column (pandas' to_dict and a test per value cost more than the query)
    columns = [_python(frame[c]) for c in names]
    keys = columns[names.index(source.key)]
    return [
        {
            "type": "Feature",
            "id": key,
            "geometry": None if shape is None else shapely.geometry.mapping(shape),
            "properties": dict(zip(names, values, strict=True)),
        }
        for key, shape, values in zip(keys, shapes, zip(*columns, strict=True), strict=True)
    ]


def _python(values: pd.Series) -> list[Any]:
    """Plain Python values, None where missing."""
    if isinstance(values.dtype, np.dtype) and values.dtype.kind in "iub":  # numpy: no missing values
        return values.tolist()
    return values.astype(object).where(values.notna(), None).tolist()


def items(session: Session, request: Request, name: str) -> tuple[dict[str, Any], str]:
    """A page of features: GeoJSON FeatureCollection with numberMatched, numberReturned and next/prev links;
    and the CRS of its coordinates (for the Content-Crs header)."""
    _known(name)
    source = features.sources(session)[name]
    query, crs = _query(source, name, request.args)
    frame, matched = features.read_page(session, source, query)
    found = _features(session, name, source, frame, crs)
    path = f"/collections/{name}/items"
    kept = {k: v for k, v in request.args.items() if k not in ("offset", "f")}
    links = [
        {
            "rel": "self",
            "type": "application/geo+json",
            "href": request.url(path, **kept, f="json", offset=query.offset or None),
        },
        {
            "rel": "alternate",
            "type": "text/html",
            "href": request.url(path, **kept, f="html", offset=query.offset or None),
        },
        {"rel": "collection", "type": "application/json", "href": request.url(f"/collections/{name}", f="json")},
    ]
    here = request.fmt
    media = "text/html" if here == "html" else "application/geo+json"
    if query.offset + len(frame) < matched:
        links.append(
            {"rel": "next", "type": media, "href": request.url(path, **kept, f=here, offset=query.offset + query.limit)}
        )
    if query.offset > 0:
        links.append(
            {
                "rel": "prev",
                "type": media,
                "href": request.url(path, **kept, f=here, offset=max(0, query.offset - query.limit) or None),
            }
        )
    body = {
        "type": "FeatureCollection",
        "features": found,
        "numberMatched": matched,
        "numberReturned": len(found),
        "timeStamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "links": links,
    }
    return body, crs


def item(session: Session, request: Request, name: str, feature_id: str) -> tuple[dict[str, Any], str]:
    """One feature by its id (a code; an inspection's number)."""
    _known(name)
    source = features.sources(session)[name]
    crs = _crs(request.args.get("crs"), "crs")
    key: Any = feature_id
    if source.key == "id":
        if not feature_id.isdigit():
            raise OgcError(404, "NotFound", f"no feature {feature_id!r} in {name}")
        key = int(feature_id)
    frame, _ = features.read_page(session, source, features.Query(limit=1, key=key))
    if not len(frame):
        raise OgcError(404, "NotFound", f"no feature {feature_id!r} in {name}")
    (feature,) = _features(session, name, source, frame, crs)
    path = f"/collections/{name}/items/{feature_id}"
    feature["links"] = [
        {"rel": "self", "type": "application/geo+json", "href": request.url(path, f="json")},
        {"rel": "alternate", "type": "text/html", "href": request.url(path, f="html")},
        {"rel": "collection", "type": "application/json", "href": request.url(f"/collections/{name}", f="json")},
    ]
    return feature, crs
