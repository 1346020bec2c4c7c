"""The register's counts as JSON: ``GET /api/stats`` = ``fm stats --format json``."""

from __future__ import annotations

from flask import Blueprint, Response

from fm.app import stats
from fm.web.api import json_response
from fm.web.context import session

api = Blueprint("stats", __name__)


@api.get("/stats")
def counts() -> Response:
    """Counts of held assets by category, district, group and status."""
    with session() as active:
        return json_response(stats.asset_stats(active))
