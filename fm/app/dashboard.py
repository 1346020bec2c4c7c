"""Use cases of the indicator dashboard: the same seam as the other use cases, for the dashboard's data.

Every figure comes from :func:`fm.domain.kpi.summary` (what ``fm kpi`` prints) or from the
measures that summary is built on, so a card, a chart, a list and ``fm kpi`` never
disagree. Views, the JSON API and the CLI call these functions and nothing deeper; a
page's function reads the records once (:class:`Records`) and builds everything from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from fm.app import kpi
from fm.app.renewal import city_unit_costs, renewal_projection
from fm.app.snapshots import snapshot, snapshotted
from fm.domain.fiscal import fiscal_year as fiscal_year_of
from fm.domain.kpi import INDICATORS, KpiData, available_years, measure, summary
from fm.domain.kpi.breakdown import (
    DIMENSIONS,
    RATIOS,
    attributed,
    breakdown,
    plain_number,
)
from fm.domain.kpi.drilldown import COLUMNS as COLUMNS
from fm.domain.kpi.drilldown import (
    LINKS,
    PageOutOfRange,
    filtered,
    ordered,
    shown,
    sorted_page,
    with_district_names,
)
from fm.domain.kpi.measures import published
from fm.domain.kpi.published import load_published
from fm.domain.kpi.whatif import aging_whatif
from fm.errors import NotFound, ValidationError
from fm.io import store
from fm.serialize import records


@dataclass(frozen=True)
class Records:
    """What the dashboard reads, loaded once per use: the indicators' records, targets, names."""

    data: KpiData
    targets: pd.DataFrame
    categories: pd.DataFrame
    districts: pd.DataFrame

    @classmethod
    def load(cls, session: Session) -> Records:
        """Read every table the dashboard needs."""
        return cls(
            kpi.kpi_data(session),
            kpi.targets(session),
            store.read_categories(session),
            store.read_table(session, "districts", ("id", "name", "name_en")),
        )

    @property
    def years(self) -> list[int]:
        """The fiscal years with recorded activity (those ``fm kpi`` lists)."""
        return available_years(self.data)

    def check(self, indicator: str | None, fiscal_year: int) -> None:
        """Raise NotFound for an unknown indicator or a fiscal year with no data."""
        if indicator is not None and indicator not in INDICATORS:
            raise NotFound(f"unknown indicator {indicator!r}; choose from {', '.join(INDICATORS)}")
        years = self.years
        if fiscal_year not in years:
            known = f"{years[0]}–{years[-1]}" if years else "none: load records first (fm demo)"
            raise NotFound(f"no data for fiscal year {fiscal_year}; years with data: {known}")

    def labels(self, by: str) -> pd.DataFrame:
        """Keys and names of a breakdown's groups, in display order (none for departments and plans)."""
        if by == "category":
            return self.categories.rename(columns={"code": "key"})[["key", "name", "name_en"]]
        if by == "district":
            return self.districts.rename(columns={"id": "key"})
        return pd.DataFrame(columns=["key", "name", "name_en"])


def _measure(data: KpiData, indicator: str, fiscal_year: int, convention: str):
    options = {"convention": convention} if indicator == "aging_ratio" else {}
    return measure(indicator, data, fiscal_year=fiscal_year, **options)


def _trends(session: Session, loaded: Records, convention: str) -> dict[str, Any]:
    """Every indicator in every year (the dearest part of the dashboard and of each indicator's page), kept until a
    write: the pages computed at once share it."""
    return snapshot(session, "dashboard.trends", lambda own: _compute_trends(loaded, convention), convention)


def _compute_trends(loaded: Records, convention: str) -> dict[str, Any]:
    years = loaded.years
    rows = summary(loaded.data, loaded.targets, years=years, convention=convention)
    published = load_published()
    trends = []
    for key, indicator in INDICATORS.items():
        mine = [row for row in rows if row["indicator"] == key]
        trends.append(
            {
                "indicator": key,
                "name": indicator.name,
                "name_en": indicator.name_en,
                "unit": indicator.unit,
                "decimals": indicator.decimals,
                "direction": indicator.direction,
                "series": [
                    {k: row[k] for k in ("fiscal_year", "value", "numerator", "denominator", "on_track")}
                    for row in mine
                ],
                "target": mine[-1]["target"] if mine else None,
                "published": published.get(key),
            }
        )
    return {"fiscal_years": years, "indicators": trends, "rows": rows}


