"""The create and edit forms of assets, parcels, individual plans, inspections and work orders.

One set of rules: a form's fields (strings, as a browser sends them) become a one-row
:class:`~fm.io.files.Table` under the English headers of :mod:`fm.io.columns`, and
:func:`fm.io.validate.validate` checks it exactly as it checks a row of an imported
file. Each :class:`~fm.io.problems.Problem` names its field by that header, so it goes
back to the form field of the same name (the geometry's ``wkt`` or ``lon/lat`` to the
``geometry`` field). Only what one row cannot say is checked here: that a new code is
not taken, and that an asset has one inspection a day.

A valid form is written through :mod:`fm.accounts.edits` (optimistic locking on ``version``,
the audit trail). :func:`submit` returns :class:`Saved` or :class:`Invalid`; a save over
a record changed since the form was opened is an :class:`Invalid` with ``conflict`` set
and nothing written. No Flask: the web layer renders the fields and translates the
messages with :func:`localise` (the validator's messages are English; :data:`MESSAGES`
is their small catalogue).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa
from sqlalchemy.orm import Session

from fm.accounts import audit, edits
from fm.errors import Conflict, NotFound
from fm.io.columns import (
    ASSETS,
    INSPECTIONS,
    PARCELS,
    PLANS,
    WORK_ORDERS,
    Column,
    Kind,
    header,
)
from fm.io.files import Table
from fm.io.problems import Problem, Rejected
from fm.io.validate import CODE_SEPARATORS, References, state_after_problem, validate
from fm.model import AuditEntry, metadata


def N_(message: str) -> str:  # noqa: N802 (gettext's marker: extracted into the catalogue, translated later)
    return message


GEOMETRY = "geometry"
"""The form field of a geometry: WKT in EPSG:4326, or ``lon, lat`` of a point."""
FORM = ""
"""The key of errors that concern the whole form (a conflicting save)."""
SOURCE = "web"


@dataclass(frozen=True)
class Form:
    """One form: the kind of record it checks as, the table it writes and who may write it."""

    name: str
    kind: Kind
    table: str
    subject: str
    """The roles subject (fm.accounts.roles) whose writers may save it."""
    title: str
    """What one record is called (English, translated in the UI)."""

    @property
    def fields(self) -> tuple[str, ...]:
        """The form's fields, in order: the kind's columns, then its geometry."""
        return tuple(c.name for c in self.kind.columns) + ((GEOMETRY,) if self.kind.geometry else ())

    def column(self, name: str) -> Column | None:
        return next((c for c in self.kind.columns if c.name == name), None)


FORMS = {
    form.name: form
    for form in (
        Form("assets", ASSETS, "assets", "assets", N_("asset")),
        Form("parcels", PARCELS, "land_parcels", "parcels", N_("land parcel")),
        Form("plans", PLANS, "individual_plans", "plans", N_("individual plan")),
        Form("inspections", INSPECTIONS, "inspections", "inspections", N_("inspection")),
        Form("work_orders", WORK_ORDERS, "work_orders", "work_orders", N_("work order")),
    )
}

LABELS = {
    "code": N_("Code"),
    "name": N_("Name"),
    "category": N_("Category"),
    "district": N_("District"),
    "year_built": N_("Year built"),
    "structure": N_("Structure"),
    "ledger_no": N_("Fixed-asset ledger number"),
    "floor_area_m2": N_("Floor area (m²)"),
    "deck_area_m2": N_("Deck area (m²)"),
    "length_m": N_("Length (m)"),
    "width_m": N_("Width (m)"),
    "diameter_mm": N_("Diameter (mm)"),
    "acquisition_date": N_("Acquisition date"),
    "acquisition_cost": N_("Acquisition cost (yen)"),
    "useful_life_years": N_("Useful life (years)"),
    "replacement_cost": N_("Replacement cost (yen)"),
    "annual_users": N_("Annual users"),
    "is_evacuation_shelter": N_("Evacuation shelter"),
    "on_emergency_road": N_("On an emergency road"),
    "needs_individual_plan": N_("Needs an individual plan"),
    "status": N_("Status"),
    "closed_on": N_("Closed on"),
    "disposed_on": N_("Disposed of on"),
    "notes": N_("Notes"),
    "owner_department": N_("Department"),
    "acquired_on": N_("Acquired on"),
    "current_use": N_("Current use"),
    "utilisation": N_("Utilisation"),
    "use_since": N_("Use since"),
    "asset_code": N_("Asset code"),
    "inspected_on": N_("Inspected on"),
    "inspector": N_("Inspector"),
    "method": N_("Method"),
    "soundness": N_("Soundness"),
    "condition_score": N_("Condition score (1–5)"),
    "findings": N_("Findings"),
    "next_due_on": N_("Next inspection due"),
    "kind": N_("Kind"),
    "cause": N_("Cause"),
    "description": N_("Description"),
    "planned_on": N_("Planned on"),
    "started_on": N_("Started on"),
    "completed_on": N_("Completed on"),
    "planned_cost": N_("Planned cost (yen)"),
    "actual_cost": N_("Actual cost (yen)"),
    "state_after": N_("Condition after the work"),
    "title": N_("Title"),
    "adopted_on": N_("Adopted on"),
    "period_start_fy": N_("Period from (fiscal year)"),
    "period_end_fy": N_("Period to (fiscal year)"),
    "under_infrastructure_plan": N_("Under the infrastructure management plan"),
    "asset_codes": N_("Covered assets"),
    GEOMETRY: N_("Geometry"),
}
"""Each field's label (English; the Japanese catalogue gives the file header of the column)."""

