"""Finance pages: indicator targets and the plans' planned / executed amounts by fiscal year."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from fm.app import finance, kpi
from fm.app.conventions import fiscal_year, fiscal_year_label
from fm.app.kpi import INDICATORS
from fm.errors import ValidationError
from fm.web.auth import actor, writes
from fm.web.context import session

pages = Blueprint("finance", __name__, url_prefix="/finance")


def _year(text: str | None, default: int | None = None) -> int:
    if not text and default is not None:
        return default
    if not text or not text.isdigit() or not 1900 <= int(text) <= 2200:
        raise ValidationError(_("fiscal year: a year such as 2025"))
    return int(text)


def _targets_page(errors: dict[str, str] | None = None, status: int = 200) -> Any:
    lang = str(get_locale())
    with session() as active:
        stored = kpi.targets(active)
    rows = [
        {
            "indicator": INDICATORS[t.indicator],
            "year": fiscal_year_label(int(t.target_year), lang)
            if t.target_year == t.target_year and t.target_year is not None
            else "—",
            "value": t.target_value,
            "source": t.source,
        }
        for t in stored.itertuples()
        if t.indicator in INDICATORS
    ]
    return render_template(
        "finance/targets.html", rows=rows, indicators=INDICATORS.values(), errors=errors or {}, form=request.form
    ), status


@pages.get("/targets")
def targets() -> Any:
    """The indicators' targets, and the form to set one."""
    return _targets_page()


@pages.post("/targets")
@writes("targets")
def set_target() -> Any:
    """Set (or, with no value, remove) the target of an indicator for a fiscal year."""
    form, errors = request.form, {}
    indicator = form.get("indicator", "")
    if indicator not in INDICATORS:
        errors["indicator"] = _("choose an indicator")
    try:
        year = _year(form.get("fiscal_year"))
    except ValidationError as exc:
        errors["fiscal_year"] = str(exc)
    value_text = form.get("value", "").strip().replace(",", "")
    value = None
    if value_text:
        try:
            value = float(value_text)
        except ValueError:
            errors["value"] = _("not a number")
        else:
            if not math.isfinite(value):
                errors["value"] = _("not a finite number")
            elif value < 0:
                errors["value"] = _("must not be negative")
    if errors:
        return _targets_page(errors, 400)
    with session() as active:
        kpi.set_target(
            active,
            indicator,
            fiscal_year=year,
            value=value,
            source=form.get("source") or None,
            actor=actor(),
            via="web",
        )
    flash(_("Target saved.") if value is not None else _("Target removed."))
    return redirect(url_for("finance.targets"))


def _budgets_page(year: int, errors: dict[str, list[str]] | None = None, status: int = 200) -> Any:
    with session() as active:
        rows = finance.budgets(active, year)
    return render_template(
        "finance/budgets.html",
        rows=rows.to_dict("records"),
        year=year,
        errors=errors or {},
        year_label=fiscal_year_label(year, str(get_locale())),
        form=request.form,
    ), status


@pages.get("/budgets")
def budgets() -> Any:
    """Each plan's planned and executed amounts in a fiscal year (default: the current one)."""
    return _budgets_page(_year(request.args.get("fiscal_year"), fiscal_year(date.today())))


@pages.post("/budgets/<int:year>/<path:code>")
@writes("budgets")
def set_budget(year: int, code: str) -> Any:
    """Save one plan's amounts for ``year``."""
    try:
        with session() as active:
            finance.set_budget(
                active,
                code,
                year,
                planned=request.form.get("planned_amount", ""),
                executed=request.form.get("executed_amount", ""),
                actor=actor(),
                via="web",
            )
    except ValidationError as exc:
        return _budgets_page(year, {code: exc.problems}, 400)
    flash(_("%(plan)s: amounts saved.", plan=code))
    return redirect(url_for("finance.budgets", fiscal_year=year))
