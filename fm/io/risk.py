"""Risk runs to and from the database, in bulk: binary COPY on PostgreSQL, executemany on SQLite."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from fm.io import store
from fm.model import RiskRun, RiskScore

# Score columns taken as they are from fm.domain.risk.score.score_risk, and their PostgreSQL binary types.
FROM_SCORES = {
    "probability": "float8",
    "consequence": "float8",
    "score": "float8",
    "risk_class": "text",
    "likelihood_class": "int2",
    "consequence_class": "int2",
    "state": "int2",
    "inspected_on": "date",
    "years_since": "float8",
    "p_condition": "float8",
    "p_age": "float8",
    "age": "float8",
    "life": "float8",
    "remaining_years": "float8",
    "c_category": "float8",
    "c_users": "float8",
    "c_replacement_cost": "float8",
    "c_evacuation_shelter": "float8",
    "c_emergency_road": "float8",
    "c_railway": "float8",
    "c_district_population": "float8",
}
COLUMNS = ["run_id", "asset_id", *FROM_SCORES]
TYPES = ["int4", "int4", *FROM_SCORES.values()]


def write_run(
    session: Session, scores: pd.DataFrame, *, computed_on: date, config: dict[str, Any], model: dict[str, Any]
) -> int:
    """Replace the run of ``computed_on`` with these scores; return the new run's id."""
    session.execute(sa.delete(RiskRun).where(RiskRun.computed_on == computed_on))
    run = RiskRun(computed_on=computed_on, config=config, model=model)
    session.add(run)
    session.flush()
    postgresql = session.get_bind().dialect.name == "postgresql"
    as_date = (lambda d: d) if postgresql else (lambda d: d.isoformat())  # sqlite3 stores ISO text
    columns = [np.full(len(scores), run.id).tolist(), scores["id"].astype(int).tolist()]
    for name in FROM_SCORES:
        values = scores[name]
        if name == "inspected_on":
            values = pd.to_datetime(values).dt.date.map(as_date, na_action="ignore")
        elif name in ("state", "likelihood_class", "consequence_class"):
            values = values.astype("Int64")
        missing = values.isna().to_numpy()
        listed = values.astype(object).tolist() if missing.any() else values.tolist()
        if missing.any():
            for index in np.flatnonzero(missing):
                listed[index] = None
        columns.append(listed)
    rows = zip(*columns, strict=True)
    cursor = session.connection().connection.driver_connection.cursor()
    if postgresql:
        with cursor.copy(f"COPY risk_scores ({', '.join(COLUMNS)}) FROM STDIN WITH (FORMAT binary)") as copy:
            copy.set_types(TYPES)
            for row in rows:
                copy.write_row(row)
    else:
        cursor.executemany(
            f"INSERT INTO risk_scores ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})", rows
        )
    return run.id


KEPT_RUNS = 10
"""How many of the latest runs :func:`kept_fit` looks through."""


def kept_fit(session: Session, key: str) -> dict[str, Any] | None:
    """The deterioration models stored with one of the latest runs (``model["_fit"]``) whose fit key is
    ``key`` (see :func:`fm.domain.risk.deterioration.fit_key`), or None."""
    query = sa.select(RiskRun.model).order_by(RiskRun.computed_at.desc(), RiskRun.id.desc()).limit(KEPT_RUNS)
    for model in session.scalars(query):
        kept = (model or {}).get("_fit") if isinstance(model, dict) else None
        if kept and kept.get("key") == key:
            return kept["models"]
    return None


def latest_run(session: Session) -> RiskRun | None:
    """The run computed last (not the one for the latest day: a what-if run for a future day must not
    hide later runs)."""
    return session.scalars(sa.select(RiskRun).order_by(RiskRun.computed_at.desc(), RiskRun.id.desc()).limit(1)).first()


CARD_SCORES = ("risk_class", "score", "state", "c_emergency_road", "c_railway", "c_evacuation_shelter", "p_age")
"""What a card shows of a score, and the components its reasons are made of (fm.domain.risk.explain)."""


def read_card_scores(session: Session, *, asset_ids: Sequence[int] | None = None) -> pd.DataFrame:
    """The latest run's :data:`CARD_SCORES` of each asset it scored (``asset_ids`` only, if given), with id,
    ``inspected_on`` as ISO text and the asset's annual_users; empty without a run.

    Only what a map's cards need, read as plain rows (the dates as the text they print as), so a map of
    100,000 assets reads them in a fraction of :func:`read_latest`'s time."""
    run = latest_run(session)
    scores = RiskScore.__table__
    assets = sa.table("assets", sa.column("id", sa.Integer), sa.column("annual_users", sa.Float))
    query = (
        sa.select(
            scores.c.asset_id.label("id"),
            *(scores.c[name] for name in CARD_SCORES),
            sa.cast(scores.c.inspected_on, sa.String).label("inspected_on"),
            assets.c.annual_users,
        )
        .join(assets, assets.c.id == scores.c.asset_id)
        .where(scores.c.run_id == (run.id if run else None))
        .order_by(scores.c.asset_id)
    )
    if asset_ids is not None:
        query = query.where(scores.c.asset_id.in_([int(i) for i in asset_ids]))
    return store.read_query(session, query)


def read_latest(
    session: Session, *, asset_ids: Sequence[int] | None = None, limit: int | None = None
) -> tuple[RiskRun | None, pd.DataFrame]:
    """The latest run (:func:`latest_run`) and its scores (of ``asset_ids`` only, if given; the ``limit``
    worst only, if given) with the asset's code, name and category, worst first."""
    run = latest_run(session)
    if run is None:
        return None, pd.DataFrame()
    scores = RiskScore.__table__
    assets = sa.table(
        "assets",
        sa.column("id"),
        sa.column("code"),
        sa.column("name"),
        sa.column("category"),
        sa.column("district_id"),
        sa.column("annual_users"),
    )
    query = (
        sa.select(
            assets.c.id,
            assets.c.code,
            assets.c.name,
            assets.c.category,
            assets.c.district_id,
            assets.c.annual_users,
            *(scores.c[name] for name in FROM_SCORES),
        )
        .join(scores, scores.c.asset_id == assets.c.id)
        .where(scores.c.run_id == run.id)
        .order_by(scores.c.score.desc(), assets.c.code)
    )
    if asset_ids is not None:
        query = query.where(scores.c.asset_id.in_([int(i) for i in asset_ids]))
    if limit is not None:
        query = query.limit(limit)
    result = session.execute(query)
    # Plain tuples: pandas probing each SQLAlchemy Row as a mapping costs more than the fetch itself.
    return run, pd.DataFrame([tuple(row) for row in result.all()], columns=list(result.keys()))
