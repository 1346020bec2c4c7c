"""Use cases of the indicators: `fm kpi`, `fm targets`, `/api/kpi…` and the finance page's targets."""

from __future__ import annotations

import functools
import math
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from fm.accounts import audit
from fm.app.snapshots import snapshot, snapshotted
from fm.domain.duties import load_settings as load_duty_settings
from fm.domain.kpi import INDICATORS, KpiData, available_years, measure, summary
from fm.domain.risk.config import load_config as load_risk_config
from fm.errors import ValidationError
from fm.io import store
from fm.model import Asset, IndicatorTarget


def kpi_data(session: Session) -> KpiData:
    """The records the indicators read; kept until a write (:func:`fm.app.snapshots.snapshot`), so that the landing
    page, the dashboard and the indicators' pages computed at once (``fm serve``'s start, or after a write) read
    them once between them, not once each."""
    return snapshot(session, "kpi.kpi_data", _read_kpi_data)


def _read_kpi_data(session: Session) -> KpiData:
    read = functools.partial(store.read_table, session)
    # no indicator reads an asset's geometry: decoding 100,000 of them took a third of the reading
    asset_columns = [column.name for column in Asset.__table__.columns if column.name != "geom"]
    return KpiData(
        assets=read("assets", asset_columns),
        categories=read("asset_categories"),
        plans=read("individual_plans"),
        plan_assets=read("plan_assets"),
        budget_items=read("plan_budget_items"),
        parcels=read("land_parcels"),
        parcel_uses=read("parcel_uses"),
        work_orders=read("work_orders"),
        inspections=read("inspections"),
        restrictions=read("traffic_restrictions"),
        duty_settings=load_duty_settings(),
        inspection_cycle=load_risk_config().cycle,
    )


@snapshotted
def kpi_report(session: Session, *, fiscal_year: int | None = None, convention: str = "fiscal-year") -> dict[str, Any]:
    """Every indicator for ``fiscal_year`` (default: every year with data), with targets and trend."""
    data = kpi_data(session)
    years = available_years(data) if fiscal_year is None else [fiscal_year]
    rows = summary(data, store.read_table(session, "indicator_targets"), years=years, convention=convention)
    return {"fiscal_years": years, "indicators": rows}


@snapshotted
def kpi_years(session: Session) -> list[int]:
    """The fiscal years with recorded activity (:func:`fm.domain.kpi.available_years`), read from two tables."""
    empty = pd.DataFrame()
    data = KpiData(
        assets=empty,
        categories=empty,
        plans=empty,
        plan_assets=empty,
        budget_items=store.read_table(session, "plan_budget_items", ("id", "fiscal_year")),
        parcels=empty,
        parcel_uses=empty,
        work_orders=store.read_table(session, "work_orders", ("id", "status", "completed_on")),
    )
    return available_years(data)


@snapshotted
def kpi_records(session: Session, indicator: str, *, fiscal_year: int, convention: str = "fiscal-year") -> pd.DataFrame:
    """The records ``indicator`` counted in ``fiscal_year``: the drill-down behind a figure."""
    if indicator not in INDICATORS:
        raise ValidationError(f"unknown indicator {indicator!r}; choose from {', '.join(INDICATORS)}")
    options = {"convention": convention} if indicator == "aging_ratio" else {}
    return measure(indicator, kpi_data(session), fiscal_year=fiscal_year, **options).records


def targets(session: Session) -> pd.DataFrame:
    """The indicator targets, as stored."""
    return store.read_table(session, "indicator_targets")


def set_target(
    session: Session,
    indicator: str,
    *,
    fiscal_year: int,
    value: float | None,
    source: str | None = None,
    actor: str,
    via: str = "cli",
) -> None:
    """Set (or with ``value=None`` remove) the target of ``indicator`` for ``fiscal_year``; audited."""
    if indicator not in INDICATORS:
        raise ValidationError(f"unknown indicator {indicator!r}; choose from {', '.join(INDICATORS)}")
    if value is not None and not math.isfinite(value):
        raise ValidationError(f"target of {indicator} for FY{fiscal_year}: {value} is not a finite number")
    if value is not None and value < 0:
        raise ValidationError(f"target of {indicator} for FY{fiscal_year}: {value} is negative")
    old = session.scalar(
        sa.select(IndicatorTarget).where(
            IndicatorTarget.indicator == indicator, IndicatorTarget.target_year == fiscal_year
        )
    )
    before = {"target_value": old.target_value, "source": old.source} if old else {}
    if old is not None:
        session.delete(old)
        session.flush()
    if value is not None:
        session.add(IndicatorTarget(indicator=indicator, target_year=fiscal_year, target_value=value, source=source))
    after = {"target_value": value, "source": source} if value is not None else {k: None for k in before}
    audit.record(
        session,
        actor=actor,
        source=via,
        action="update" if old and value is not None else "create" if value is not None else "delete",
        table="indicator_targets",
        code=f"{indicator} FY{fiscal_year}",
        changes=audit.diff(before, after),
    )
