"""The asset register in SQL: filter, count, sort and page the assets where they are stored.

The register must stay fast at 100,000 assets, so nothing here loads the whole table:
the database filters (every value a bound parameter), counts, sorts and cuts the page.
Ties are broken by ``code`` (unique), so paging is stable and covers every row once.

Two columns are derived, with the same rules as the rest of fm:

- ``risk_class`` / ``risk_score``: the asset's row in the latest risk run
  (:func:`fm.io.risk.latest_run`); no row means ``unscored``.
- ``plan_status``: ``adopted``, ``needed`` or ``not_needed`` at the end of a fiscal year,
  by the definition of the plan-coverage indicator (:func:`fm.domain.kpi.measures.plan_coverage`)
  that the plans map uses too: an asset needing a plan and held at the year's end is
  ``adopted`` when a plan adopted by then, whose period has not ended before the year,
  covers it, else ``needed``; every other asset is ``not_needed``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from fm.domain.fiscal import fiscal_year_end
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


def plan_status(fiscal_year: int, *, asset_ids: Sequence[int] | None = None) -> sa.ColumnElement[str]:
    """SQL for an asset's plan status at the end of ``fiscal_year`` (see the module docstring).

    The cover is a correlated ``EXISTS`` through the index on ``plan_assets.asset_id``:
    measured at 100,000 assets, cheaper than joining the covered assets found once (which
    SQLite materialises and indexes again for every query, 40 ms even for a page of 50).
    ``asset_ids``: the query reads only these assets (a page), so the cover looks at their links alone;
    otherwise PostgreSQL hashes every covered asset's link (47,000 at 100,000 assets, 10–20 ms of its CPU)
    to answer 50 rows.
    """
    end = fiscal_year_end(fiscal_year)
    assets, plans, links = Asset.__table__, IndividualPlan.__table__, PlanAsset.__table__
    held = sa.and_(
        sa.or_(assets.c.acquisition_date.is_(None), assets.c.acquisition_date <= end),
        sa.or_(assets.c.disposed_on.is_(None), assets.c.disposed_on > end),
    )
    covered = sa.exists(
        sa.select(links.c.plan_id)
        .join(plans, plans.c.id == links.c.plan_id)
        .where(
            links.c.asset_id == assets.c.id,
            *([] if asset_ids is None else [links.c.asset_id.in_(asset_ids)]),
            plans.c.adopted_on.is_not(None),
            plans.c.adopted_on <= end,
            sa.or_(plans.c.period_end_fy.is_(None), plans.c.period_end_fy >= fiscal_year),
        )
    )
    needs = sa.and_(assets.c.needs_individual_plan == sa.true(), held)
    return sa.case((sa.and_(needs, covered), "adopted"), (needs, "needed"), else_="not_needed")


def _source(risk: sa.FromClause | None) -> sa.FromClause:
    """``assets``, outer-joined to the latest run's scores when given."""
    assets = Asset.__table__
    return assets if risk is None else assets.outerjoin(risk, risk.c.asset_id == assets.c.id)


def _scores(run_id: int | None) -> sa.FromClause:
    """The latest run's scores (an empty selection when nothing was scored)."""
    scores = RiskScore.__table__
    return (
        sa.select(scores.c.asset_id, scores.c.risk_class, scores.c.score)
        .where(scores.c.run_id == (run_id if run_id is not None else -1))
        .subquery("risk")
    )


def _contains(column: sa.ColumnElement[str], text: str, dialect: str) -> sa.ColumnElement[bool]:
    """``column`` holds ``text``, in any case; ``%`` and ``_`` in ``text`` are letters, not wildcards.

    Measured over 100,000 assets, since no index serves an infix search and every row is read:

    - SQLite's LIKE already ignores the case of ASCII letters (and its ``lower()`` folds no
      other), so there it is a plain LIKE: half the time of ``lower(…) LIKE lower(…)``.
    - PostgreSQL: a text with no cased letter (Japanese, digits, a dash) matches the same in any
      case, so it is a plain LIKE (16 ms); otherwise ``lower(…) LIKE`` the lowered text (45 ms),
      twice as fast as ILIKE (95 ms).
    """
    if dialect == "sqlite" or text.lower() == text.upper():
        return column.contains(text, autoescape=True)
    return sa.func.lower(column).contains(text.lower(), autoescape=True)


def _conditions(found: RegisterFilter, risk: sa.FromClause, plan: sa.ColumnElement[str], dialect: str) -> list:
    assets = Asset.__table__
    where = []
    if found.search:
        # as typed, and in NFKC: a Japanese keyboard often gives full-width letters and digits
        # (ＢＲ－０００２) for codes stored in ASCII, while names keep their full-width brackets
        texts = dict.fromkeys([found.search, unicodedata.normalize("NFKC", found.search)])
        where.append(
            sa.or_(*(_contains(assets.c[column], text, dialect) for text in texts for column in ("code", "name")))
        )
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


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _needs_risk(found: RegisterFilter, sort: str | None = None) -> bool:
    return found.risk_classes is not None or sort == "risk"


