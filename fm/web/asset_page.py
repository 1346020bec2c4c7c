"""The full asset page: attributes, a small map, inspections with a condition chart, risk and its
reasons, work orders, individual plans and the depreciation schedule."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pandas as pd
from flask import Blueprint, current_app, render_template
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from fm.app import asset_page
from fm.app.asset_page import ROMAN
from fm.app.maps import classes, mini_map
from fm.app.risk import load_config
from fm.serialize import missing, records
from fm.web.api import convention_arg
from fm.web.condition_chart import condition_chart
from fm.web.context import session
from fm.web.maps import embed, static_url
from fm.web.register import words

pages = Blueprint("assets", __name__)

# (column, kind): how each stored attribute is shown. Sizes and closing dates only when set.
FIELDS = (
    ("code", "text"),
    ("name", "text"),
    ("category", "category"),
    ("district_id", "district"),
    ("status", "status"),
    ("year_built", "plain"),
    ("structure", "text"),
    ("floor_area_m2", "m2"),
    ("deck_area_m2", "m2"),
    ("length_m", "m"),
    ("width_m", "m"),
    ("diameter_mm", "mm"),
    ("acquisition_date", "date"),
    ("acquisition_cost", "yen"),
    ("useful_life_years", "life"),
    ("replacement_cost", "yen"),
    ("annual_users", "count"),
    ("is_evacuation_shelter", "bool"),
    ("on_emergency_road", "bool"),
    ("needs_individual_plan", "bool"),
    ("closed_on", "date"),
    ("disposed_on", "date"),
    ("notes", "text"),
    ("created_at", "datetime"),
    ("updated_at", "datetime"),
)
ONLY_WHEN_SET = {
    "floor_area_m2",
    "deck_area_m2",
    "length_m",
    "width_m",
    "diameter_mm",
    "closed_on",
    "disposed_on",
    "notes",
}


def _lang() -> str:
    return str(get_locale())


@pages.get("/assets/<path:code>")
def page(code: str) -> str:
    """Everything fm holds about one asset (?convention of the depreciation, as on the dashboard)."""
    with session() as active:
        data = asset_page.asset_page(active, code, config=load_config(), lang=_lang(), convention=convention_arg())
    card = data["card"]
    colour = next(c.colour for c in classes("risk") if c.key == card["risk_class"])
    shape = asset_page.geometry_of(data)
    mini = (
        mini_map(shape, colour=colour, tiles=current_app.config["FM_TILES"], static=static_url)
        if shape is not None
        else None
    )
    scale = data["category"]["condition_scale"]
    return render_template(
        "asset.html",
        card=card,
        asset=data["attributes"],
        attributes=attribute_rows(data),
        risk=data["risk"],
        inspections=records(data["inspections"]),
        scale=scale,
        chart=_chart(data["inspections"], scale),
        chart_title=_chart_title(scale),
        work_orders=records(data["work_orders"]),
        plans=data["plans"],
        duties=data["duties"],
        duty_state_names=_duty_states(),
        depreciation=data["depreciation"],
        depreciation_rows=records(data["depreciation"]["rows"]) if data["depreciation"]["rows"] is not None else [],
        map=embed(mini) if mini else None,
        level=_level,
        after=_after,
        method_names=_methods(),
        kind_names=_kinds(),
        cause_names=_causes(),
        work_status_names=_work_statuses(),
        **words(),
    )


def _level(row: dict[str, Any], scale: str) -> str:
    """An inspection's result: soundness Ⅰ–Ⅳ or a score n/5."""
    if scale == "soundness" and row.get("soundness") is not None:
        return ROMAN[int(row["soundness"])]
    if row.get("condition_score") is not None:
        return f"{int(row['condition_score'])}/5"
    return "—"


def _after(row: dict[str, Any], scale: str) -> str:
    """A work order's condition after the work, as the asset's inspections are written (Ⅰ–Ⅳ or n/5)."""
    value = row.get("state_after")
    if value is None or pd.isna(value):
        return "—"
    return ROMAN.get(int(value), str(int(value))) if scale == "soundness" else f"{int(value)}/5"