CHOICES = {
    "in_service": N_("In service"),
    "closed": N_("Closed"),
    "disposed": N_("Disposed of"),
    "close_visual": N_("Close visual"),
    "visual": N_("Visual"),
    "non_destructive": N_("Non-destructive"),
    "drone": N_("Drone"),
    "cctv": N_("CCTV"),
    "other": N_("Other"),
    "preventive": N_("Preventive"),
    "reactive": N_("Reactive"),
    "renewal": N_("Renewal"),
    "sudden_failure": N_("Sudden failure"),
    "inspection_finding": N_("Inspection finding"),
    "planned": N_("Planned maintenance"),
    "disaster": N_("Disaster"),
    "complaint": N_("Complaint"),
    "in_progress": N_("In progress"),
    "completed": N_("Done"),
    "cancelled": N_("Cancelled"),
    "in_use": N_("In use"),
    "underused": N_("Underused"),
    "unused": N_("Unused"),
}
"""Labels of the allowed values of every choice (status, method, kind, cause, utilisation)."""
COLUMN_CHOICES = {("status", "planned"): N_("Scheduled")}
"""Labels of values that mean another thing in one column (a work order's status ``planned``)."""


def choice(column: str, value: str) -> str:
    """The label (English msgid) of ``value`` in ``column``."""
    return COLUMN_CHOICES.get((column, value)) or CHOICES.get(value, value)


SOUNDNESS = {"1": "Ⅰ", "2": "Ⅱ", "3": "Ⅲ", "4": "Ⅳ"}
DEFAULTS = {"assets": {"status": "in_service"}, "work_orders": {"status": "planned", "kind": "preventive"}}
LONG_TEXT = ("notes", "findings", "description")


def label(form: Form, name: str, lang: str, gettext: Callable[[str], str]) -> str:
    """A field's label: in Japanese the column's header in files (``取得価額（円）``), else its English label.

    Examples
    --------
    >>> label(FORMS["parcels"], "disposed_on", "ja", str), label(FORMS["parcels"], "disposed_on", "en", str)
    ('処分日', 'Disposed of on')
    """
    column = form.column(name)
    if lang == "ja" and column is not None:
        return header(column, "ja")
    return gettext(LABELS[name])


def widget(column: Column | None) -> str:
    """How a field is entered: ``text``, ``textarea``, ``select``, ``checkbox``, ``date``, ``number``,
    ``soundness``, ``codes`` or ``geometry``.

    Examples
    --------
    >>> widget(ASSETS.column("status")), widget(ASSETS.column("acquisition_cost")), widget(None)
    ('select', 'number', 'geometry')
    """
    if column is None:
        return "geometry"
    if column.allowed or column.refers in ("category", "district"):
        return "select"
    if column.type == "boolean":
        return "checkbox"
    if column.type in ("integer", "number", "yen"):
        return "number"
    if column.type == "state":
        return "select"
    if column.type in ("date", "soundness", "codes"):
        return column.type
    return "textarea" if column.name in LONG_TEXT else "text"


@dataclass(frozen=True)
class Saved:
    """A record written: its id, its new version, the code of the page that shows it (an inspection's or
    a work order's asset) and its own code (None for an inspection)."""

    id: int
    version: int
    page: str
    code: str | None = None


@dataclass(frozen=True)
class Invalid:
    """Nothing written: the messages (English) by form field; ``conflict`` when someone saved first."""

    errors: dict[str, list[str]]
    conflict: bool = False


@dataclass(frozen=True)
class Loaded:
    """A stored record as the edit form shows it."""

    id: int
    version: int
    values: dict[str, str]
    page: str
    """The code of the page that shows it (an inspection's or work order's asset)."""
    extra: dict[str, Any] = field(default_factory=dict)


# ------------------------------------------------------------------------------------------ reading


def _table(form: Form) -> sa.Table:
    return metadata.tables[form.table]


def find(session: Session, form_name: str, code: str) -> int:
    """The id of the record with ``code`` (assets, parcels, plans, work orders), or NotFound."""
    form = FORMS[form_name]
    table = _table(form)
    found = session.execute(sa.select(table.c.id).where(table.c.code == code)).scalar()
    if found is None:
        raise NotFound(f"no {form.title} with code {code!r}")
    return found


def blank(form_name: str, **given: str) -> dict[str, str]:
    """The values of a new form: every field empty but the defaults and ``given`` (e.g. the asset)."""
    form = FORMS[form_name]
    return {**{name: "" for name in form.fields}, **DEFAULTS.get(form_name, {}), **given}


