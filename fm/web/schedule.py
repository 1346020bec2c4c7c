"""The engineers' schedule: the page, its downloads, its JSON, and starting and closing work orders.

Each route parses its arguments, calls one function of :mod:`fm.app.schedule` and
renders, serialises or exports the result. Starting and closing a work order are writes:
behind ``@writes("work_orders")``, with the CSRF token and the version the form was opened
on (a stale version is refused with 409 and the page shows the current values).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Response,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from werkzeug.routing import BuildError

from fm.app import schedule
from fm.app.forms import localise
from fm.app.risk import load_config
from fm.app.schedule import GROUPINGS, KINDS, OVERDUE, WORK_CAUSES, WORK_KINDS
from fm.errors import Conflict, ValidationError
from fm.serialize import records
from fm.web.api import json_response
from fm.web.auth import actor, writes
from fm.web.context import session
from fm.web.downloads import table_response


def N_(message: str) -> str:
    """Mark a message for the catalogue; it is translated where it is shown (:func:`problem`)."""
    return message


OWN = (N_("only a planned work order can be started"), N_("only a planned or started work order can be closed"))
"""The schedule's own messages; the importer's are translated by :func:`fm.app.forms.localise`."""

pages = Blueprint("schedule", __name__)
api = Blueprint("schedule_api", __name__)
QUERY = ("by", "from", "to", "kind", "category", "district")
SHOWN = {"month": 25, "week": 10}
"""The rows of one group a page shows, by grouping (a window of three months has about 14 weeks): the first
page of each group, or the page asked for of one group (``group`` and ``page``); the downloads and the JSON
have them all."""


def _date(name: str) -> date | None:
    raw = request.args.get(name) or None
    if raw is None:
        return None
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw):
        raise ValidationError(f"{name} must be a date such as 2026-04-01, got {raw!r}")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationError(f"{name} must be a date such as 2026-04-01, got {raw!r}") from None


def _page() -> int:
    raw = request.args.get("page") or "1"
    if not re.fullmatch(r"[0-9]{1,9}", raw) or int(raw) < 1:
        raise ValidationError(f"page must be a whole number from 1, got {raw!r}")
    return int(raw)


def _filters() -> schedule.Filters:
    """The schedule's query parameters, checked (an empty value means no restriction)."""
    by = request.args.get("by") or "month"
    if by not in GROUPINGS:
        raise ValidationError(f"by must be {' or '.join(GROUPINGS)}, got {by!r}")
    return schedule.Filters(
        by=by,
        start=_date("from"),
        end=_date("to"),
        kind=request.args.get("kind") or None,
        category=request.args.get("category") or None,
        district=request.args.get("district") or None,
    )


def _schedule(filters: schedule.Filters | None = None, **page: Any) -> dict[str, Any]:
    with session() as active:
        return schedule.schedule(
            active, today=date.today(), filters=filters or _filters(), config=load_config(), **page
        )


@api.get("/schedule")
def schedule_json() -> Response:
    """The schedule for the page's parameters: window, groups and rows (overdue first)."""
    found = _schedule()
    body = {
        "today": found["today"],
        "by": found["by"],
        "from": found["start"],
        "to": found["end"],
        "kind": found["kind"],
        "category": found["category"],
        "district": found["district"],
        "groups": found["groups"],
        "rows": records(schedule.export_frame(found["rows"])),
    }
    return json_response(body)


@pages.get("/schedule/export.<fmt>")
def export(fmt: str) -> Response:
    """Every row of the schedule as CSV (UTF-8 with BOM) or Excel, in the page's order."""
    found = _schedule()
    return table_response(schedule.export_frame(found["rows"]), f"schedule-{found['today']}", fmt)


@pages.get("/schedule")
def index() -> str:
    """Work orders planned or in progress and inspections due, overdue first, by month or by week."""
    chosen, number = request.args.get("group") or None, _page()
    filters = _filters()
    size = SHOWN[filters.by]
    found = _schedule(filters, size=size, group=chosen, number=number)  # only the page's rows, named
    with session() as active:
        choices = schedule.filter_choices(active)
    categories, districts = choices["categories"], choices["districts"]
    shown = found["rows"].astype(object)
    shown = shown.where(shown.notna(), None)  # missing values as None, not NaN, for the template
    by_group: dict[str, list[dict[str, Any]]] = {}
    for row in shown.to_dict("records"):  # once: a frame's to_dict costs about the same for 25 rows as for 500
        by_group.setdefault(row["group"], []).append(row)
    for group in found["groups"]:
        group["pages"] = schedule.pages(group["count"], size)
        group["page"] = min(number, group["pages"]) if group["key"] == chosen else 1
        group["first"] = (group["page"] - 1) * size + 1
        group["last"] = min(group["page"] * size, group["count"])
    query = {k: v for k, v in request.args.items() if k in QUERY and v}
    return render_template(
        "schedule.html",
        found=found,
        by_group=by_group,
        categories=categories,
        districts=districts,
        query=query,
        kinds=KINDS,
        shown=size,
    )


