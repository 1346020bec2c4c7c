"""The indicators as JSON: ``GET /api/kpi`` = ``fm kpi --format json``, and the records behind a figure."""

from __future__ import annotations

from flask import Blueprint, Response

from fm.app import kpi
from fm.serialize import records
from fm.web.api import convention_arg, fiscal_year_arg, json_response
from fm.web.context import session

api = Blueprint("kpi", __name__)


@api.get("/kpi")
def report() -> Response:
    """Every indicator for ?fiscal_year (default: every year with data), with targets and trend."""
    with session() as active:
        return json_response(kpi.kpi_report(active, fiscal_year=fiscal_year_arg(), convention=convention_arg()))


@api.get("/kpi/<indicator>/records")
def kpi_records(indicator: str) -> Response:
    """The records an indicator counted in ?fiscal_year: the drill-down behind a figure."""
    with session() as active:
        frame = kpi.kpi_records(
            active, indicator, fiscal_year=fiscal_year_arg(required=True), convention=convention_arg()
        )
    return json_response(records(frame))