def load(session: Session, form_name: str, record_id: int) -> Loaded:
    """The stored record as form values (strings), with its version; NotFound if there is none."""
    form = FORMS[form_name]
    table = _table(form)
    row = session.execute(sa.select(table).where(table.c.id == record_id)).mappings().first()
    if row is None:
        raise NotFound(f"no {form.title} {record_id}")
    record = dict(row)
    values: dict[str, str] = {}
    for column in form.kind.columns:
        if column.name in table.c:
            values[column.name] = text(record[column.name])
    if "district" in form.fields:
        values["district"] = text(_code_of(session, "districts", record["district_id"]))
    page = record.get("code")
    if "asset_code" in form.fields:
        values["asset_code"] = page = _code_of(session, "assets", record["asset_id"])
    if form.kind.geometry:
        values[GEOMETRY] = text(record["geom"])
    if form.name == "parcels":
        values.update(_latest_use(session, record_id))
    if form.name == "plans":
        values["asset_codes"] = "\n".join(_covered(session, record_id))
    return Loaded(record_id, record["version"], values, page)


def text(value: Any) -> str:
    """A stored value as a form shows it: ISO dates, ``true``/``false``, whole numbers without ``.0``, WKT.

    Examples
    --------
    >>> text(None), text(True), text(date(2025, 4, 1)), text(5400.0), text(2.5), text(shapely.Point(139.5, 35.3))
    ('', 'true', '2025-04-01', '5400', '2.5', 'POINT (139.5 35.3)')
    """
    if value is None or (not isinstance(value, (str, shapely.Geometry)) and pd.isna(value)):
        return ""
    if isinstance(value, shapely.Geometry):
        return shapely.to_wkt(value, rounding_precision=9, trim=True)
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


TICKED = ("true", "1", "yes", "on")


def differing(form: Form, stored: Loaded, values: Mapping[str, str]) -> dict[str, str]:
    """Field → what the other person saved, for each field whose saved value differs from ``values`` (the form
    as posted). A checkbox posts nothing when it is not ticked: stored ``false`` (or nothing) equals unticked.

    >>> stored = Loaded(1, 2, {"is_evacuation_shelter": "false", "name": "橋"}, "B-1")
    >>> differing(FORMS["assets"], stored, {"name": "新橋"})
    {'name': '橋'}
    """
    found = {}
    for name in form.fields:
        saved, given = stored.values.get(name, ""), values.get(name, "")
        if widget(form.column(name)) == "checkbox":
            same = (saved in TICKED) == (given in TICKED)
        else:
            same = saved == given
        if not same:
            found[name] = saved
    return found


def _code_of(session: Session, table_name: str, record_id: int | None) -> str | None:
    if record_id is None:
        return None
    table = metadata.tables[table_name]
    return session.execute(sa.select(table.c.code).where(table.c.id == record_id)).scalar()


def _latest_use(session: Session, parcel_id: int) -> dict[str, str]:
    uses = metadata.tables["parcel_uses"]
    row = (
        session.execute(
            sa.select(uses).where(uses.c.parcel_id == parcel_id).order_by(uses.c.valid_from.desc()).limit(1)
        )
        .mappings()
        .first()
    )
    if row is None:
        return {"current_use": "", "utilisation": "", "use_since": ""}
    return {
        "current_use": text(row["current_use"]),
        "utilisation": text(row["utilisation"]),
        "use_since": text(row["valid_from"]),
    }


def _covered(session: Session, plan_id: int) -> list[str]:
    links, assets = metadata.tables["plan_assets"], metadata.tables["assets"]
    return list(
        session.execute(
            sa.select(assets.c.code)
            .join(links, links.c.asset_id == assets.c.id)
            .where(links.c.plan_id == plan_id)
            .order_by(assets.c.code)
        ).scalars()
    )


# ------------------------------------------------------------------------------------------ checking

_LONLAT = re.compile(r"^\s*(?P<lon>[-+]?\d+(?:\.\d+)?)\s*[,\s]\s*(?P<lat>[-+]?\d+(?:\.\d+)?)\s*$")


def form_table(form: Form, values: Mapping[str, str]) -> Table:
    """The form's values as a one-row file under the English headers (the geometry as ``wkt``, or as
    ``lon`` and ``lat`` when it is two numbers)."""
    row = {name: str(values.get(name) or "") for name in form.fields if name != GEOMETRY}
    if form.kind.geometry:
        given = str(values.get(GEOMETRY) or "")
        point = _LONLAT.match(given)
        if point:
            row.update(lon=point["lon"], lat=point["lat"])
        else:
            row["wkt"] = given
    return Table(pd.DataFrame([row], dtype=object), pd.Series(["form"]), None, "form")


def check(
    session: Session,
    form_name: str,
    values: Mapping[str, str],
    *,
    record_id: int | None = None,
    today: date | None = None,
) -> tuple[dict[str, Any] | None, dict[str, list[str]]]:
    """The record the form's values make (database columns), or the errors by field."""
    form = FORMS[form_name]
    table = form_table(form, values)
    errors: dict[str, list[str]] = {}
    try:
        checked = validate(
            form.kind,
            table,
            references=_references(session, form, values),
            crs=4326,
            today=today or date.today(),
            source="form",
        )
    except Rejected as rejected:
        checked = None
        for problem in rejected.details:
            errors.setdefault(_field(form, problem), []).append(problem.message)
    for name, message in _taken(session, form, values, record_id):
        if name not in errors:
            errors.setdefault(name, []).append(message)
    if checked is None or errors:
        return None, errors
    row = checked.frame.iloc[0]
    if form_name == "work_orders" and pd.notna(row.get("state_after")):
        asset, category, scale = _asset_scale(session, str(row["asset_code"]))
        problem = state_after_problem(
            int(row["state_after"]), status=row.get("status"), scale=scale, asset=asset, category=category
        )
        if problem:
            return None, {"state_after": [problem]}
    return _record(session, form, row, checked.geometry), {}


