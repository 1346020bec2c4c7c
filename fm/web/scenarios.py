"""Portfolio scenarios: ``/portfolio/scenarios`` (the list and a new one), ``/portfolio/scenarios/<name>`` (its
actions and the side-by-side table), ``/portfolio/scenarios/compare?name=…`` (two or more), the Excel export, and
the JSON under ``/api/portfolio/scenarios`` (= ``fm portfolio scenario … --format json``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from fm.app import scenarios
from fm.errors import FmError, NotFound
from fm.web.api import json_response
from fm.web.auth import actor, writes
from fm.web.context import session
from fm.web.portfolio import kind_label

api = Blueprint("scenarios_api", __name__)
pages = Blueprint("scenarios", __name__, url_prefix="/portfolio/scenarios")
DECIMALS = {"floor_area_m2": 1, "aging_ratio": 1, "underused_land_m2": 2}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _lang() -> str:
    return "en" if str(get_locale()) == "en" else "ja"


def _names() -> list[str]:
    names = [n for n in request.args.getlist("name") if n.strip()]
    if not names:
        raise NotFound("choose at least one scenario (?name=…)")
    return names


@api.get("/portfolio/scenarios")
def list_json() -> Response:
    """Every scenario, newest first."""
    with session() as active:
        return json_response(scenarios.scenarios(active))


@api.get("/portfolio/scenarios/compare")
def compare_json() -> Response:
    """Doing nothing and each scenario named (?name=A&name=B) side by side."""
    with session() as active:
        return json_response(scenarios.compare(active, _names(), lang=_lang()))


@api.get("/portfolio/scenarios/<name>")
def show_json(name: str) -> Response:
    """One scenario: its actions and its figures beside doing nothing."""
    with session() as active:
        return json_response(scenarios.show(active, name, lang=_lang()))


@pages.get("")
def index() -> Any:
    """The scenarios, a form for a new one, and the choice of scenarios to compare."""
    with session() as active:
        rows = scenarios.scenarios(active)
    return render_template("scenarios.html", rows=rows, error=None, form={})


@pages.post("")
@writes("scenarios")
def create() -> Any:
    name = request.form.get("name", "")
    try:
        with session() as active:
            scenarios.create(active, name, description=request.form.get("description"), actor=actor())
    except FmError as exc:
        with session() as active:
            rows = scenarios.scenarios(active)
        return render_template("scenarios.html", rows=rows, error=str(exc), form=request.form), 400
    flash(_("Scenario %(name)s created.", name=name.strip()))
    return redirect(url_for("scenarios.page", name=name.strip()))


@pages.post("/propose")
@writes("scenarios")
def propose() -> Any:
    """A draft scenario proposed by fm's facility-location optimiser (kind, distance, network)."""
    form = request.form
    try:
        distance = float(form.get("distance", "") or "nan")
        with session() as active:
            found = scenarios.propose(
                active,
                form.get("kind", ""),
                distance_m=None if distance != distance else distance,
                use_network=form.get("network") == "1",
                actor=actor(),
            )
    except (FmError, ValueError) as exc:
        with session() as active:
            rows = scenarios.scenarios(active)
        return render_template("scenarios.html", rows=rows, error=str(exc), form=form), 400
    flash(_("Scenario %(name)s created.", name=found["name"]))
    return redirect(url_for("scenarios.page", name=found["name"]))


@pages.get("/compare")
def compare() -> Any:
    """Doing nothing and the scenarios chosen, side by side (none chosen: back to the list to choose)."""
    if not any(n.strip() for n in request.args.getlist("name")):
        flash(_("Choose the scenarios to compare."))
        return redirect(url_for("scenarios.index"))
    with session() as active:
        result = scenarios.compare(active, _names(), lang=_lang())
    return render_template("scenarios_compare.html", result=result, names=result["scenarios"])


