"""The indicator dashboard: its pages, its JSON endpoints and its CSV / Excel exports.

Each route parses its arguments, calls one function of :mod:`fm.app.dashboard` and renders,
serialises or exports the result; the pages draw their charts from the very data the
JSON endpoints return.
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from fm.app import dashboard
from fm.app.dashboard import COLUMNS, DIMENSIONS
from fm.app.kpi import INDICATORS
from fm.errors import NotFound, ValidationError
from fm.web import figures
from fm.web.api import convention_arg, fiscal_year_arg, json_response, whole_arg
from fm.web.context import session
from fm.web.downloads import table_response

pages = Blueprint("dashboard", __name__)
api = Blueprint("dashboard_api", __name__)
GROUP_PARAMETERS = ("category", "district", "department", "plan")


def _whole(name: str, default: int, low: int, high: int) -> int:
    """Query parameter ``name``: a whole number from ``low`` to ``high``."""
    value = whole_arg(name, default, low, high)
    return default if value is None else value


def _indicator(indicator: str) -> str:
    if indicator not in INDICATORS:
        raise NotFound(f"unknown indicator {indicator!r}; choose from {', '.join(INDICATORS)}")
    return indicator


def _groups() -> dict[str, str]:
    return {name: request.args[name] for name in GROUP_PARAMETERS if name in request.args}


def _list_arguments() -> dict:
    return {
        "fiscal_year": fiscal_year_arg(required=True),
        "groups": _groups(),
        "sort": request.args.get("sort"),
        "order": request.args.get("order"),
        "convention": convention_arg(),
    }


# JSON: the data of every card, chart and list -------------------------------------------------


@api.get("/kpi/trends")
def trends() -> Response:
    """Every indicator over every fiscal year with data, with its target and published figure."""
    with session() as active:
        return json_response(dashboard.kpi_trends(active, convention=convention_arg()))


@api.get("/kpi/<indicator>/breakdown")
def breakdown(indicator: str) -> Response:
    """The indicator in ?fiscal_year per group of ?by (category, district, department or plan)."""
    indicator = _indicator(indicator)
    by = request.args.get("by", DIMENSIONS[indicator][0])
    with session() as active:
        return json_response(
            dashboard.kpi_breakdown(
                active, indicator, fiscal_year=fiscal_year_arg(required=True), by=by, convention=convention_arg()
            )
        )


@api.get("/kpi/<indicator>/list")
def records_page(indicator: str) -> Response:
    """One page (?page, ?per_page) of the records behind a figure, sorted (?sort, ?order), of some groups."""
    indicator = _indicator(indicator)
    arguments = _list_arguments()
    with session() as active:
        return json_response(
            dashboard.kpi_list(
                active,
                indicator,
                page=_whole("page", 1, 1, 999_999),
                per_page=_whole("per_page", 50, 1, 500),
                **arguments,
            )
        )


@api.get("/kpi/aging_ratio/whatif")
def whatif() -> Response:
    """The aging ratio over the ?years (10) fiscal years after ?fiscal_year: planned work against doing nothing."""
    with session() as active:
        return json_response(
            dashboard.whatif(
                active,
                fiscal_year=fiscal_year_arg(required=True),
                years=_whole("years", 10, 1, 50),
                convention=convention_arg(),
            )
        )


@api.get("/renewal")
def renewal() -> Response:
    """The renewal-cost projection from ?start (default: next fiscal year) over ?years (40)."""
    start = _fiscal_year_named("start")
    with session() as active:
        return json_response(dashboard.renewal(active, start=start, years=_whole("years", 40, 1, 100)))


def _fiscal_year_named(name: str) -> int | None:
    raw = request.args.get(name)
    if raw is not None and (not re.fullmatch(r"[0-9]{4}", raw) or not 1900 <= int(raw) <= 2200):
        raise ValidationError(f"{name} must be a year such as 2026, got {raw!r}")
    return None if raw is None else int(raw)


# Pages ----------------------------------------------------------------------------------------


@pages.app_template_filter("num")
def num(value: float | None, decimals: int = 0) -> str:
    """A figure with thousands separators (an em dash when undefined)."""
    return figures.number(value, decimals)


@pages.context_processor
def words() -> dict:
    """Translated names of list columns, coded values and on-track states, for the templates."""
    columns = {
        "code": _("Code"),
        "name": _("Name"),
        "category": _("Category"),
        "district": _("District"),
        "covered": _("Plan"),
        "plan_code": _("Plan code"),
        "owner_department": _("Department"),
        "utilisation": _("Use"),
        "current_use": _("Current use"),
        "since": _("Since"),
        "area_m2": _("Area (m²)"),
        "acquisition_date": _("Acquired"),
        "useful_life_years": _("Life (years)"),
        "acquisition_cost": _("Acquisition cost (yen)"),
        "accumulated_depreciation": _("Accumulated depreciation (yen)"),
        "book_value": _("Book value (yen)"),
        "title": _("Plan"),
        "fiscal_year": _("Fiscal year"),
        "planned_amount": _("Planned (yen)"),
        "executed_amount": _("Executed (yen)"),
        "unexecuted_amount": _("Not executed (yen)"),
        "asset_code": _("Asset"),
        "asset_name": _("Asset name"),
        "kind": _("Kind"),
        "cause": _("Cause"),
        "completed_on": _("Completed"),
        "actual_cost": _("Cost (yen)"),
    }
    values = {
        "preventive": _("preventive"),
        "reactive": _("reactive"),
        "underused": _("underused"),
        "unused": _("unused"),
        "sudden_failure": _("sudden failure"),
        "inspection_finding": _("inspection finding"),
        "planned": _("planned"),
        "disaster": _("disaster"),
        "complaint": _("complaint"),
        "other": _("other"),
    }
    dimensions = {
        "category": _("By category"),
        "district": _("By district"),
        "department": _("By department"),
        "plan": _("By plan"),
    }
    track = {True: _("on track"), False: _("behind"), None: _("cannot tell")}
    return {"column_names": columns, "value_names": values, "dimension_names": dimensions, "track_names": track}


@pages.get("/dashboard")
def index() -> str:
    """Cards and trends of every indicator, the aging ratio by category, the what-if and the renewal chart."""
    with session() as active:
        page = dashboard.overview(active, fiscal_year=fiscal_year_arg(), convention=convention_arg())
    if page["year"] is None:
        return render_template("dashboard.html", years=[], year=None)
    trends = {t["indicator"]: t for t in page["trends"]}
    return render_template(
        "dashboard.html",
        years=page["years"],
        year=page["year"],
        cards=page["cards"],
        trends=trends,
        charts={key: figures.trend_chart(trend) for key, trend in trends.items()},
        aging=page["aging"],
        whatif=page["whatif"],
        whatif_chart=figures.whatif_chart(page["whatif"]),
        projection=page["renewal"],
        renewal_chart=figures.renewal_chart(page["renewal"]),
        groups=figures.group_names(),
    )


@pages.get("/dashboard/<indicator>")
def indicator_page(indicator: str) -> str:
    """One indicator: its trend, its breakdowns (each bar a link) and the records behind it, page by page."""
    with session() as active:
        page = dashboard.indicator_detail(
            active,
            _indicator(indicator),
            fiscal_year=fiscal_year_arg(),
            groups=_groups(),
            sort=request.args.get("sort"),
            order=request.args.get("order"),
            page=_whole("page", 1, 1, 999_999),
            per_page=_whole("per_page", 50, 1, 500),
            convention=convention_arg(),
        )
    names = {(b["by"], g["key"] or "none"): g for b in page["breakdowns"] for g in b["groups"]}
    chips = [(by, names.get((by, key))) for by, key in page["list"]["groups"].items()]
    return render_template(
        "indicator.html",
        years=page["years"],
        year=page["year"],
        indicator=indicator,
        card=page["card"],
        chips=chips,
        trend=page["trend"],
        chart=figures.trend_chart(page["trend"], width=720, height=240),
        breakdowns=page["breakdowns"],
        listing=page["list"],
        columns=COLUMNS[indicator],
        categories=page["categories"],
        query=_query(),
        districts={g["name"]: g for b in page["breakdowns"] if b["by"] == "district" for g in b["groups"] if g["name"]},
    )


def _query() -> dict[str, str]:
    """The request's list parameters, to build links that change one of them."""
    keep = ("fiscal_year", "sort", "order", "per_page", "convention", *GROUP_PARAMETERS)
    return {k: v for k, v in request.args.items() if k in keep}