def _asset_scale(session: Session, code: str) -> tuple[str, str, str | None]:
    """``(code, category, condition scale)`` of the asset ``code`` (the scale None when there is no such asset)."""
    found = session.execute(
        sa.text(
            "SELECT a.code, a.category, c.condition_scale FROM assets a "
            "JOIN asset_categories c ON c.code = a.category WHERE a.code = :code"
        ),
        {"code": code},
    ).first()
    return (found[0], found[1], found[2]) if found else (code, "", None)


def state_choices(session: Session, asset_code: str | None) -> list[tuple[str, str]]:
    """The condition states a work order's ``state_after`` may take: the asset's soundness classes Ⅰ–Ⅳ or
    scores 1–5 (both, labelled, while the asset is not known)."""
    scale = _asset_scale(session, asset_code)[2] if asset_code else None
    if scale == "soundness":
        return list(SOUNDNESS.items())
    if scale == "score":
        return [(str(i), str(i)) for i in range(1, 6)]
    return [(k, f"{v} / {k}") for k, v in SOUNDNESS.items()] + [("5", "5")]


def _field(form: Form, problem: Problem) -> str:
    """The form field a problem is about: the field of its header, the geometry for coordinates."""
    if problem.field in form.fields:
        return problem.field
    if problem.field in ("wkt", "lon/lat", "lon", "lat") and form.kind.geometry:
        return GEOMETRY
    return FORM


def _references(session: Session, form: Form, values: Mapping[str, str]) -> References:
    """The codes the form may name: every category and district, and those of its assets that exist."""
    refers = {c.refers for c in form.kind.columns}
    named = set()
    for column in form.kind.columns:
        if column.refers == "asset":
            named |= set(re.split(CODE_SEPARATORS, str(values.get(column.name) or "")))
    assets = metadata.tables["assets"]
    found = session.execute(sa.select(assets.c.code).where(assets.c.code.in_(sorted(named - {""}))))
    return References(
        categories=frozenset(session.execute(sa.text("SELECT code FROM asset_categories")).scalars())
        if "category" in refers
        else frozenset(),
        districts=frozenset(session.execute(sa.text("SELECT code FROM districts")).scalars())
        if "district" in refers
        else frozenset(),
        assets=frozenset(found.scalars()) if named else frozenset(),
    )


TAKEN = {
    "assets": N_("an asset with this code exists already"),
    "parcels": N_("a land parcel with this code exists already"),
    "plans": N_("an individual plan with this code exists already"),
    "work_orders": N_("a work order with this code exists already"),
    "inspections": N_("this asset has an inspection on this day already: edit that one"),
}


def _taken(session: Session, form: Form, values: Mapping[str, str], record_id: int | None) -> list[tuple[str, str]]:
    """Keys the database holds for another record: a code, or an asset's inspection on the same day."""
    table = _table(form)
    other = table.c.id != record_id if record_id is not None else sa.true()
    if form.name == "inspections":
        assets = metadata.tables["assets"]
        try:
            day = date.fromisoformat(str(values.get("inspected_on") or "").strip())
        except ValueError:
            return []  # not a date: validate says so
        query = (
            sa.select(table.c.id)
            .join(assets, assets.c.id == table.c.asset_id)
            .where(assets.c.code == str(values.get("asset_code") or "").strip(), table.c.inspected_on == day, other)
        )
        return [("inspected_on", TAKEN["inspections"])] if session.execute(query).first() else []
    code = str(values.get("code") or "").strip()
    if code and session.execute(sa.select(table.c.id).where(table.c.code == code, other)).first():
        return [("code", TAKEN[form.name])]
    return []


def _record(session: Session, form: Form, row: pd.Series, geometry: Any) -> dict[str, Any]:
    """The checked row as the table's columns (codes of districts and assets as ids), plus the extras:
    a parcel's use (``use``) and a plan's assets (``asset_ids``)."""
    table = _table(form)
    record: dict[str, Any] = {}
    for name, value in row.items():
        record[name] = _plain(value)
    if "district" in record:
        district = record.pop("district")
        record["district_id"] = _id_of(session, "districts", district) if district else None
    if "asset_code" in record:
        record["asset_id"] = _id_of(session, "assets", record.pop("asset_code"))
    if form.kind.geometry:
        value = geometry.iloc[0] if geometry is not None else None
        record["geom"] = None if value is None or shapely.is_missing(value) else value
    if form.name == "parcels":
        record["use"] = {
            "valid_from": record.pop("use_since"),
            "current_use": record.pop("current_use"),
            "utilisation": record.pop("utilisation"),
        }
    if form.name == "plans":
        codes = record.pop("asset_codes") or ()
        record["asset_ids"] = [_id_of(session, "assets", code) for code in codes]
    for name in list(record):
        if (
            name in table.c
            and record[name] is None
            and not table.c[name].nullable
            and table.c[name].server_default is not None
        ):
            record[name] = table.c[name].server_default.arg  # a choice left empty: the column's default
    return record


