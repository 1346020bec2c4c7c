"""The portfolio review: ``/portfolio`` (the evaluation's scatter and table), ``/portfolio/cards/<code>`` (the
facility card, printable on one A4 page), and their JSON under ``/api/portfolio`` (= ``fm portfolio … --format
json``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from fm.app import portfolio
from fm.serialize import records
from fm.web.api import fiscal_year_arg, json_response
from fm.web.charts import Point, Quadrant, scatter_chart
from fm.web.context import session

api = Blueprint("portfolio_api", __name__)
pages = Blueprint("portfolio", __name__, url_prefix="/portfolio")


def _lang() -> str:
    return "en" if str(get_locale()) == "en" else "ja"


def quadrant_label(quadrant: str) -> str:
    ja, en = portfolio.QUADRANT_LABELS[quadrant]
    return en if _lang() == "en" else ja


def kind_label(kind: str | None) -> str:
    labels = {
        "citizen_counter": _("Citizens' counter"),
        "community_centre": _("Community centre"),
        "library": _("Library"),
        "culture": _("Culture"),
        "sports": _("Sports"),
        "child_care": _("Child care"),
        "youth": _("Youth"),
        "elderly_care": _("Elderly care"),
        "welfare": _("Welfare"),
        "health": _("Health"),
        "school": _("School"),
        "office": _("Office"),
        "housing": _("Housing"),
        "fire": _("Fire"),
        "utility": _("Utility"),
        "other": _("Other"),
    }
    return labels.get(kind or "", kind or "—")


@api.get("/portfolio/evaluation")
def evaluation_json() -> Response:
    """A row per building: code, axis values, quadrant (?fiscal_year=)."""
    with session() as active:
        return json_response(portfolio.evaluation(active, fiscal_year=fiscal_year_arg()))


@api.get("/portfolio/cards/<code>")
def card_json(code: str) -> Response:
    """The facility card of a building or a service (?service=1 when both share the code)."""
    with session() as active:
        return json_response(portfolio.card(active, code, service=request.args.get("service") == "1", lang=_lang()))


@pages.get("/")
def index() -> Any:
    """The scatter of every building on both axes, its quadrants, and the table by quadrant."""
    settings = portfolio.load_settings()
    with session() as active:
        frame = portfolio.evaluation_frame(active, settings=settings, fiscal_year=fiscal_year_arg())
        years = portfolio.usage_years(active)
    rows = records(frame)  # missing figures (no users, no year built) as None, whole yen as ints
    points = [
        Point(
            float(r["performance"]),
            float(r["use"]),
            f"{r['code']} {r['name']} ({quadrant_label(r['quadrant'])})",
            url_for("portfolio.card_page", code=r["code"]),
            f"dot dot-{r['quadrant']}",
        )
        for r in rows
    ]
    corners = {"keep": (True, True), "improve": (True, False), "repurpose_merge": (False, True)}
    quadrants = [
        Quadrant(*corners.get(q, (False, False)), quadrant_label(q), f"quadrant q-{q}") for q in portfolio.QUADRANTS
    ]
    chart = scatter_chart(
        points,
        x_split=settings.performance_threshold,
        y_split=settings.use_threshold,
        quadrants=quadrants,
        title=_("Buildings by performance and use"),
        x_label=_("Building performance (0–100)"),
        y_label=_("Use (0–100)"),
    )
    counts = {q: sum(1 for r in rows if r["quadrant"] == q) for q in portfolio.QUADRANTS}
    return render_template(
        "portfolio.html",
        chart=chart,
        rows=rows,
        counts=counts,
        quadrants=portfolio.QUADRANTS,
        quadrant_label=quadrant_label,
        kind_label=kind_label,
        settings=settings,
        fiscal_year=rows[0]["fiscal_year"] if rows else None,
        years=years,
    )


@pages.get("/cards/<code>")
def card_page(code: str) -> Any:
    """The facility card (施設カルテ), one A4 page when printed."""
    with session() as active:
        card = portfolio.card(active, code, service=request.args.get("service") == "1", lang=_lang())
        evaluated = portfolio.evaluation_frame(active) if card["type"] == "building" else None
    place = None
    if evaluated is not None:
        found = evaluated[evaluated["code"] == card["code"]]
        place = found.iloc[0].to_dict() if len(found) else None
    return render_template(
        "portfolio_card.html", card=card, place=place, quadrant_label=quadrant_label, kind_label=kind_label
    )
