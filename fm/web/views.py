"""HTML pages."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import get_locale

from fm import service
from fm.errors import FmError
from fm.web.context import session

blueprint = Blueprint("views", __name__)


@blueprint.get("/")
def index() -> str:
    """Home: how many assets the city holds, by category and by district."""
    with session() as active:
        counts = service.asset_stats(active)
        years = service.kpi_report(active)["fiscal_years"] if counts["total"] else []
        indicators = service.kpi_report(active, fiscal_year=years[-1])["indicators"] if years else []
        try:
            risks = service.risk_ranking(active, top=5, lang=str(get_locale()))
        except FmError:  # not scored yet
            risks = None
    return render_template("index.html", counts=counts, indicators=indicators, risks=risks)