@snapshotted
def kpi_trends(session: Session, *, convention: str = "fiscal-year") -> dict[str, Any]:
    """Per indicator, its value in every fiscal year with data, its latest target and its published figure.

    The values are those of ``fm kpi --format json`` (every year); nothing is recomputed.
    """
    trends = _trends(session, Records.load(session), convention)
    return {"fiscal_years": trends["fiscal_years"], "indicators": trends["indicators"]}


def _breakdown(loaded: Records, indicator: str, fiscal_year: int, by: str, convention: str) -> dict[str, Any]:
    if by not in DIMENSIONS[indicator]:
        raise ValidationError(f"by must be {' or '.join(DIMENSIONS[indicator])} for {indicator}, got {by!r}")
    result = _measure(loaded.data, indicator, fiscal_year, convention)
    groups = breakdown(attributed(result, loaded.data), indicator, by, loaded.labels(by))
    return {
        "indicator": indicator,
        "fiscal_year": fiscal_year,
        "by": by,
        "value": result.rounded(),
        "numerator": result.numerator,
        "denominator": result.denominator,
        "groups": groups,
    }


@snapshotted
def kpi_breakdown(
    session: Session, indicator: str, *, fiscal_year: int, by: str, convention: str = "fiscal-year"
) -> dict[str, Any]:
    """The indicator in ``fiscal_year`` per group of ``by`` (see :data:`fm.domain.kpi.breakdown.DIMENSIONS`)."""
    loaded = Records.load(session)
    loaded.check(indicator, fiscal_year)
    return _breakdown(loaded, indicator, fiscal_year, by, convention)


def _list_frame(
    loaded: Records, indicator: str, fiscal_year: int, groups: dict[str, str], convention: str
) -> pd.DataFrame:
    frame = with_district_names(
        attributed(_measure(loaded.data, indicator, fiscal_year, convention), loaded.data), loaded.districts
    )
    try:
        return filtered(frame, indicator, groups)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


def _list(
    loaded: Records,
    indicator: str,
    fiscal_year: int,
    groups: dict[str, str],
    sort: str | None,
    order: str | None,
    page: int,
    per_page: int,
    convention: str,
) -> dict[str, Any]:
    frame = _list_frame(loaded, indicator, fiscal_year, groups, convention)
    try:
        cut = sorted_page(frame, indicator, sort=sort, order=order, page=page, per_page=per_page)
    except PageOutOfRange as exc:
        raise NotFound(str(exc)) from None
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    link = LINKS[indicator]
    return {
        "indicator": indicator,
        "fiscal_year": fiscal_year,
        "groups": groups,
        "records": cut.records,
        "page": cut.page,
        "pages": cut.pages,
        "per_page": cut.per_page,
        "sort": cut.sort,
        "order": cut.order,
        "numerator": plain_number(cut.numerator),
        "denominator": plain_number(cut.denominator) if indicator in RATIOS else None,
        "value": published(
            cut.value, cut.numerator, cut.denominator if indicator in RATIOS else None, INDICATORS[indicator].decimals
        ),
        "link": None if link is None else {"page": link[0], "column": link[1]},
        "rows": records(cut.rows),
    }


@snapshotted
def kpi_list(
    session: Session,
    indicator: str,
    *,
    fiscal_year: int,
    groups: dict[str, str] | None = None,
    sort: str | None = None,
    order: str | None = None,
    page: int = 1,
    per_page: int = 50,
    convention: str = "fiscal-year",
) -> dict[str, Any]:
    """One page of the records behind ``indicator`` in ``fiscal_year`` (optionally of some groups only).

    The totals (``numerator``, ``denominator``, ``value``) are those of the whole filtered
    list; unfiltered, they are the indicator's own. ``link`` says which page a row's code
    opens (``asset``, the page ``/assets/<code>``) and which column holds the code; it is
    None for lists whose rows have no page (underused land, plan budget items).
    """
    loaded = Records.load(session)
    loaded.check(indicator, fiscal_year)
    return _list(loaded, indicator, fiscal_year, groups or {}, sort, order, page, per_page, convention)


@snapshotted
def kpi_list_export(
    session: Session,
    indicator: str,
    *,
    fiscal_year: int,
    groups: dict[str, str] | None = None,
    sort: str | None = None,
    order: str | None = None,
    convention: str = "fiscal-year",
) -> pd.DataFrame:
    """Every row of the list (all pages), in the list's order: what CSV and Excel exports hold."""
    loaded = Records.load(session)
    loaded.check(indicator, fiscal_year)
    frame = _list_frame(loaded, indicator, fiscal_year, groups or {}, convention)
    try:
        result, _, _ = ordered(frame, indicator, sort=sort, order=order)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    return shown(result, indicator)


