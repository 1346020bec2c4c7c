"""The risk engine: JSON (``GET /api/risk…`` = ``fm score --format json``, inspections due) and the page of
the deterioration models (``/risk/models``: what ``fm score --model`` prints)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, render_template
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from fm.app import risk
from fm.app.conventions import fiscal_year
from fm.serialize import records
from fm.web.api import fiscal_year_arg, json_response, lang_arg, whole_arg
from fm.web.charts import Series, line_chart
from fm.web.context import session

api = Blueprint("risk", __name__)
pages = Blueprint("risk_pages", __name__, url_prefix="/risk")


@pages.get("/models")
def models() -> Any:
    """Per category: pairs used and dropped, hazards with credible intervals beside the default, expected
    years in each state, and the model's curve against the observed share of each state by age."""
    with session() as active:
        found = risk.risk_models(active, config=risk.load_config())
    english = str(get_locale()) == "en"
    for model in found:
        model["label"] = model["name_en"] if english and model.get("name_en") else model["name"]
        model["chart"] = _curve(model)
        model["dropped_text"] = [(_dropped_label(why), count) for why, count in model["dropped"].items()]
    return render_template("risk_models.html", models=found, roman=risk.ROMAN)


def _dropped_label(reason: str) -> str:
    if reason == "improved":
        return _("condition improved with no work recorded")
    kind = reason.removeprefix("work:")
    names = {"preventive": _("preventive"), "reactive": _("reactive"), "renewal": _("renewal")}
    return _("spans completed %(kind)s work", kind=names.get(kind, kind))


def _band(age: int, starts: list[int]) -> str:
    width = starts[1] - starts[0] if len(starts) > 1 else 5
    return f"{age}–{age + width}"


def _curve(model: dict[str, Any]) -> Markup | None:
    """The model's share of each state by age (solid) and the observed share of inspections (dashed), in %."""
    bands = model["by_age"]
    if not bands:
        return None
    xs = [band["age_from"] for band in bands]
    series = []
    for k in range(model["states"]):
        name = risk.state_label(k + 1, model["states"])
        series.append(Series(_("%(state)s, model", state=name), [100 * b["model"][k] for b in bands], f"st{k + 1}"))
        series.append(
            Series(
                _("%(state)s, observed", state=name),
                [100 * b["observed"][k] for b in bands],
                f"st{k + 1}",
                dashed=True,
            )
        )
    return line_chart(
        xs,
        series,
        title=_("Share of each condition state by age: model and inspections"),
        fmt="{:.0f} %".format,
        label_x=lambda age: _("%(age)s years", age=_band(age, xs)),
        top=100.0,
        width=640,
        height=240,
    )


@api.get("/risk")
def ranking() -> Response:
    """The latest risk scores, worst first (?top=N), each with its reasons."""
    top = whole_arg("top", None, 1, 9_999_999)
    with session() as active:
        return json_response(risk.risk_ranking(active, top=top, lang=lang_arg()))


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
