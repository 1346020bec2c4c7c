"""The risk engine as JSON: ``GET /api/risk…`` = ``fm score --format json``, and inspections due."""

from __future__ import annotations

import re
from datetime import date

from flask import Blueprint, Response, request

from fm.app import risk
from fm.app.conventions import fiscal_year
from fm.errors import ValidationError
from fm.serialize import records
from fm.web.api import fiscal_year_arg, json_response, lang_arg
from fm.web.context import session

api = Blueprint("risk", __name__)


@api.get("/risk")
def ranking() -> Response:
    """The latest risk scores, worst first (?top=N), each with its reasons."""
    raw = request.args.get("top")
    if raw is not None and (not re.fullmatch(r"[0-9]{1,7}", raw) or int(raw) < 1):
        raise ValidationError(f"top must be a positive whole number, got {raw!r}")
    with session() as active:
        return json_response(risk.risk_ranking(active, top=int(raw) if raw else None, lang=lang_arg()))


@api.get("/risk/models")
def risk_models() -> Response:
    """Per category: deterioration hazards, expected years in each state, and their source."""
    with session() as active:
        return json_response(risk.risk_models(active, config=risk.load_config()))


@api.get("/risk/<code>")
def risk_explain(code: str) -> Response:
    """One asset's latest score, its components and reasons."""
    with session() as active:
        return json_response(risk.risk_explanation(active, code, lang=lang_arg()))


@api.get("/inspections/due")
def inspections_due() -> Response:
    """Inspections overdue or due in ?fiscal_year (default: the current one), worst risk first."""
    year = fiscal_year_arg() or fiscal_year(date.today())
    with session() as active:
        return json_response(records(risk.inspections_due(active, fiscal_year=year, config=risk.load_config())))