@pages.get("/schedule/work-orders/<path:code>")
def work_order(code: str) -> str:
    """A work order of the schedule with its forms: start it, or close it."""
    with session() as active:
        record = schedule.work_order(active, code)
    return _action_page(record)


@pages.post("/schedule/work-orders/<path:code>/start")
@writes("work_orders")
def start(code: str) -> Any:
    """Mark a planned work order in progress (started on the date given, by default today)."""
    return _act(code, schedule.start_work, "start", _("Work order %(code)s is in progress."))


@pages.post("/schedule/work-orders/<path:code>/done")
@writes("work_orders")
def done(code: str) -> Any:
    """Close a work order: completed on, actual cost in yen, repair kind (and cause) confirmed."""
    return _act(code, schedule.finish_work, "done", _("Work order %(code)s is completed."))


def _act(code: str, action, form_name: str, message: str) -> Any:
    version = _version()
    form = {k: v for k, v in request.form.items() if k not in ("csrf_token", "version")}
    try:
        with session() as active:
            record = schedule.work_order(active, code)
            action(active, code, version, form, actor=actor(), today=date.today())
    except schedule.FieldErrors as exc:
        with session() as active:
            record = schedule.work_order(active, code)
        return _action_page(record, form_name=form_name, form=form, errors=exc.fields), 400
    except Conflict as exc:
        with session() as active:
            record = schedule.work_order(active, code)
        return _action_page(record, form_name=form_name, form=form, conflict=str(exc)), 409
    flash(message % {"code": record["code"]})
    target = request.form.get("next") or ""
    return redirect(
        target if target.startswith("/schedule") and not target.startswith("//") else url_for("schedule.index")
    )


def _version() -> int:
    raw = request.form.get("version", "")
    if not re.fullmatch(r"[0-9]{1,9}", raw):
        raise ValidationError("the form lacks the record's version; reload the page")
    return int(raw)


def _action_page(
    record: dict,
    *,
    form_name: str | None = None,
    form: dict | None = None,
    errors: dict | None = None,
    conflict: str | None = None,
) -> str:
    return render_template(
        "schedule_work_order.html",
        record=record,
        form_name=form_name,
        form=form or {},
        errors=errors or {},
        conflict=conflict,
        today=date.today(),
        work_kinds=WORK_KINDS,
        causes=WORK_CAUSES,
        next=request.values.get("next", ""),
    )


@pages.app_template_filter("period")
def period(group: dict) -> str:
    """A schedule group's heading: overdue, a month (2026年1月 / January 2026) or an ISO week with its days."""
    if group["key"] == OVERDUE:
        return _("Overdue")
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}", group["key"]):
        start = group["start"]
        return f"{start.year}年{start.month}月" if str(get_locale()) == "ja" else format_date(start, "MMMM y")
    return _(
        "Week %(week)s (%(start)s – %(end)s)",
        week=group["key"],
        start=group["start"].isoformat(),
        end=group["end"].isoformat(),
    )


@pages.context_processor
def helpers() -> dict[str, Any]:
    """Names of coded values and a link builder that tolerates an endpoint not (yet) there."""
    names = {
        "duty": _("Measure required by law"),
        "none": _("no measure"),
        "restricted": _("traffic restricted"),
        "started": _("started"),
        "work_order": _("Work order"),
        "inspection": _("Inspection"),
        "planned": _("planned"),
        "in_progress": _("in progress"),
        "completed": _("completed"),
        "cancelled": _("cancelled"),
        "due": _("due"),
        "preventive": _("preventive"),
        "reactive": _("reactive"),
        "renewal": _("renewal"),
        "sudden_failure": _("sudden failure"),
        "inspection_finding": _("inspection finding"),
        "disaster": _("disaster"),
        "complaint": _("complaint"),
        "other": _("other"),
    }
    return {"names": names, "link": _link, "fiscal_label": _fiscal_label, "problem": problem}


def problem(message: str) -> str:
    """A message of the start and close forms in the page's language (as is when none is known)."""
    return _(message) if message in OWN else localise(message, _)


def _fiscal_label(year: int | None) -> str:
    return "" if year is None else _("FY%(year)s", year=year)


def _link(endpoint: str, **values: Any) -> str | None:
    """``url_for(endpoint, **values)``, or None when the app has no such endpoint or it takes other values
    (a link to another area's page shows once that page is there)."""
    known = g.setdefault("schedule_unbuildable", set())  # a failed build is slow: try each shape once a request
    shape = (endpoint, frozenset(values))
    if shape in known:
        return None
    try:
        return url_for(endpoint, **values)
    except BuildError:
        known.add(shape)
        return None
