"""Use cases of the indicator dashboard: the same seam as :mod:`fm.service`, for the dashboard's data.

Every figure comes from :func:`fm.service.kpi_report` or from the measures that report
is built on, so a card, a chart, a list and ``fm kpi`` never disagree. Views, the JSON
API and the CLI call these functions and nothing deeper.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from fm import service
from fm.errors import NotFoundError, ValidationError
from fm.fiscal import fiscal_year as fiscal_year_of
from fm.io import store
from fm.kpi import INDICATORS, KpiData, available_years, measure
from fm.kpi.breakdown import DIMENSIONS, RATIOS, attributed, breakdown, half_up
from fm.kpi.drilldown import LINKS, PageOutOfRange, filtered, ordered, shown, sorted_page, with_district_names
from fm.kpi.published import load_published
from fm.kpi.whatif import aging_whatif
from fm.renewal.costs import load_unit_costs
from fm.serialize import records


def years_with_data(session: Session) -> list[int]:
    """The fiscal years the dashboard offers: those with recorded activity."""
    return available_years(service.kpi_data(session))


def _check(data: KpiData, indicator: str | None, fiscal_year: int) -> None:
    if indicator is not None and indicator not in INDICATORS:
        raise NotFoundError(f"unknown indicator {indicator!r}; choose from {', '.join(INDICATORS)}")
    years = available_years(data)
    if fiscal_year not in years:
        known = f"{years[0]}–{years[-1]}" if years else "none: load records first (fm demo)"
        raise NotFoundError(f"no data for fiscal year {fiscal_year}; years with data: {known}")


def _measure(data: KpiData, indicator: str, fiscal_year: int, convention: str):
    options = {"convention": convention} if indicator == "aging_ratio" else {}
    return measure(indicator, data, fiscal_year=fiscal_year, **options)


def kpi_trends(session: Session, *, convention: str = "fiscal-year") -> dict[str, Any]:
    """Per indicator, its value in every fiscal year with data, its latest target and its published figure.

    The values are those of ``fm kpi --format json`` (all years); nothing is recomputed.
    """
    report = service.kpi_report(session, convention=convention)
    published = load_published()
    trends = []
    for key, indicator in INDICATORS.items():
        rows = [row for row in report["indicators"] if row["indicator"] == key]
        trends.append({
            "indicator": key, "name": indicator.name, "name_en": indicator.name_en, "unit": indicator.unit,
            "decimals": indicator.decimals, "direction": indicator.direction,
            "series": [{k: row[k] for k in ("fiscal_year", "value", "numerator", "denominator", "on_track")}
                       for row in rows],
            "target": rows[-1]["target"] if rows else None,
            "published": published.get(key),
        })
    return {"fiscal_years": report["fiscal_years"], "indicators": trends}


def _labels(session: Session, by: str) -> pd.DataFrame:
    if by == "category":
        return store.read_categories(session).rename(columns={"code": "key"})[["key", "name", "name_en"]]
    if by == "district":
        return store.read_table(session, "districts", ("id", "name", "name_en")).rename(columns={"id": "key"})
    return pd.DataFrame(columns=["key", "name", "name_en"])


def kpi_breakdown(session: Session, indicator: str, *, fiscal_year: int, by: str,
                  convention: str = "fiscal-year") -> dict[str, Any]:
    """The indicator in ``fiscal_year`` per group of ``by`` (see :data:`fm.kpi.breakdown.DIMENSIONS`)."""
    data = service.kpi_data(session)
    _check(data, indicator, fiscal_year)
    if by not in DIMENSIONS[indicator]:
        raise ValidationError(f"by must be {' or '.join(DIMENSIONS[indicator])} for {indicator}, got {by!r}")
    result = _measure(data, indicator, fiscal_year, convention)
    groups = breakdown(attributed(result, data), indicator, by, _labels(session, by))
    return {"indicator": indicator, "fiscal_year": fiscal_year, "by": by, "value": result.rounded(),
            "numerator": result.numerator, "denominator": result.denominator, "groups": groups}


def _list_frame(session: Session, indicator: str, fiscal_year: int, groups: dict[str, str],
                convention: str) -> pd.DataFrame:
    data = service.kpi_data(session)
    _check(data, indicator, fiscal_year)
    frame = with_district_names(attributed(_measure(data, indicator, fiscal_year, convention), data),
                                store.read_table(session, "districts", ("id", "name")))
    try:
        return filtered(frame, indicator, groups)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


def kpi_list(session: Session, indicator: str, *, fiscal_year: int, groups: dict[str, str] | None = None,
             sort: str | None = None, order: str | None = None, page: int = 1, per_page: int = 50,
             convention: str = "fiscal-year") -> dict[str, Any]:
    """One page of the records behind ``indicator`` in ``fiscal_year`` (optionally of some groups only).

    The totals (``numerator``, ``denominator``, ``value``) are those of the whole filtered
    list; unfiltered, they are the indicator's own.
    """
    frame = _list_frame(session, indicator, fiscal_year, groups or {}, convention)
    try:
        cut = sorted_page(frame, indicator, sort=sort, order=order, page=page, per_page=per_page)
    except PageOutOfRange as exc:
        raise NotFoundError(str(exc)) from None
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    decimals = INDICATORS[indicator].decimals
    link = LINKS[indicator]
    return {"indicator": indicator, "fiscal_year": fiscal_year, "groups": groups or {},
            "records": cut.records, "page": cut.page, "pages": cut.pages, "per_page": cut.per_page,
            "sort": cut.sort, "order": cut.order,
            "numerator": _number(cut.numerator),
            "denominator": _number(cut.denominator) if indicator in RATIOS else None,
            "value": None if cut.value is None else half_up(cut.value, decimals),
            "link": None if link is None else {"page": link[0], "column": link[1]},
            "rows": records(cut.rows)}


def kpi_list_export(session: Session, indicator: str, *, fiscal_year: int, groups: dict[str, str] | None = None,
                    sort: str | None = None, order: str | None = None,
                    convention: str = "fiscal-year") -> pd.DataFrame:
    """Every row of the list (all pages), in the list's order: what CSV and Excel exports hold."""
    frame = _list_frame(session, indicator, fiscal_year, groups or {}, convention)
    try:
        result, _, _ = ordered(frame, indicator, sort=sort, order=order)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    return shown(result, indicator)


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 2)


def whatif(session: Session, *, fiscal_year: int, years: int = 10, convention: str = "fiscal-year") -> dict[str, Any]:
    """The aging ratio over the ``years`` fiscal years after ``fiscal_year``: planned work against doing nothing."""
    data = service.kpi_data(session)
    _check(data, None, fiscal_year)
    if not 1 <= years <= 50:
        raise ValidationError(f"years must be from 1 to 50, got {years}")
    return aging_whatif(data, fiscal_year=fiscal_year, years=years, convention=convention).as_dict()


def renewal(session: Session, *, start: int | None = None, years: int = 40) -> dict[str, Any]:
    """The renewal-cost projection of ``fm renewal`` with the packaged unit costs (default start: next FY)."""
    first = start or fiscal_year_of(date.today()) + 1
    return service.renewal_projection(session, start=first, years=years, unit_costs=load_unit_costs())
