"""Use cases: load records through fm.io, call the domain functions, return plain data.

The web views, the JSON API and the CLI call these and nothing deeper, so the three
always give the same answer.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from fm.demo import load as demo_load
from fm.demo.dataset import demo_folder
from fm.errors import ValidationError
from fm.io import store
from fm.kpi import INDICATORS, KpiData, available_years, measure, summary
from fm.model import IndicatorTarget
from fm.stats import asset_counts


def asset_stats(session: Session) -> dict[str, Any]:
    """Counts of held assets by category, district, group and status (see :func:`fm.stats.asset_counts`)."""
    assets = store.read_assets(session, columns=("category", "district_id", "status"))
    return asset_counts(assets, store.read_categories(session), store.read_districts(session))


def load_demo(session: Session, *, reset: bool = False, folder: Path | None = None) -> dict[str, int]:
    """Load the Kamakura demo register (see :func:`fm.demo.load.load`); empty dict when already loaded."""
    return demo_load.load(session, folder or demo_folder(), reset=reset)


def kpi_data(session: Session) -> KpiData:
    """The records the indicators read."""
    read = functools.partial(store.read_table, session)
    return KpiData(assets=read("assets"), categories=read("asset_categories"), plans=read("individual_plans"),
                   plan_assets=read("plan_assets"), budget_items=read("plan_budget_items"),
                   parcels=read("land_parcels"), parcel_uses=read("parcel_uses"), work_orders=read("work_orders"))


def kpi_report(session: Session, *, fiscal_year: int | None = None, convention: str = "fiscal-year") -> dict[str, Any]:
    """Every indicator for ``fiscal_year`` (default: every year with data), with targets and trend."""
    data = kpi_data(session)
    years = available_years(data) if fiscal_year is None else [fiscal_year]
    rows = summary(data, store.read_table(session, "indicator_targets"), years=years, convention=convention)
    return {"fiscal_years": years, "indicators": rows}


def kpi_records(session: Session, indicator: str, *, fiscal_year: int,
                convention: str = "fiscal-year") -> pd.DataFrame:
    """The records ``indicator`` counted in ``fiscal_year``: the drill-down behind a figure."""
    if indicator not in INDICATORS:
        raise ValidationError(f"unknown indicator {indicator!r}; choose from {', '.join(INDICATORS)}")
    options = {"convention": convention} if indicator == "aging_ratio" else {}
    return measure(indicator, kpi_data(session), fiscal_year=fiscal_year, **options).records


def targets(session: Session) -> pd.DataFrame:
    """The indicator targets, as stored."""
    return store.read_table(session, "indicator_targets")


def set_target(session: Session, indicator: str, *, fiscal_year: int, value: float | None,
               source: str | None = None) -> None:
    """Set (or with ``value=None`` remove) the target of ``indicator`` for ``fiscal_year``."""
    if indicator not in INDICATORS:
        raise ValidationError(f"unknown indicator {indicator!r}; choose from {', '.join(INDICATORS)}")
    if value is not None and value < 0:
        raise ValidationError(f"target of {indicator} for FY{fiscal_year}: {value} is negative")
    session.execute(sa.delete(IndicatorTarget).where(IndicatorTarget.indicator == indicator,
                                                     IndicatorTarget.target_year == fiscal_year))
    if value is not None:
        session.add(IndicatorTarget(indicator=indicator, target_year=fiscal_year, target_value=value,
                                    source=source))