@pages.get("/export.<fmt>")
def export(fmt: str) -> Response:
    """The scenarios chosen (?name=…) beside doing nothing, year by year and their actions, as a workbook."""
    if fmt != "xlsx":
        raise NotFound(f"scenarios download as xlsx, not {fmt!r}")
    names = _names()
    with session() as active:
        body = scenarios.export(active, names, lang=_lang())
    filename = "scenarios.xlsx" if len(names) > 1 else f"{names[0]}.xlsx"
    return Response(
        body,
        mimetype=XLSX,
        headers={"Content-Disposition": f"attachment; filename=\"scenario.xlsx\"; filename*=UTF-8''{quote(filename)}"},
    )


def _page(name: str, *, error: str | None = None, status: int = 200, form: Any = None) -> Any:
    with session() as active:
        found = scenarios.show(active, name, lang=_lang())
    building = request.args.get("building", "")
    return (
        render_template(
            "scenario.html",
            found=found,
            error=error,
            form=form or {"building": building},
            actions=scenarios.ACTIONS,
            action_labels={k: v[_lang() == "en"] for k, v in scenarios.ACTION_LABELS.items()},
            kinds=scenarios.SERVICE_KINDS,
            kind_label=kind_label,
        ),
        status,
    )


@pages.get("/<name>")
def page(name: str) -> Any:
    """One scenario: its actions, a form to add one, and its figures beside doing nothing."""
    return _page(name)


@pages.post("/<name>/actions")
@writes("scenarios")
def add(name: str) -> Any:
    form = request.form
    try:
        with session() as active:
            scenarios.add_action(
                active,
                name,
                building=form.get("building", ""),
                action=form.get("action", ""),
                fiscal_year=form.get("fiscal_year"),
                target=form.get("target"),
                new_use=form.get("new_use"),
                parcel=form.get("parcel"),
                works_cost=form.get("works_cost"),
                notes=form.get("notes"),
                actor=actor(),
            )
    except FmError as exc:
        return _page(name, error=str(exc), status=400, form=form)
    flash(_("Action added."))
    return redirect(url_for("scenarios.page", name=name))


@pages.post("/<name>/actions/<int:action_id>/delete")
@writes("scenarios")
def remove(name: str, action_id: int) -> Any:
    with session() as active:
        scenarios.remove_action(active, name, action_id, actor=actor())
    flash(_("Action removed."))
    return redirect(url_for("scenarios.page", name=name))


@pages.post("/<name>/adopt")
@writes("scenario_adoption")
def adopt(name: str) -> Any:
    if request.form.get("confirm") != "1":
        return _page(
            name, error=_("Tick the box to confirm: adopting writes planned disposals and work orders."), status=400
        )
    try:
        with session() as active:
            counts = scenarios.adopt(active, name, actor=actor())
    except FmError as exc:
        return _page(name, error=str(exc), status=409 if "adopted already" in str(exc) else 400)
    flash(
        _(
            "Scenario adopted: %(d)s planned disposals, %(s)s sites marked unused, %(p)s parcels to sell, "
            "%(w)s work orders.",
            d=counts["disposals"],
            s=counts["unused_sites"],
            p=counts["parcels_sold"],
            w=counts["work_orders"],
        )
    )
    return redirect(url_for("scenarios.page", name=name))


@pages.post("/<name>/delete")
@writes("scenarios")
def delete(name: str) -> Any:
    with session() as active:
        scenarios.delete(active, name, actor=actor())
    flash(_("Scenario %(name)s deleted.", name=name))
    return redirect(url_for("scenarios.index"))


@pages.context_processor
def _helpers() -> dict[str, Any]:
    def fmt(value: Any, signed: bool = False, decimals: int = 1) -> str:
        """A figure as the table shows it: yen and counts with separators, m² and % with ``decimals``."""
        if value is None:
            return "—"
        sign = "+" if signed and value > 0 else ""
        if isinstance(value, int):
            return f"{sign}{value:,}"
        return f"{sign}{value:,.{decimals}f}"

    return {
        "fmt": fmt,
        "decimals": DECIMALS,
        "building": request.args.get("building", ""),
        "kinds": scenarios.SERVICE_KINDS,
        "kind_label": kind_label,
    }
