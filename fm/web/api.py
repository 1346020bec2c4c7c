"""The JSON API: each route parses its arguments, calls one service function, returns its data."""

from __future__ import annotations

from flask import Blueprint, Response

from fm import service
from fm.serialize import to_json
from fm.web.context import session

blueprint = Blueprint("api", __name__)


def json_response(data: object, status: int = 200) -> Response:
    """A response whose body is exactly what ``fm … --format json`` prints."""
    return Response(to_json(data), status=status, mimetype="application/json")


@blueprint.get("/stats")
def stats() -> Response:
    """Counts of held assets by category, district, group and status."""
    with session() as active:
        return json_response(service.asset_stats(active))