def _whatif(loaded: Records, fiscal_year: int, years: int, convention: str) -> dict[str, Any]:
    if not 1 <= years <= 50:
        raise ValidationError(f"years must be from 1 to 50, got {years}")
    return aging_whatif(loaded.data, fiscal_year=fiscal_year, years=years, convention=convention).as_dict()


@snapshotted
def whatif(session: Session, *, fiscal_year: int, years: int = 10, convention: str = "fiscal-year") -> dict[str, Any]:
    """The aging ratio over the ``years`` fiscal years after ``fiscal_year``: planned work against doing nothing."""
    loaded = Records.load(session)
    loaded.check(None, fiscal_year)
    return _whatif(loaded, fiscal_year, years, convention)


@snapshotted
def renewal(session: Session, *, start: int | None = None, years: int = 40) -> dict[str, Any]:
    """The renewal-cost projection of ``fm renewal`` with the packaged unit costs (default start: next FY)."""
    first = start or fiscal_year_of(date.today()) + 1
    return renewal_projection(session, start=first, years=years, unit_costs=city_unit_costs(session))


def _year(loaded: Records, fiscal_year: int | None) -> int | None:
    """The fiscal year asked for (checked), else the latest with data (None when there is none)."""
    if fiscal_year is not None:
        loaded.check(None, fiscal_year)
        return fiscal_year
    return loaded.years[-1] if loaded.years else None


@snapshotted(refresh=True)
def overview(session: Session, *, fiscal_year: int | None = None, convention: str = "fiscal-year") -> dict[str, Any]:
    """The dashboard page: cards of ``fiscal_year`` (default the latest), trends, the aging ratio by
    category, the what-if over the next 10 years and the renewal projection."""
    loaded = Records.load(session)
    year = _year(loaded, fiscal_year)
    if year is None:
        return {"years": [], "year": None}
    trends = _trends(session, loaded, convention)
    return {
        "years": loaded.years,
        "year": year,
        "cards": [row for row in trends["rows"] if row["fiscal_year"] == year],
        "trends": trends["indicators"],
        "aging": _breakdown(loaded, "aging_ratio", year, "category", convention),
        "whatif": _whatif(loaded, year, 10, convention),
        "renewal": renewal(session),
    }


@snapshotted(refresh=True)
def indicator_detail(
    session: Session,
    indicator: str,
    *,
    fiscal_year: int | None = None,
    groups: dict[str, str] | None = None,
    sort: str | None = None,
    order: str | None = None,
    page: int = 1,
    per_page: int = 50,
    convention: str = "fiscal-year",
) -> dict[str, Any]:
    """One indicator's page: its card, trend, every breakdown and one page of its records."""
    loaded = Records.load(session)
    year = _year(loaded, fiscal_year)
    if year is None:
        raise NotFound("no fiscal year has data yet: load records first (fm demo)")
    loaded.check(indicator, year)
    trends = _trends(session, loaded, convention)
    return {
        "years": loaded.years,
        "year": year,
        "card": next(r for r in trends["rows"] if r["fiscal_year"] == year and r["indicator"] == indicator),
        "trend": next(t for t in trends["indicators"] if t["indicator"] == indicator),
        "breakdowns": [_breakdown(loaded, indicator, year, by, convention) for by in DIMENSIONS[indicator]],
        "list": _list(loaded, indicator, year, groups or {}, sort, order, page, per_page, convention),
        "categories": {row.code: {"name": row.name, "name_en": row.name_en} for row in loaded.categories.itertuples()},
    }


@snapshotted
def yearly_report(
    session: Session, *, fiscal_year: int | None = None, convention: str = "fiscal-year"
) -> dict[str, Any]:
    """What the one-page yearly report of ``fiscal_year`` (default the latest) shows: the cards and
    trends, the what-if and the renewal projection."""
    loaded = Records.load(session)
    year = _year(loaded, fiscal_year)
    if year is None:
        raise NotFound("no fiscal year has data yet: load records first (fm demo)")
    trends = _trends(session, loaded, convention)
    return {
        "year": year,
        "fiscal_years": trends["fiscal_years"],
        "cards": [row for row in trends["rows"] if row["fiscal_year"] == year],
        "trends": trends["indicators"],
        "whatif": _whatif(loaded, year, 10, convention),
        "renewal": renewal(session),
    }
