"""Use case of the home page: the register's counts, the latest year's indicators, the five worst risks."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from fm.app.kpi import kpi_report, kpi_years
from fm.app.risk import risk_ranking
from fm.app.snapshots import snapshotted
from fm.app.stats import asset_stats
from fm.errors import FmError


@snapshotted(refresh=True)
def home_page(session: Session, *, lang: str = "ja") -> dict[str, Any]:
    """``counts`` (see :func:`fm.app.stats.asset_stats`), ``indicators`` of the latest fiscal year with data, and
    ``risks``, the five worst scores (None before the first ``fm score``)."""
    counts = asset_stats(session)
    years = kpi_years(session) if counts["total"] else []
    indicators = kpi_report(session, fiscal_year=years[-1])["indicators"] if years else []
    try:
        risks = risk_ranking(session, top=5, lang=lang)
    except FmError:  # not scored yet
        risks = None
    return {"counts": counts, "indicators": indicators, "risks": risks}


def first_pages(session: Session) -> None:
    """Read (kept in the database: fm/app/stored_figures.py) or compute, and keep, the figures of the pages people
    open first (the home page in both languages, the dashboard of the latest year, the engineers' schedule), with
    the arguments the web app gives them, so that the first person after ``fm serve`` starts does not wait for them
    (``fm serve`` runs this in the background)."""
    from datetime import date

    from fm.app import dashboard, schedule
    from fm.domain.risk.config import load_config

    home_page(session, lang="ja")
    # the dashboard reads what the landing page read (kept: fm.app.kpi.kpi_data) and keeps every year's indicators,
    # which each indicator's page then shares; the English landing page differs only in the risks' names
    dashboard.overview(session, fiscal_year=None, convention="fiscal-year")
    home_page(session, lang="en")
    # the engineers' schedule's items and its rows by month and by week, as fm.web.schedule asks for them (a page of
    # one row: what is kept is the same whatever the page)
    for by in schedule.GROUPINGS:
        schedule.schedule(session, today=date.today(), filters=schedule.Filters(by=by), config=load_config(), size=1)
