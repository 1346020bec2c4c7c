"""The asset register in SQL: filter, count, sort and page the assets where they are stored.

The register must stay fast at 100,000 assets, so nothing here loads the whole table:
the database filters (every value a bound parameter), counts, sorts and cuts the page.
Ties are broken by ``code`` (unique), so paging is stable and covers every row once.

Two columns are derived, with the same rules as the rest of fm:

- ``risk_class`` / ``risk_score``: the asset's row in the latest risk run
  (:func:`fm.io.risk.latest_run`); no row means ``unscored``.
- ``plan_status``: ``adopted``, ``needed`` or ``not_needed`` at the end of a fiscal year,
  by the definition of the plan-coverage indicator (:func:`fm.kpi.measures.plan_coverage`)
  that the plans map uses too: an asset needing a plan and held at the year's end is
  ``adopted`` when a plan adopted by then, whose period has not ended before the year,
  covers it, else ``needed``; every other asset is ``not_needed``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from fm.fiscal import fiscal_year_end
from fm.model import Asset, AssetCategory, IndividualPlan, PlanAsset, RiskScore

UNSCORED = "unscored"
STATUS_ORDER = ("in_service", "closed", "disposed")
PLAN_ORDER = ("needed", "adopted", "not_needed")  # what needs attention first, as on the plans map
COLUMNS = ("code", "name", "category", "district", "status", "year_built", "risk", "plan_status")
ORDERS = ("asc", "desc")


@dataclass(frozen=True)
class RegisterFilter:
    """What the register keeps: each field None for no restriction, else the values allowed.

    ``search`` is a substring of the code or the name (any case); ``risk_classes`` may hold
    ``"unscored"``; ``plan_statuses`` are keys of :data:`PLAN_ORDER`.
    """

    search: str | None = None
    categories: tuple[str, ...] | None = None
    districts: tuple[int, ...] | None = None
    statuses: tuple[str, ...] | None = None
    risk_classes: tuple[str, ...] | None = None
    plan_statuses: tuple[str, ...] | None = None


def plan_status(fiscal_year: int) -> sa.ColumnElement[str]:
    """SQL for an asset's plan status at the end of ``fiscal_year`` (see the module docstring)."""
    end = fiscal_year_end(fiscal_year)
    assets, plans, links = Asset.__table__, IndividualPlan.__table__, PlanAsset.__table__
    held = sa.and_(sa.or_(assets.c.acquisition_date.is_(None), assets.c.acquisition_date <= end),
                   sa.or_(assets.c.disposed_on.is_(None), assets.c.disposed_on > end))
    covered = sa.exists(
        sa.select(links.c.plan_id).join(plans, plans.c.id == links.c.plan_id).where(
            links.c.asset_id == assets.c.id, plans.c.adopted_on.is_not(None), plans.c.adopted_on <= end,
            sa.or_(plans.c.period_end_fy.is_(None), plans.c.period_end_fy >= fiscal_year)))
    needs = sa.and_(assets.c.needs_individual_plan == sa.true(), held)
    return sa.case((sa.and_(needs, covered), "adopted"), (needs, "needed"), else_="not_needed")


def _scores(run_id: int | None) -> sa.FromClause:
    """The latest run's scores (an empty selection when nothing was scored)."""
    scores = RiskScore.__table__
    return sa.select(scores.c.asset_id, scores.c.risk_class, scores.c.score).where(
        scores.c.run_id == (run_id if run_id is not None else -1)).subquery("risk")


