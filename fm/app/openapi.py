"""The OpenAPI 3.0 document of fm's JSON API: ``/api/…`` and the OGC API – Features service ``/ogcapi/…``.

Written down here, path by path, rather than generated from the app's routes, so that a test can hold
the two against each other (every GET JSON route described, nothing described that is not a route).
Served at ``/ogcapi/api`` and linked from the landing page as ``service-desc``; GDAL's OAPIF driver
reads the ``limit`` parameter's maximum from it.
"""

from __future__ import annotations

from typing import Any

from fm import __version__
from fm.app.ogcapi import COLLECTIONS, CRS_LIST, DEFAULT_LIMIT, MAX_LIMIT

_TEXT = {"type": "string"}
API: dict[str, tuple[str, tuple[str, ...]]] = {
    "/api/stats": ("Counts of the register's records", ()),
    "/api/assets": (
        "The asset register, filtered and paged",
        ("q", "category", "district", "status", "sort", "order", "page", "per_page", "lang"),
    ),
    "/api/kpi": ("The indicators of a fiscal year", ("fiscal_year", "convention")),
    "/api/kpi/trends": ("Each indicator over the fiscal years", ("convention",)),
    "/api/kpi/{indicator}/records": ("The records one indicator counted", ("fiscal_year", "convention")),
    "/api/kpi/{indicator}/breakdown": (
        "One indicator by category, district or department",
        ("fiscal_year", "by", "convention"),
    ),
    "/api/kpi/{indicator}/list": (
        "One indicator's records, sorted and paged",
        ("fiscal_year", "sort", "order", "page", "convention"),
    ),
    "/api/kpi/aging_ratio/whatif": ("The aging ratio if renewals are postponed", ("fiscal_year", "convention")),
    "/api/renewal": ("The 40-year renewal cost projection", ()),
    "/api/risk": ("Assets ranked by their latest risk score", ("top", "lang")),
    "/api/risk/models": ("The deterioration models of the latest risk run", ()),
    "/api/risk/{code}": ("One asset's risk and why", ("lang",)),
    "/api/inspections/due": ("Inspections due in a fiscal year", ("fiscal_year",)),
    "/api/duties": ("The statutory duties after a Ⅲ/Ⅳ judgement and their states", ("as_of", "state", "overdue")),
    "/api/map/{layer}": (
        "A map layer's features in a viewport",
        ("bbox", "zoom", "category", "district", "fiscal_year"),
    ),
    "/api/map/cards/{code}": ("An asset's card on the map", ("lang",)),
    "/api/schedule": ("The engineers' schedule", ("from", "to", "by", "kind", "category", "district")),
    "/api/ledger/aging": ("The aging ratio from the fixed-asset ledger beside fm's recomputation", ("convention",)),
    "/api/ledger/pairs": ("Ledger rows matched to the register, doubtful or unmatched", ()),
    "/api/portfolio/evaluation": ("Every building's quantitative evaluation (一次評価) and quadrant", ("fiscal_year",)),
    "/api/portfolio/cards/{code}": ("The facility card (施設カルテ) of a building or service", ("service", "lang")),
    "/api/portfolio/catchments": (
        "The population each site of a kind of service serves, overlaps and a closure's effect",
        ("kind", "distance", "network", "close", "fiscal_year", "cell"),
    ),
    "/api/portfolio/optimise": (
        "The sites of a kind to keep so every area stays within a distance, at the least 40-year cost",
        ("kind", "distance", "keep", "network", "fiscal_year", "cell"),
    ),
    "/api/portfolio/scenarios": ("Every portfolio scenario (施設再編の案), newest first", ()),
    "/api/portfolio/scenarios/compare": ("Doing nothing and the scenarios named side by side", ("name", "lang")),
    "/api/portfolio/scenarios/{name}": ("A scenario's actions and figures beside doing nothing", ("lang",)),
}
"""path → summary and its query parameters (all optional, strings; the endpoint checks them)."""

OGC: dict[str, str] = {
    "/ogcapi/": "Landing page",
    "/ogcapi/conformance": "Conformance classes",
    "/ogcapi/api": "This document (OpenAPI 3.0)",
    "/ogcapi/collections": "The collections",
    "/ogcapi/collections/{collectionId}": "One collection's metadata and extent",
    "/ogcapi/collections/{collectionId}/queryables": "The properties a collection's items filter on",
    "/ogcapi/collections/{collectionId}/items": "A page of a collection's features",
    "/ogcapi/collections/{collectionId}/items/{featureId}": "One feature",
}


def _param(name: str, where: str = "query", schema: dict[str, Any] | None = None, **more: Any) -> dict[str, Any]:
    return {"name": name, "in": where, "required": where == "path", "schema": schema or _TEXT, **more}