@pages.get("/dashboard/<indicator>/records.<fmt>")
def export(indicator: str, fmt: str) -> Response:
    """Every row of a drill-down list (all pages, the list's order) as CSV (UTF-8 with BOM) or Excel."""
    indicator = _indicator(indicator)
    arguments = _list_arguments()
    with session() as active:
        frame = dashboard.kpi_list_export(active, indicator, **arguments)
    return table_response(frame, f"{indicator}-{arguments['fiscal_year']}", fmt)


@pages.get("/dashboard/report")
def report() -> str:
    """The yearly one-page report for the council (A4, prints as is), Japanese unless ?lang=en."""
    with session() as active:
        page = dashboard.yearly_report(active, fiscal_year=fiscal_year_arg(), convention=convention_arg())
    year = page["year"]
    trends = {t["indicator"]: t for t in page["trends"]}
    return render_template(
        "report.html",
        year=year,
        cards=page["cards"],
        trends=trends,
        trend_years=page["fiscal_years"],
        charts={k: figures.trend_chart(t, width=320, height=84) for k, t in trends.items()},
        whatif=page["whatif"],
        whatif_chart=figures.whatif_chart(page["whatif"], width=380, height=150),
        projection=page["renewal"],
        lang=str(get_locale()),
        dashboard_url=url_for("dashboard.index", fiscal_year=year, _external=True),
    )