def _conditions(found: RegisterFilter, risk: sa.FromClause, plan: sa.ColumnElement[str]) -> list:
    assets = Asset.__table__
    where = []
    if found.search:
        where.append(sa.or_(assets.c.code.icontains(found.search, autoescape=True),
                            assets.c.name.icontains(found.search, autoescape=True)))
    if found.categories is not None:
        where.append(assets.c.category.in_(found.categories))
    if found.districts is not None:
        where.append(assets.c.district_id.in_(found.districts))
    if found.statuses is not None:
        where.append(assets.c.status.in_(found.statuses))
    if found.risk_classes is not None:
        classes = [c for c in found.risk_classes if c != UNSCORED]
        either = [risk.c.risk_class.in_(classes)] if classes else []
        if UNSCORED in found.risk_classes:
            either.append(risk.c.asset_id.is_(None))
        where.append(sa.or_(*either))
    if found.plan_statuses is not None:
        where.append(plan.in_(found.plan_statuses))
    return where


def _needs_risk(found: RegisterFilter, sort: str | None = None) -> bool:
    return found.risk_classes is not None or sort == "risk"


def count(session: Session, found: RegisterFilter, *, run_id: int | None, fiscal_year: int) -> int:
    """How many assets ``found`` keeps."""
    assets = Asset.__table__
    risk = _scores(run_id)
    source = assets.outerjoin(risk, risk.c.asset_id == assets.c.id) if _needs_risk(found) else assets
    query = sa.select(sa.func.count()).select_from(source).where(
        *_conditions(found, risk, plan_status(fiscal_year)))
    return int(session.execute(query).scalar_one())


def _order(sort: str, order: str, risk: sa.FromClause, plan: sa.ColumnElement[str]) -> list:
    assets, categories = Asset.__table__, AssetCategory.__table__
    keys = {
        "code": [assets.c.code],
        "name": [assets.c.name],
        "category": [sa.select(categories.c.sort_order).where(categories.c.code == assets.c.category)
                     .scalar_subquery(), assets.c.category],
        "district": [assets.c.district_id],
        "status": [sa.case({s: i for i, s in enumerate(STATUS_ORDER)}, value=assets.c.status)],
        "year_built": [assets.c.year_built],
        "risk": [risk.c.score],
        "plan_status": [sa.case({s: i for i, s in enumerate(PLAN_ORDER)}, value=plan)],
    }
    if sort not in keys:
        raise ValueError(f"sort must be one of {', '.join(keys)}, got {sort!r}")
    if order not in ORDERS:
        raise ValueError(f"order must be asc or desc, got {order!r}")
    direction = sa.asc if order == "asc" else sa.desc
    ordered = [direction(key).nulls_last() for key in keys[sort]]
    return ordered + ([] if sort == "code" else [assets.c.code])


def read(session: Session, found: RegisterFilter, *, run_id: int | None, fiscal_year: int, sort: str = "code",
         order: str = "asc", offset: int = 0, limit: int | None = None) -> pd.DataFrame:
    """The assets ``found`` keeps, sorted by ``sort`` (one of :data:`COLUMNS`; ``risk`` is the score,
    missing last either way) then code, from row ``offset`` (0-based), ``limit`` rows at most.

    Columns: id, code, name, category, district_id, status, year_built, risk_class, risk_score,
    plan_status (``risk_class`` is ``"unscored"`` where the latest run has no row).
    """
    assets = Asset.__table__
    risk = _scores(run_id)
    plan = plan_status(fiscal_year)
    query = (sa.select(assets.c.id, assets.c.code, assets.c.name, assets.c.category, assets.c.district_id,
                       assets.c.status, assets.c.year_built,
                       sa.func.coalesce(risk.c.risk_class, UNSCORED).label("risk_class"),
                       risk.c.score.label("risk_score"), plan.label("plan_status"))
             .select_from(assets.outerjoin(risk, risk.c.asset_id == assets.c.id))
             .where(*_conditions(found, risk, plan))
             .order_by(*_order(sort, order, risk, plan)).offset(offset))
    if limit is not None:
        query = query.limit(limit)
    result = session.execute(query)
    frame = pd.DataFrame(result.all(), columns=list(result.keys()))
    for column in ("district_id", "year_built"):
        frame[column] = frame[column].astype("Int64")
    frame["risk_score"] = frame["risk_score"].astype("float64")
    return frame