def _path_params(path: str) -> list[dict[str, Any]]:
    names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
    schema = {"collectionId": {"type": "string", "enum": list(COLLECTIONS)}}
    return [_param(n, "path", schema.get(n)) for n in names]


def _ok(media: str, schema: str, *, html: bool = False) -> dict[str, Any]:
    content: dict[str, Any] = {media: {"schema": {"$ref": f"#/components/schemas/{schema}"}}}
    more: dict[str, Any] = {}
    if html:
        content["text/html"] = {"schema": {"type": "string"}}
        more["302"] = {"description": "a browser without a session: to the sign-in page"}
    return {
        "200": {"description": "OK", "content": content},
        **more,
        "400": {"$ref": "#/components/responses/Invalid"},
        "401": {"$ref": "#/components/responses/Unauthorized"},
        "404": {"$ref": "#/components/responses/NotFound"},
        "503": {"$ref": "#/components/responses/Unavailable"},
    }


def _ogc_operation(path: str, summary: str) -> dict[str, Any]:
    fmt = _param("f", schema={"type": "string", "enum": ["json", "html"]})
    crs = _param("crs", schema={"type": "string", "format": "uri", "enum": list(CRS_LIST)})
    parameters = [*_path_params(path), fmt]
    media, schema = "application/json", "Object"
    if path.endswith("/items"):
        parameters += [
            _param("limit", schema={"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}),
            _param("offset", schema={"type": "integer", "minimum": 0, "maximum": 2**31 - 1, "default": 0}),
            _param(
                "bbox",
                schema={"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
                style="form",
                explode=False,
            ),
            _param("bbox-crs", schema={"type": "string", "format": "uri", "enum": list(CRS_LIST)}),
            _param("datetime"),
            crs,
        ]
        media, schema = "application/geo+json", "FeatureCollection"
    elif path.endswith("{featureId}"):
        parameters.append(crs)
        media, schema = "application/geo+json", "Feature"
    elif path == "/ogcapi/api":
        media = "application/vnd.oai.openapi+json;version=3.0"
    responses = _ok(media, schema, html=True)
    operation: dict[str, Any] = {"summary": summary, "parameters": parameters, "responses": responses}
    if path.endswith("/items"):
        operation["description"] = "Any other query parameter filters on the property of that name (see queryables)."
    return operation


def document(server: str) -> dict[str, Any]:
    """The OpenAPI 3.0 document, its server at ``server`` (the app's root URL)."""
    paths: dict[str, Any] = {}
    for path, summary in OGC.items():
        paths[path] = {"get": _ogc_operation(path, summary)}
    for path, (summary, names) in API.items():
        paths[path] = {
            "get": {
                "summary": summary,
                "parameters": [*_path_params(path), *(_param(n) for n in names)],
                "responses": _ok("application/json", "Any"),
            }
        }
    error = {"type": "object", "properties": {"code": _TEXT, "description": _TEXT, "error": {"type": "object"}}}
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "fm",
            "version": __version__,
            "description": "fm's JSON API and its OGC API – Features service. Every request needs an account: "
            "a browser session, or an API token as `Authorization: Bearer <token>` or as the password of "
            "HTTP Basic authentication with the account's username.",
        },
        "servers": [{"url": server.rstrip("/")}],
        "security": [{"bearer": []}, {"basic": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "basic": {"type": "http", "scheme": "basic"},
            },
            "schemas": {
                "Object": {"type": "object"},
                "Any": {"description": "the body `fm … --format json` prints for the same question"},
                "Exception": error,
                "Feature": {
                    "type": "object",
                    "required": ["type", "geometry", "properties"],
                    "properties": {
                        "type": {"type": "string", "enum": ["Feature"]},
                        "id": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
                        "geometry": {"type": "object", "nullable": True},
                        "properties": {"type": "object", "nullable": True},
                    },
                },
                "FeatureCollection": {
                    "type": "object",
                    "required": ["type", "features"],
                    "properties": {
                        "type": {"type": "string", "enum": ["FeatureCollection"]},
                        "features": {"type": "array", "items": {"$ref": "#/components/schemas/Feature"}},
                        "numberMatched": {"type": "integer", "minimum": 0},
                        "numberReturned": {"type": "integer", "minimum": 0},
                        "links": {"type": "array", "items": {"type": "object"}},
                    },
                },
            },
            "responses": {
                name: {
                    "description": text,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Exception"}}},
                }
                for name, text in (
                    ("Invalid", "a parameter is wrong (the body names it)"),
                    ("Unauthorized", "no account: sign in, or send an API token"),
                    ("NotFound", "no such collection or feature"),
                    (
                        "Unavailable",
                        "the database is not ready, or what is asked is not computed yet (the body says what to run)",
                    ),
                )
            },
        },
    }