def _chart(inspections: pd.DataFrame, scale: str) -> Markup | None:
    column = "soundness" if scale == "soundness" else "condition_score"
    rated = inspections[inspections[column].notna()]
    if rated.empty:
        return None
    title = _chart_title(scale)
    return condition_chart(
        [pd.Timestamp(d).date() for d in rated["inspected_on"]],
        [int(v) for v in rated[column]],
        scale=scale,
        title=title,
    )


def _chart_title(scale: str) -> str:
    return _("Soundness over time") if scale == "soundness" else _("Condition score over time (1 good, 5 failed)")


def _yen(value: Any) -> str:
    return _("%(amount)s yen", amount=f"{int(value):,}")


def attribute_rows(data: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(column, label, value as shown) for each stored attribute, in the UI language."""
    labels = {
        "code": _("Code"),
        "name": _("Name"),
        "category": _("Category"),
        "district_id": _("District"),
        "status": _("Status"),
        "year_built": _("Year built"),
        "structure": _("Structure"),
        "floor_area_m2": _("Floor area"),
        "deck_area_m2": _("Deck area"),
        "length_m": _("Length"),
        "width_m": _("Width"),
        "diameter_mm": _("Diameter"),
        "acquisition_date": _("Acquired on"),
        "acquisition_cost": _("Acquisition cost"),
        "useful_life_years": _("Useful life"),
        "replacement_cost": _("Replacement cost"),
        "annual_users": _("Users or vehicles a year"),
        "is_evacuation_shelter": _("Designated evacuation shelter"),
        "on_emergency_road": _("On an emergency road"),
        "needs_individual_plan": _("Needs an individual plan"),
        "closed_on": _("Closed on"),
        "disposed_on": _("Disposed of on"),
        "notes": _("Notes"),
        "created_at": _("Recorded"),
        "updated_at": _("Last changed"),
    }
    statuses = words()["status_names"]
    asset, category, district = data["attributes"], data["category"], data["district"]
    en = _lang() == "en"
    rows = []
    for column, kind in FIELDS:
        value = asset.get(column)
        if value is None and column in ONLY_WHEN_SET:
            continue
        if kind == "life":
            shown = (
                _("%(years)s years", years=value)
                if value is not None
                else _("%(years)s years (the category's)", years=category["useful_life_years"])
            )
        elif value is None or (isinstance(value, float) and missing(value)):
            shown = "—"
        elif kind == "category":
            shown = category["name_en" if en else "name"]
        elif kind == "district":
            shown = district["name_en" if en else "name"] if district else "—"
        elif kind == "status":
            shown = statuses.get(value, value)
        elif kind == "yen":
            shown = _yen(value)
        elif kind == "m2":
            shown = f"{float(value):,.2f} m²"
        elif kind == "m":
            shown = f"{float(value):,.1f} m"
        elif kind == "mm":
            shown = f"{float(value):,.0f} mm"
        elif kind == "count":
            shown = f"{int(value):,}"
        elif kind == "bool":
            shown = _("yes") if value else _("no")
        elif kind == "date":
            shown = value.isoformat() if isinstance(value, date) else str(value)
        elif kind == "datetime":
            shown = value.strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime) else str(value)[:16]
        else:
            shown = str(value)
        rows.append((column, labels[column], shown))
    return rows


def _methods() -> dict[str, str]:
    return {
        "close_visual": _("close visual"),
        "visual": _("visual"),
        "non_destructive": _("non-destructive"),
        "drone": _("drone"),
        "cctv": _("CCTV"),
        "other": _("other"),
    }


def _kinds() -> dict[str, str]:
    return {"preventive": _("preventive"), "reactive": _("reactive"), "renewal": _("renewal")}


def _causes() -> dict[str, str]:
    return {
        "sudden_failure": _("sudden failure"),
        "inspection_finding": _("inspection finding"),
        "planned": _("planned"),
        "disaster": _("disaster"),
        "complaint": _("complaint"),
        "other": _("other"),
    }


def _duty_states() -> dict[str, str]:
    return {
        "none": _("no measure"),
        "planned": _("planned"),
        "restricted": _("traffic restricted"),
        "started": _("started"),
        "completed": _("completed"),
    }


def _work_statuses() -> dict[str, str]:
    return {
        "planned": _("planned"),
        "in_progress": _("in progress"),
        "completed": _("completed"),
        "cancelled": _("cancelled"),
    }