def _without_jit(session: Session) -> None:
    """On PostgreSQL, no JIT compilation for the rest of this transaction.

    The plan status's subquery makes the planner's cost estimate of a register query look
    like a report's, so PostgreSQL spends 150–400 ms compiling it with LLVM, for a query that
    runs in tens of milliseconds (measured at 100,000 assets: a filter on the plan status took
    540 ms with JIT, 100 ms without).
    """
    if _dialect(session) == "postgresql":
        session.execute(sa.text("SET LOCAL jit = off"))


def count(session: Session, found: RegisterFilter, *, run_id: int | None, fiscal_year: int) -> int:
    """How many assets ``found`` keeps."""
    _without_jit(session)
    risk = _scores(run_id)
    query = (
        sa.select(sa.func.count())
        .select_from(_source(risk if _needs_risk(found) else None))
        .where(*_conditions(found, risk, plan_status(fiscal_year), _dialect(session)))
    )
    return int(session.execute(query).scalar_one())


def _order(sort: str, order: str, risk: sa.FromClause, plan: sa.ColumnElement[str]) -> list:
    assets, categories = Asset.__table__, AssetCategory.__table__
    keys = {
        "code": [assets.c.code],
        "name": [assets.c.name],
        "category": [
            sa.select(categories.c.sort_order).where(categories.c.code == assets.c.category).scalar_subquery(),
            assets.c.category,
        ],
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


def read(
    session: Session,
    found: RegisterFilter,
    *,
    run_id: int | None,
    fiscal_year: int,
    sort: str = "code",
    order: str = "asc",
    offset: int = 0,
    limit: int | None = None,
) -> pd.DataFrame:
    """The assets ``found`` keeps, sorted by ``sort`` (one of :data:`COLUMNS`; ``risk`` is the score,
    missing last either way) then code, from row ``offset`` (0-based), ``limit`` rows at most.

    Columns: id, code, name, category, district_id, status, year_built, risk_class, risk_score,
    plan_status (``risk_class`` is ``"unscored"`` where the latest run has no row).

    With ``limit``, the page's ids are found first (joining the scores only when the filter or
    the sort needs them), then only those rows get their columns: a database computes a row's
    output (the plan status's subquery included) before sorting and skipping it, for every row
    before the page, 100,000 for the last; and in one query SQLite's planner read every asset in
    the sort's order to look the page up.
    """
    assets = Asset.__table__
    risk, plan, dialect = _scores(run_id), plan_status(fiscal_year), _dialect(session)
    _without_jit(session)
    if limit is None:
        return _frame(
            session,
            sa.select(*_columns(risk, plan))
            .select_from(_source(risk))
            .where(*_conditions(found, risk, plan, dialect))
            .order_by(*_order(sort, order, risk, plan)),
        )
    narrow = _source(risk if _needs_risk(found, sort) else None)
    ids = (
        session.execute(
            sa.select(assets.c.id)
            .select_from(narrow)
            .where(*_conditions(found, risk, plan, dialect))
            .order_by(*_order(sort, order, risk, plan))
            .offset(offset)
            .limit(limit)
        )
        .scalars()
        .all()
    )
    columns = _columns(risk, plan_status(fiscal_year, asset_ids=ids))
    rows = _frame(session, sa.select(*columns).select_from(_source(risk)).where(assets.c.id.in_(ids)))
    return rows.set_index("id", drop=False).loc[list(ids)].reset_index(drop=True)


def _columns(risk: sa.FromClause, plan: sa.ColumnElement[str]) -> tuple[sa.ColumnElement, ...]:
    """The columns :func:`read` returns."""
    assets = Asset.__table__
    return (
        assets.c.id,
        assets.c.code,
        assets.c.name,
        assets.c.category,
        assets.c.district_id,
        assets.c.status,
        assets.c.year_built,
        sa.func.coalesce(risk.c.risk_class, UNSCORED).label("risk_class"),
        risk.c.score.label("risk_score"),
        plan.label("plan_status"),
    )


def _frame(session: Session, query: sa.Select) -> pd.DataFrame:
    result = session.execute(query)
    # plain tuples: pandas probing SQLAlchemy's Row objects costs more than the fetch itself
    frame = pd.DataFrame([tuple(row) for row in result.fetchall()], columns=list(result.keys()))
    for column in ("district_id", "year_built"):
        frame[column] = frame[column].astype("Int64")
    frame["risk_score"] = frame["risk_score"].astype("float64")
    return frame
