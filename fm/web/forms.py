"""The create and edit forms (assets, parcels, plans, inspections, work orders) over fm.app.forms.

Each route is a few lines: GET shows the form (blank, or the stored record with its
version), POST hands the fields to :func:`fm.app.forms.submit`, then redirects to the
record's page with a flash message, or shows the form again with every message next
to its field (400), or, when someone saved the record first, with the conflict (409).
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _

from fm.app import forms
from fm.app.forms import FORM, FORMS, GEOMETRY, Invalid, Saved
from fm.errors import Conflict
from fm.web.auth import actor, writes
from fm.web.context import session

pages = Blueprint("forms", __name__)

PAGES = {
    "assets": "assets.page",
    "parcels": "parcels.page",
    "plans": "plans.page",
    "inspections": "assets.page",
    "work_orders": "assets.page",
}


@pages.route("/assets/new", methods=["GET", "POST"])
@writes("assets")
def new_asset() -> Any:
    """A new asset."""
    return _form("assets", cancel=url_for("register.index"))


@pages.route("/assets/<path:code>/edit", methods=["GET", "POST"])
@writes("assets")
def edit_asset(code: str) -> Any:
    """Edit the asset ``code``."""
    return _form("assets", code=code)


@pages.route("/parcels/new", methods=["GET", "POST"])
@writes("parcels")
def new_parcel() -> Any:
    """A new land parcel."""
    return _form("parcels", cancel=url_for("maps.page", kind="land"))


@pages.route("/parcels/<path:code>/edit", methods=["GET", "POST"])
@writes("parcels")
def edit_parcel(code: str) -> Any:
    """Edit the land parcel ``code`` (and its current use)."""
    return _form("parcels", code=code)


@pages.route("/plans/new", methods=["GET", "POST"])
@writes("plans")
def new_plan() -> Any:
    """A new individual plan."""
    return _form("plans", cancel=url_for("maps.page", kind="plans"))


@pages.route("/plans/<path:code>/edit", methods=["GET", "POST"])
@writes("plans")
def edit_plan(code: str) -> Any:
    """Edit the individual plan ``code`` and the assets it covers."""
    return _form("plans", code=code)


@pages.route("/assets/<path:code>/inspections/new", methods=["GET", "POST"])
@writes("inspections")
def new_inspection(code: str) -> Any:
    """A new inspection of the asset ``code``."""
    return _form("inspections", given={"asset_code": code}, cancel=url_for("assets.page", code=code))


@pages.route("/inspections/<int:inspection_id>/edit", methods=["GET", "POST"])
@writes("inspections")
def edit_inspection(inspection_id: int) -> Any:
    """Edit the inspection ``inspection_id``."""
    return _form("inspections", record_id=inspection_id)


@pages.route("/assets/<path:code>/work-orders/new", methods=["GET", "POST"])
@writes("work_orders")
def new_work_order(code: str) -> Any:
    """A new work order on the asset ``code``."""
    return _form("work_orders", given={"asset_code": code}, cancel=url_for("assets.page", code=code))


@pages.route("/work-orders/<path:code>/edit", methods=["GET", "POST"])
@writes("work_orders")
def edit_work_order(code: str) -> Any:
    """Edit the work order ``code``."""
    return _form("work_orders", code=code)


DELETE_ROUTES = {
    "assets": "forms.delete_asset",
    "parcels": "forms.delete_parcel",
    "plans": "forms.delete_plan",
    "inspections": "forms.delete_inspection",
    "work_orders": "forms.delete_work_order",
}
AFTER_DELETE = {"assets": "register.index", "plans": "plans.index"}


@pages.post("/assets/<path:code>/delete")
@writes("assets")
def delete_asset(code: str) -> Any:
    """Delete the asset ``code`` (refused while inspections, work orders, plans or the ledger refer to it)."""
    return _delete("assets", code=code)


@pages.post("/parcels/<path:code>/delete")
@writes("parcels")
def delete_parcel(code: str) -> Any:
    """Delete the land parcel ``code`` and its use history."""
    return _delete("parcels", code=code)


@pages.post("/plans/<path:code>/delete")
@writes("plans")
def delete_plan(code: str) -> Any:
    """Delete the individual plan ``code`` (refused once money was executed under it)."""
    return _delete("plans", code=code)


@pages.post("/inspections/<int:inspection_id>/delete")
@writes("inspections")
def delete_inspection(inspection_id: int) -> Any:
    """Delete the inspection ``inspection_id`` (refused while a traffic restriction rests on it)."""
    return _delete("inspections", record_id=inspection_id)


@pages.post("/work-orders/<path:code>/delete")
@writes("work_orders")
def delete_work_order(code: str) -> Any:
    """Delete the work order ``code``."""
    return _delete("work_orders", code=code)


def _delete(name: str, *, code: str | None = None, record_id: int | None = None) -> Any:
    """Delete one record from its edit page: refused with the reason (409) while others depend on it or when
    someone saved it since the page was opened; audited with its last values."""
    form = FORMS[name]
    with session() as active:
        if code is not None:
            record_id = forms.find(active, name, code)
        assert record_id is not None
        result = forms.remove(active, name, record_id, request.form.get("version"), actor=actor())
    if isinstance(result, forms.Refused):
        listed = ", ".join(_("%(count)s %(what)s", count=n, what=_(what)) for n, what in result.dependents)
        raise Conflict(
            _(
                "The %(what)s %(code)s was not deleted: %(others)s depend on it. Delete or move them first.",
                what=_(form.title),
                code=result.code,
                others=listed,
            )
        )
    if isinstance(result, Invalid):
        raise Conflict(_("Not deleted: the record was changed by someone else since you opened it. Look again."))
    flash(_("Deleted the %(what)s %(code)s.", what=_(form.title), code=result.code or result.page))
    if name in ("inspections", "work_orders"):
        return redirect(url_for("assets.page", code=result.page))
    if name == "parcels":
        return redirect(url_for("maps.page", kind="land"))
    return redirect(url_for(AFTER_DELETE[name]))


@pages.get("/forms/assets.json")
def asset_search() -> Response:
    """Assets whose code or name contains ?q (at most 20): the plan form's asset picker."""
    with session() as active:
        return jsonify(forms.asset_search(active, request.args.get("q", "")))


