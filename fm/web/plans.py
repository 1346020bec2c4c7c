"""The individual plan page: attributes, the assets it covers, its works and its yearly budget items."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from fm.app import plans
from fm.app.conventions import fiscal_year
from fm.errors import ValidationError
from fm.web.context import session

pages = Blueprint("plans", __name__)


def _year(name: str) -> int | None:
    text = request.args.get(name, "").strip()
    if not text:
        return None
    if not text.isdigit() or not 1900 <= int(text) <= 2200:
        raise ValidationError(_("fiscal year: a year such as 2025"))
    return int(text)


@pages.get("/plans")
def index() -> str:
    """The individual plans, filtered by status, period, category and coverage; each row links to its plan."""
    this_year = fiscal_year(date.today())
    year = _year("fiscal_year") or this_year
    filters = {
        "status": request.args.get("status") or None,
        "period": _year("period"),
        "category": request.args.get("category") or None,
        "coverage": request.args.get("coverage") or None,
    }
    with session() as active:
        found = plans.plan_list(active, fiscal_year=year, **filters)
    return render_template(
        "plans.html",
        rows=found["rows"].to_dict("records"),
        total=found["total"],
        figure=found["coverage_figure"],
        categories=found["categories"],
        states=plans.PLAN_STATES,
        filters=filters,
        year=year,
    )


@pages.get("/plans/<path:code>")
def page(code: str) -> str:
    """The individual plan ``code``."""
    with session() as active:
        data = plans.plan_page(active, code)
    return render_template("plan.html", **data)