def _plain(value: Any) -> Any:
    """A value of a checked frame as a plain Python value (None for every kind of missing)."""
    if isinstance(value, tuple):
        return value
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _id_of(session: Session, table_name: str, code: str) -> int:
    table = metadata.tables[table_name]
    return session.execute(sa.select(table.c.id).where(table.c.code == code)).scalar_one()


# ------------------------------------------------------------------------------------------ saving


def submit(
    session: Session,
    form_name: str,
    values: Mapping[str, str],
    *,
    actor: str,
    record_id: int | None = None,
    version: int | str | None = None,
    today: date | None = None,
) -> Saved | Invalid:
    """Check the form's ``values`` with the importer's rules and save them: a new record, or (with
    ``record_id`` and the ``version`` the form was opened at) an update of it.

    Nothing is written when a value is wrong (:class:`Invalid` with the messages by field) or when the
    record was saved by someone else since ``version`` (:class:`Invalid` with ``conflict``: the stored
    values stay as the first save left them). One save makes one audit entry, a parcel's use and a plan's
    assets included. The caller's transaction commits what is written.
    """
    form = FORMS[form_name]
    before = load(session, form_name, record_id) if record_id is not None else None  # NotFound when gone
    record, errors = check(session, form_name, values, record_id=record_id, today=today)
    if record is None:
        return Invalid(errors)
    extras = {key: record.pop(key) for key in ("use", "asset_ids") if key in record}
    extra_changes = audit.diff(
        {k: before.values.get(k) or None for k in EXTRAS.get(form_name, ())} if before else {},
        _extra_values(form_name, values, extras),
    )
    try:
        if before is None:
            record_id = edits.insert(session, form.table, record, actor=actor, source=SOURCE)
            new_version = 1
        else:
            opened = _version(version)
            if opened is None:
                return Invalid({FORM: [NO_VERSION]})
            _keep_same_geometry(session, form, before.id, record)
            new_version = edits.update(session, form.table, before.id, opened, record, actor=actor, source=SOURCE)
            if new_version == opened and extra_changes:
                new_version = _bump(session, form, before.id, opened)
    except Conflict:
        return Invalid({FORM: [_conflict(session, form, before.id)]}, conflict=True)
    if extra_changes:
        _note(session, form, record_id, extra_changes, actor=actor, code=record.get("code"))
    if "use" in extras:
        _save_use(session, record_id, extras["use"])
    if "asset_ids" in extras:
        _save_coverage(session, record_id, extras["asset_ids"])
    page = _code_of(session, "assets", record["asset_id"]) if "asset_id" in record else record["code"]
    return Saved(record_id, new_version, page, record.get("code"))


EXTRAS = {"parcels": ("current_use", "utilisation", "use_since"), "plans": ("asset_codes",)}
"""Fields a form saves beside its record's row (a parcel's use, a plan's assets), audited with the record."""
NO_VERSION = N_("the form has no version: open the record again")


def _conflict(session: Session, form: Form, record_id: int) -> str:
    """Who saved the record last, and when (Japan time, as the audit trail shows it)."""
    last, _total = audit.history(session, limit=1, table_name=form.table, record_id=record_id)
    if not len(last):
        return "changed by someone else since you opened it: your changes were not saved, theirs were kept."
    at = last.iloc[0]["at"]
    return (
        f"changed by {last.iloc[0]['actor']} at {at:%Y-%m-%d %H:%M} (JST) since you opened it: your changes "
        "were not saved, the other person's were kept."
    )


def _extra_values(form_name: str, values: Mapping[str, str], extras: dict[str, Any]) -> dict[str, Any]:
    """The extras as the audit trail and the edit form show them (a plan's codes one a line, each once)."""
    if form_name == "plans":
        codes = re.split(CODE_SEPARATORS, str(values.get("asset_codes") or ""))
        return {"asset_codes": "\n".join(sorted(dict.fromkeys(c for c in codes if c))) or None}
    if form_name == "parcels":
        use = extras["use"]
        return {
            "current_use": use["current_use"],
            "utilisation": use["utilisation"],
            "use_since": use["valid_from"].isoformat() if use["valid_from"] else None,
        }
    return {}


def _version(version: int | str | None) -> int | None:
    """The version a form was opened at; None when it is missing or not a version number at all."""
    text = str(version)
    return int(text) if re.fullmatch(r"[0-9]{1,9}", text) else None


def _bump(session: Session, form: Form, record_id: int, version: int) -> int:
    """A new version for a save that changed only a record's extras (so that locking covers them too)."""
    table = _table(form)
    stamp = {"updated_at": sa.func.current_timestamp()} if "updated_at" in table.c else {}
    result = session.execute(
        sa.update(table).where(table.c.id == record_id, table.c.version == version).values(version=version + 1, **stamp)
    )
    if result.rowcount != 1:
        raise Conflict(
            "this record was changed after you opened it; your changes were not saved. "
            "Reload it to see the current values, then make your change again."
        )
    return version + 1


