"""The OGC API – Features service at ``/ogcapi``: 1–3-line views handing a normalised request to
:mod:`fm.app.ogcapi` (pygeoapi's shape), answering GeoJSON/JSON or one simple HTML page, and every
refused parameter as an OGC exception (``{"code", "description"}``) with its 400 or 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, render_template, request, url_for
from flask_babel import get_locale

from fm.app import ogcapi
from fm.app import openapi as openapi_document
from fm.serialize import to_json
from fm.web.context import session

pages = Blueprint("ogcapi", __name__, url_prefix="/ogcapi")

MEDIA = {
    "json": "application/json",
    "geojson": "application/geo+json",
    "openapi": "application/vnd.oai.openapi+json;version=3.0",
}


def _format() -> str:
    """``f=json|html``, else what the Accept header prefers (a browser: HTML; GDAL, curl: JSON)."""
    asked = request.args.get("f")
    if asked in ("json", "html"):
        return asked
    if asked is not None:
        raise ogcapi.OgcError(400, "InvalidParameterValue", f"f must be json or html, got {asked!r}")
    best = request.accept_mimetypes.best_match(["application/json", "application/geo+json", "text/html"])
    return "html" if best == "text/html" else "json"


def _request() -> ogcapi.Request:
    base = url_for("ogcapi.landing", _external=True).rstrip("/")
    return ogcapi.Request(base=base, args=request.args.to_dict(), fmt=_format(), lang=str(get_locale() or "ja"))


def _reply(kind: str, body: dict[str, Any], fmt: str, crs: str | None = None, **page: Any) -> Response:
    if fmt == "html":
        html = render_template("ogcapi.html", kind=kind, body=body, labels=ogcapi.indicator_labels, **page)
        response = Response(html, mimetype="text/html")
    else:
        response = Response(to_json(body, compact=True), mimetype=MEDIA["geojson" if crs else "json"])
    if crs:
        response.headers["Content-Crs"] = f"<{crs}>"
    return response


def _answer(kind: str, make: Callable[[ogcapi.Request], Any], **page: Any) -> Response:
    try:
        request_ = _request()
        made = make(request_)
    except ogcapi.OgcError as error:
        body = {"code": error.code, "description": str(error)}
        return Response(to_json(body, compact=True), status=error.status, mimetype="application/json")
    body, crs = made if isinstance(made, tuple) else (made, None)
    return _reply(kind, body, request_.fmt, crs, **page)


@pages.get("/")
def landing() -> Response:
    return _answer("landing", ogcapi.landing)


@pages.get("/conformance")
def conformance() -> Response:
    return _answer("conformance", lambda r: ogcapi.conformance())


@pages.get("/collections")
def collections() -> Response:
    with session() as active:
        return _answer("collections", lambda r: ogcapi.collections(active, r))


@pages.get("/collections/<name>")
def collection(name: str) -> Response:
    with session() as active:
        return _answer("collection", lambda r: ogcapi.collection(active, r, name), name=name)


@pages.get("/collections/<name>/queryables")
def queryables(name: str) -> Response:
    with session() as active:
        return _answer("queryables", lambda r: ogcapi.queryables(active, r, name), name=name)


@pages.get("/collections/<name>/items")
def items(name: str) -> Response:
    with session() as active:
        return _answer("items", lambda r: ogcapi.items(active, r, name), name=name)


@pages.get("/collections/<name>/items/<path:feature_id>")  # codes may hold a slash (BR/001)
def item(name: str, feature_id: str) -> Response:
    with session() as active:
        return _answer("item", lambda r: ogcapi.item(active, r, name, feature_id), name=name)


@pages.get("/api")
def openapi() -> Response:
    """The OpenAPI 3.0 document of /api and /ogcapi."""
    root = url_for("home.index", _external=True)

    def make(r: ogcapi.Request) -> dict:
        return openapi_document.document(root)

    response = _answer("openapi", make)
    if response.mimetype == "application/json" and response.status_code == 200:
        response.headers["Content-Type"] = MEDIA["openapi"]
    return response