def _form(
    name: str,
    *,
    code: str | None = None,
    record_id: int | None = None,
    given: dict[str, str] | None = None,
    cancel: str | None = None,
) -> Any:
    """Show, check and save one form (see the module's docstring)."""
    form = FORMS[name]
    with session() as active:
        if code is not None:
            record_id = forms.find(active, name, code)
        stored = forms.load(active, name, record_id) if record_id is not None else None
        if request.method == "GET":
            values = stored.values if stored else forms.blank(name, **(given or {}))
            return _render(active, form, values, stored, cancel=cancel, version=str(stored.version) if stored else "")
        values = {field: request.form.get(field, "") for field in form.fields}
        if given:
            values.update(given)  # the asset of a new inspection is the one of the page
        result = forms.submit(
            active, name, values, actor=actor(), record_id=record_id, version=request.form.get("version")
        )
        if isinstance(result, Saved):
            code = result.code or result.page
            flash(
                _("Saved the %(what)s %(code)s.", what=_(form.title), code=code)
                if stored is None
                else _("Saved your changes to the %(what)s %(code)s.", what=_(form.title), code=code)
            )
            return redirect(url_for(PAGES[name], code=result.page))
        version = request.form.get("version", "")
        if result.conflict:
            stored = forms.load(active, name, record_id)  # what the first save left, and its version
            version = str(stored.version)  # saving again now replaces it, knowingly
        return _render(
            active, form, values, stored, cancel=cancel, invalid=result, version=version
        ), 409 if result.conflict else 400


def _render(
    active: Any,
    form: forms.Form,
    values: dict[str, str],
    stored: forms.Loaded | None,
    *,
    cancel: str | None,
    version: str,
    invalid: Invalid | None = None,
) -> str:
    lang = str(get_locale())
    options = _options(active, form, lang, values)
    names = {code: label for code, label in options.get("category", [])}
    labels = {name: forms.label(form, name, lang, _) for name in form.fields}
    errors = {
        field: [forms.localise(m, _, names=names, labels=labels) for m in messages]
        for field, messages in (invalid.errors if invalid else {}).items()
    }
    if cancel is None and stored is not None:
        cancel = url_for(PAGES[form.name], code=stored.page)
    differing = {}
    if invalid is not None and invalid.conflict and stored is not None:
        differing = forms.differing(form, stored, values)
    return render_template(
        "forms/form.html",
        form=form,
        values=values,
        stored=stored,
        delete_url=_delete_url(form.name, stored),
        errors=errors,
        form_errors=errors.pop(FORM, []),
        conflict=bool(invalid and invalid.conflict),
        differing=differing,
        version=version,
        options=options,
        cancel=cancel,
        widget=forms.widget,
        labels=labels,
        geometry=GEOMETRY,
        tiles=_tiles(),
        locked=("asset_code",) if form.name == "inspections" else (),
    )


def _options(active: Any, form: forms.Form, lang: str, values: dict[str, str]) -> dict[str, list[tuple[str, str]]]:
    """The choices of each select: categories and districts by name in the UI language, allowed values
    by their translated labels, soundness classes Ⅰ–Ⅳ, a work order's condition after the work on its asset's
    scale."""
    found: dict[str, list[tuple[str, str]]] = {}
    for column in form.kind.columns:
        if column.allowed:
            found[column.name] = [(v, _(forms.choice(column.name, v))) for v in column.allowed]
        elif column.refers in ("category", "district"):
            found[column.name] = forms.choices(active, column.refers, lang)
        elif column.type == "soundness":
            found[column.name] = list(forms.SOUNDNESS.items())
        elif column.type == "state":
            found[column.name] = forms.state_choices(active, values.get("asset_code"))
    return found


def _tiles() -> list[dict[str, Any]]:
    """The basemap's tile layers for the form's map (none: a plain background)."""
    return [
        {"url": t.url, "attribution": t.attribution, "name": t.name, "minZoom": t.min_zoom, "maxZoom": t.max_zoom}
        for t in current_app.config["FM_TILES"]
    ]


def _delete_url(name: str, stored: forms.Loaded | None) -> str | None:
    if stored is None:
        return None
    if name == "inspections":
        return url_for(DELETE_ROUTES[name], inspection_id=stored.id)
    return url_for(DELETE_ROUTES[name], code=stored.values.get("code"))