def _note(
    session: Session, form: Form, record_id: int, changes: dict[str, list[Any]], *, actor: str, code: str | None
) -> None:
    """Add the extras' changes to the audit entry this save made, or make the entry (extras alone changed)."""
    entry = next(
        (
            o
            for o in session.new
            if isinstance(o, AuditEntry) and o.table_name == form.table and o.record_id == record_id
        ),
        None,
    )
    if entry is not None:
        entry.changes = {**entry.changes, **changes}
    else:
        audit.record(
            session,
            actor=actor,
            source=SOURCE,
            action="update",
            table=form.table,
            record_id=record_id,
            code=code,
            changes=changes,
        )


def _keep_same_geometry(session: Session, form: Form, record_id: int, record: dict[str, Any]) -> None:
    """A geometry equal to the stored one within 1e-9° (the WKT the form showed) is the stored one,
    so that saving a form unchanged changes nothing."""
    if not form.kind.geometry or record.get("geom") is None:
        return
    table = _table(form)
    stored = session.execute(sa.select(table.c.geom).where(table.c.id == record_id)).scalar()
    if (
        stored is not None
        and shapely.get_type_id(stored) == shapely.get_type_id(record["geom"])
        and shapely.equals_exact(stored, record["geom"], tolerance=1e-9)
    ):
        record["geom"] = stored


def _save_use(session: Session, parcel_id: int, use: dict[str, Any]) -> None:
    """A parcel's use from ``valid_from``: added when that date is new, else that use updated."""
    if use["valid_from"] is None:
        return
    uses = metadata.tables["parcel_uses"]
    stored = (
        session.execute(sa.select(uses).where(uses.c.parcel_id == parcel_id, uses.c.valid_from == use["valid_from"]))
        .mappings()
        .first()
    )
    if stored is None:
        session.execute(sa.insert(uses).values(parcel_id=parcel_id, **use))
    elif any(stored[k] != use[k] for k in ("current_use", "utilisation")):
        session.execute(
            sa.update(uses)
            .where(uses.c.id == stored["id"])
            .values(current_use=use["current_use"], utilisation=use["utilisation"])
        )


def _save_coverage(session: Session, plan_id: int, asset_ids: list[int]) -> None:
    """The plan covers exactly ``asset_ids``."""
    links = metadata.tables["plan_assets"]
    stored = set(session.execute(sa.select(links.c.asset_id).where(links.c.plan_id == plan_id)).scalars())
    wanted = set(asset_ids)
    if stored - wanted:
        session.execute(
            sa.delete(links).where(links.c.plan_id == plan_id, links.c.asset_id.in_(sorted(stored - wanted)))
        )
    if wanted - stored:
        session.execute(sa.insert(links), [{"plan_id": plan_id, "asset_id": i} for i in sorted(wanted - stored)])


# ------------------------------------------------------------------------------------------ messages

MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(f"^{pattern}$"), msgid)
    for pattern, msgid in (
        (r"required: must not be empty", N_("required: must not be empty")),
        (r"required: no geometry", N_("required: draw it on the map or type it")),
        (r"longer than (?P<n>\d+) characters", N_("longer than %(n)s characters")),
        (r"not one of (?P<values>.+)", N_("not one of %(values)s")),
        (r"unknown category; known: .*", N_("unknown category")),
        (r"unknown district; known: .*", N_("unknown district")),
        (r"no asset with this code in the database", N_("no asset with this code in the database")),
        (
            r"no asset with these codes in the database: (?P<codes>.+)",
            N_("no asset with these codes in the database: %(codes)s"),
        ),
        (r"not a yes/no value .*", N_("not a yes/no value")),
        (r"not a soundness class: .*", N_("not a soundness class: Ⅰ–Ⅳ")),
        (r"not a condition state: .*", N_("not a condition state: Ⅰ–Ⅳ or 1–5")),
        (
            r"only a completed work order records the condition after the work .*",
            N_("only a work order that is done records the condition after the work: leave this empty until then"),
        ),
        (
            r"asset (?P<code>.+) is a (?P<category>\w+), whose condition is a soundness class .*",
            N_("asset %(code)s is a %(category)s, whose condition is a soundness class Ⅰ–Ⅳ"),
        ),
        (r"not a date \(write it as 2025-04-01\)", N_("not a date (write it as 2025-04-01)")),
        (r"is in the future \(today is (?P<today>[\d-]+)\)", N_("is in the future (today is %(today)s)")),
        (r"is in the future", N_("is in the future")),
        (r"not a number \(whole yen\)", N_("not a number (whole yen)")),
        (r"not a number", N_("not a number")),
        (r"not a finite number", N_("not a finite number")),
        (r"must be a whole number of yen", N_("must be a whole number of yen")),
        (r"must be a whole number", N_("must be a whole number")),
        (r"must be greater than (?P<n>[-\d.e+]+)", N_("must be greater than %(n)s")),
        (r"must not be negative", N_("must not be negative")),
        (r"must be at least (?P<n>[-\d.e+]+)", N_("must be at least %(n)s")),
        (r"must be at most (?P<n>[-\d.e+]+)", N_("must be at most %(n)s")),
        (r"too large \(at most (?P<n>[\d,]+)\)", N_("too large (at most %(n)s)")),
        (r"too small \(at least (?P<n>[-\d,]+)\)", N_("too small (at least %(n)s)")),
        (r"contains control characters .*", N_("contains control characters (such as NUL): not text")),
        (r"(?P<first>.+) and (?P<later>.+) are the same field", N_("%(first)s and %(later)s are the same field")),
        (
            r"a formula whose value the file does not hold .*",
            N_(
                "a formula whose value the file does not hold (saved by a program that does not calculate): "
                "open and save the file in Excel, or type the value"
            ),
        ),
        (
            r"no such record to update, and a new one needs (?P<columns>.+), which the file has no column for",
            N_("no such record to update, and a new one needs %(columns)s, which the file has no column for"),
        ),
        (
            r"a (?P<category>\w+) must be (?P<shapes>.+), and the stored geometry of (?P<code>.+) is "
            r"(?P<shape>a [a-z ]+): give the new geometry in the file .*",
            N_(
                "a %(category)s must be %(shapes)s, and the stored geometry of %(code)s is %(shape)s: give the new "
                "geometry in the file (lon/lat, x/y or wkt)"
            ),
        ),
        (r"a (?P<choice>closed|disposed) asset needs its (?P<field>\w+)", N_("a %(choice)s asset needs its %(field)s")),
        (r"is before the acquisition date", N_("is before the acquisition date")),
        (r"needs its (?P<field>\w+) too", N_("needs its %(field)s too")),
        (r"give exactly one of (?P<field>\w+) and (?P<other>\w+)", N_("give exactly one of %(field)s and %(other)s")),
        (r"is before the inspection", N_("is before the inspection")),
        (r"a completed work order needs its (?P<field>\w+)", N_("a completed work order needs its %(field)s")),
        (
            r"a reactive work order needs its (?P<field>\w+) \(e\.g\. sudden_failure\)",
            N_("a reactive work order needs its %(field)s (e.g. sudden failure)"),
        ),
        (r"is before the start date", N_("is before the start date")),
        (
            r"changed by (?P<actor>.+) at (?P<at>[\d-]+ [\d:]+) \(JST\) since you opened it: .*",
            N_(
                "changed by %(actor)s at %(at)s (JST) since you opened it: your changes were not saved, the other "
                "person's were kept."
            ),
        ),
        (
            r"(?:changed by someone else since you opened it|this record was changed after you opened it)[:;] .*",
            N_("changed by someone else since you opened it: your changes were not saved, theirs were kept."),
        ),
        (r"is before (?P<field>\w+)", N_("is before %(field)s")),
        (r"empty geometry", N_("empty geometry")),
        (r"not valid WKT", N_("not valid WKT: write e.g. POINT (139.55 35.32), or lon, lat")),
        (r"coordinates are not numbers", N_("coordinates are not numbers")),
        (r"coordinates are not finite .*", N_("coordinates are not finite")),
        (r"invalid geometry: (?P<reason>.+)", N_("invalid geometry (%(reason)s): a polygon must not cross itself")),
        (r"must be a polygon or multipolygon", N_("must be a polygon")),
        (
            r"a (?P<category>\w+) must be (?P<shapes>.+), not (?P<shape>a [a-z ]+)",
            N_("a %(category)s must be %(shapes)s, not %(shape)s"),
        ),
        (
            r"outside Japan: longitude and latitude look swapped .*",
            N_("outside Japan: longitude and latitude look swapped (longitude is 122–154, latitude 20–46)"),
        ),
        (r"outside Japan.*", N_("outside Japan (longitude 122–154, latitude 20–46)")),
    )
)
"""Every message of the validator a form can show, as a pattern and its catalogue entry; the parts the
pattern names fill the translated message (fields as their labels, choices as theirs)."""
SHAPES = {
    "a point": N_("a point"),
    "a line": N_("a line"),
    "a polygon": N_("a polygon"),
    "a geometry collection": N_("a geometry collection"),
}
OR = N_("%(first)s or %(second)s")


