"""The JSON API: each route parses its arguments, calls one service function, returns its data."""

from __future__ import annotations

import re
from datetime import date

from flask import Blueprint, Response, request

from fm import service
from fm.depreciation import CONVENTIONS
from fm.errors import ValidationError
from fm.fiscal import fiscal_year
from fm.risk.config import load_config
from fm.serialize import records, to_json
from fm.web.context import session
from fm.web.i18n import LANGUAGES

blueprint = Blueprint("api", __name__)


def json_response(data: object, status: int = 200) -> Response:
    """A response whose body is exactly what ``fm … --format json`` prints."""
    return Response(to_json(data), status=status, mimetype="application/json")


@blueprint.get("/stats")
def stats() -> Response:
    """Counts of held assets by category, district, group and status."""
    with session() as active:
        return json_response(service.asset_stats(active))


def fiscal_year_arg(required: bool = False) -> int | None:
    """Query parameter ``fiscal_year``, checked (shared by the API and the dashboard)."""
    raw = request.args.get("fiscal_year")
    if raw is None:
        if required:
            raise ValidationError("fiscal_year is required, e.g. ?fiscal_year=2025")
        return None
    if not re.fullmatch(r"[0-9]{4}", raw) or not 1900 <= int(raw) <= 2200:
        raise ValidationError(f"fiscal_year must be a year such as 2025, got {raw!r}")
    return int(raw)


def _choice(name: str, choices: tuple[str, ...]) -> str:
    """Query parameter ``name``, one of ``choices`` (the first is the default)."""
    value = request.args.get(name, choices[0])
    if value not in choices:
        raise ValidationError(f"{name} must be {' or '.join(choices)}, got {value!r}")
    return value


def convention_arg() -> str:
    """Query parameter ``convention`` of the depreciation (shared by the API and the dashboard)."""
    return _choice("convention", CONVENTIONS)


def _lang() -> str:
    return _choice("lang", LANGUAGES)


@blueprint.get("/kpi")
def kpi() -> Response:
    """Every indicator for ?fiscal_year (default: every year with data), with targets and trend."""
    with session() as active:
        return json_response(service.kpi_report(active, fiscal_year=fiscal_year_arg(), convention=convention_arg()))


@blueprint.get("/kpi/<indicator>/records")
def kpi_records(indicator: str) -> Response:
    """The records an indicator counted in ?fiscal_year: the drill-down behind a figure."""
    with session() as active:
        frame = service.kpi_records(active, indicator, fiscal_year=fiscal_year_arg(required=True),
                                    convention=convention_arg())
    return json_response(records(frame))




@blueprint.get("/risk")
def risk() -> Response:
    """The latest risk scores, worst first (?top=N), each with its reasons."""
    raw = request.args.get("top")
    if raw is not None and (not re.fullmatch(r"[0-9]{1,7}", raw) or int(raw) < 1):
        raise ValidationError(f"top must be a positive whole number, got {raw!r}")
    with session() as active:
        return json_response(service.risk_ranking(active, top=int(raw) if raw else None, lang=_lang()))


@blueprint.get("/risk/models")
def risk_models() -> Response:
    """Per category: deterioration hazards, expected years in each state, and their source."""
    with session() as active:
        return json_response(service.risk_models(active, config=load_config()))


@blueprint.get("/risk/<code>")
def risk_explain(code: str) -> Response:
    """One asset's latest score, its components and reasons."""
    with session() as active:
        return json_response(service.risk_explanation(active, code, lang=_lang()))


@blueprint.get("/inspections/due")
def inspections_due() -> Response:
    """Inspections overdue or due in ?fiscal_year (default: the current one), worst risk first."""
    year = fiscal_year_arg() or fiscal_year(date.today())
    with session() as active:
        return json_response(records(service.inspections_due(active, fiscal_year=year, config=load_config())))