def localise(
    message: str,
    gettext: Callable[[str], str],
    *,
    names: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
) -> str:
    """``message`` (from the validator, or this module) in the language of ``gettext``: its catalogue
    entry with the named parts filled in; fields as ``labels`` names them (else their translated
    :data:`LABELS`), choices and shapes translated, category codes as ``names`` has them. A message not
    in :data:`MESSAGES` is shown as it is.

    Examples
    --------
    >>> ja = {"a %(choice)s asset needs its %(field)s": "%(choice)sの資産には%(field)sが必要です",
    ...       "Closed": "休止", "Closed on": "休止日"}
    >>> localise("a closed asset needs its closed_on", lambda s: ja.get(s, s))
    '休止の資産には休止日が必要です'
    >>> localise("something else", lambda s: ja.get(s, s))
    'something else'
    """
    names, labels = names or {}, labels or {}
    for pattern, msgid in MESSAGES:
        found = pattern.match(message)
        if found is None:
            continue
        parts: dict[str, str] = {}
        for key, value in found.groupdict().items():
            if key in ("field", "other"):
                value = labels.get(value) or gettext(LABELS.get(value, value))
            elif key == "choice":
                value = gettext(CHOICES.get(value, value))
            elif key == "values":
                value = ", ".join(gettext(CHOICES.get(v, v)) for v in value.split(", "))
            elif key == "category":
                value = names.get(value, value)
            elif key == "shape":
                value = gettext(SHAPES.get(value, value))
            elif key == "shapes":
                words = [gettext(SHAPES.get(v, v)) for v in value.split(" or ")]
                value = words[0] if len(words) == 1 else gettext(OR) % {"first": words[0], "second": words[1]}
            parts[key] = value
        return gettext(msgid) % parts if parts else gettext(msgid)
    return gettext(message) if message in TAKEN.values() or message == NO_VERSION else message


def asset_search(session: Session, query: str, *, limit: int = 20) -> list[dict[str, str]]:
    """Up to ``limit`` assets whose code or name contains ``query`` (codes first, then by code): what the
    plan form's asset picker offers."""
    assets = metadata.tables["assets"]
    words = query.strip()
    if not words:
        return []
    escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    starts = sa.case((assets.c.code.ilike(f"{escaped}%", escape="\\"), 0), else_=1)
    rows = session.execute(
        sa.select(assets.c.code, assets.c.name)
        .where(sa.or_(assets.c.code.ilike(pattern, escape="\\"), assets.c.name.ilike(pattern, escape="\\")))
        .order_by(starts, assets.c.code)
        .limit(limit)
    )
    return [{"code": code, "name": name} for code, name in rows]


def choices(session: Session, what: str, lang: str) -> list[tuple[str, str]]:
    """(code, name) of every ``category`` (in display order) or ``district``, named in ``lang``."""
    table = metadata.tables["asset_categories" if what == "category" else "districts"]
    name = table.c.name_en if lang == "en" else table.c.name
    order = (table.c.sort_order, table.c.code) if what == "category" else (table.c.id,)
    return [(code, label) for code, label in session.execute(sa.select(table.c.code, name).order_by(*order))]


# ------------------------------------------------------------------------------------------ deleting

DEPENDENTS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "assets": (
        ("inspections", "asset_id", N_("inspections")),
        ("work_orders", "asset_id", N_("work orders")),
        ("traffic_restrictions", "asset_id", N_("traffic restrictions")),
        ("plan_assets", "asset_id", N_("individual plans covering it")),
        ("plan_works", "asset_id", N_("works of individual plans")),
        ("ledger_entries", "asset_id", N_("fixed-asset ledger rows tied to it")),
    ),
    "plans": (("plan_budget_items", "plan_id", N_("budget lines")),),
    "inspections": (("traffic_restrictions", "inspection_id", N_("traffic restrictions it required")),),
    "parcels": (),
    "work_orders": (),
}
"""Per form: the records that depend on one of its records, (table, column, what they are). A record with any
is not deleted: the reason names them and how many. What is part of a record goes with it (a parcel's use
history, a plan's covered assets and works, an asset's risk scores and usage figures)."""


@dataclass(frozen=True)
class Refused:
    """Why a record was not deleted: ``(count, what)`` of each kind of record that depends on it."""

    code: str
    dependents: list[tuple[int, str]]


def dependents(session: Session, form_name: str, record_id: int) -> list[tuple[int, str]]:
    """``(count, what)`` of the records that depend on the record ``record_id`` of ``form_name``."""
    found = []
    for table_name, column, what in DEPENDENTS[form_name]:
        table = metadata.tables[table_name]
        count = session.scalar(sa.select(sa.func.count()).select_from(table).where(table.c[column] == record_id))
        if table_name == "plan_budget_items" and count:  # a plan's budget lines count once money was executed
            count = session.scalar(
                sa.select(sa.func.count())
                .select_from(table)
                .where(table.c[column] == record_id, table.c.executed_amount > 0)
            )
            what = N_("budget lines with executed amounts")
        if count:
            found.append((int(count), what))
    return found


def remove(
    session: Session, form_name: str, record_id: int, version: int | str | None, *, actor: str
) -> Saved | Refused | Invalid:
    """Delete the record ``record_id`` of ``form_name`` opened at ``version``: refused (:class:`Refused`) while
    others depend on it, :class:`Invalid` with ``conflict`` when it was saved since; else deleted with one
    audit entry holding its last values (and what went with it)."""
    form = FORMS[form_name]
    loaded = load(session, form_name, record_id)  # NotFound when gone
    code = loaded.values.get("code") or f"{loaded.page} {loaded.values.get('inspected_on', '')}".strip()
    found = dependents(session, form_name, record_id)
    if found:
        return Refused(code, found)
    try:
        edits.delete(session, form.table, record_id, _version(version) or 0, actor=actor, source=SOURCE)
    except Conflict:
        return Invalid({"": [_conflict(session, form, record_id)]}, conflict=True)
    return Saved(record_id, 0, loaded.page, loaded.values.get("code"))
