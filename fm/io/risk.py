"""Risk runs to and from the database, in bulk: on PostgreSQL a binary COPY into the run's own partition,
attached once indexed; executemany on SQLite."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import closing
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from fm.io import store
from fm.io.bulk import copy_binary
from fm.model import Asset, AssetCategory, RiskRun, RiskScore, metadata

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
    """Replace the run of ``computed_on`` with these scores; return the new run's id.

    On PostgreSQL the scores go into a partition of their own (:func:`_write_partition`); on SQLite into
    the one table. Either way in the caller's transaction: readers see the old run or the new one."""
    if session.get_bind().dialect.name == "postgresql":
        return _write_partition(session, scores, computed_on=computed_on, config=config, model=model)
    session.execute(sa.delete(RiskRun).where(RiskRun.computed_on == computed_on))
    run = RiskRun(computed_on=computed_on, config=config, model=model)
    session.add(run)
    session.flush()
    columns = [np.full(len(scores), run.id).tolist(), scores["id"].astype(int).tolist()]
    for name in FROM_SCORES:
        values = scores[name]
        if name == "inspected_on":
            values = pd.to_datetime(values).dt.date.map(lambda d: d.isoformat(), na_action="ignore")  # ISO text
        elif name in ("state", "likelihood_class", "consequence_class"):
            values = values.astype("Int64")
        missing = values.isna().to_numpy()
        listed = values.astype(object).tolist() if missing.any() else values.tolist()
        if missing.any():
            for index in np.flatnonzero(missing):
                listed[index] = None
        columns.append(listed)
    with closing(session.connection().connection.driver_connection.cursor()) as cursor:
        cursor.executemany(
            f"INSERT INTO risk_scores ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
            zip(*columns, strict=True),
        )
    return run.id


PARTITION_INDEXES = {
    "asset_id": "asset_id",
    "map": "run_id, asset_id, risk_class, state",
    "ranking": "run_id, score",
}
"""The indexes of a run's partition: those of ``risk_scores`` (the model's), so that attaching adopts them."""


def partition_name(run_id: int) -> str:
    """The partition of ``risk_scores`` holding one run's scores on PostgreSQL."""
    return f"risk_scores_run_{int(run_id)}"


def _write_partition(
    session: Session, scores: pd.DataFrame, *, computed_on: date, config: dict[str, Any], model: dict[str, Any]
) -> int:
    """The run's rows copied (binary COPY, made by numpy) into a new table with no index and no foreign key,
    its key and indexes built once the rows are in, then attached as the run's partition: the foreign keys
    are checked there in one query each, and the table's indexes adopt the partition's, built already.

    Until the transaction commits nobody sees the new table, the new run or the attachment; attaching takes
    a lock that lets readers go on. Replacing a run of the same day drops its partition (a lock readers
    wait for, from there to the commit, a second or so) instead of deleting its rows one by one."""
    from psycopg.copy import QueuedLibpqWriter  # PostgreSQL only: SQLite never loads the driver

    connection = session.connection()
    run_id = int(connection.scalar(sa.text("SELECT nextval(pg_get_serial_sequence('risk_runs', 'id'))")))
    child = partition_name(run_id)
    frame = pd.DataFrame({"run_id": np.full(len(scores), run_id), "asset_id": scores["id"].astype("int64")})
    for name in FROM_SCORES:
        frame[name] = scores[name]
    with closing(connection.connection.driver_connection.cursor()) as cursor:
        cursor.execute(f"CREATE TABLE {child} (LIKE risk_scores INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
        cursor.execute(f"ALTER TABLE {child} ADD CONSTRAINT {child}_run CHECK (run_id = {run_id})")
        with cursor.copy(
            f"COPY {child} ({', '.join(COLUMNS)}) FROM STDIN WITH (FORMAT binary)", writer=QueuedLibpqWriter(cursor)
        ) as copy:
            for part in copy_binary(frame, TYPES):
                copy.write(part)
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        cursor.execute(f"ALTER TABLE {child} ADD CONSTRAINT {child}_pkey PRIMARY KEY (run_id, asset_id)")
        for suffix, columns in PARTITION_INDEXES.items():
            cursor.execute(f"CREATE INDEX {child}_{suffix} ON {child} ({columns})")
        replaced = connection.scalar(sa.select(RiskRun.id).where(RiskRun.computed_on == computed_on))
        if replaced is not None:
            cursor.execute(f"DROP TABLE IF EXISTS {partition_name(replaced)}")
    session.execute(sa.delete(RiskRun).where(RiskRun.computed_on == computed_on))
    session.add(RiskRun(id=run_id, computed_on=computed_on, config=config, model=model))
    session.flush()
    with closing(connection.connection.driver_connection.cursor()) as cursor:
        cursor.execute(f"ALTER TABLE risk_scores ATTACH PARTITION {child} FOR VALUES IN ({run_id})")
    return run_id


def delete_runs(session: Session) -> None:
    """Forget every risk run and its scores (on PostgreSQL, by dropping the runs' partitions)."""
    if session.get_bind().dialect.name == "postgresql":
        for run_id in session.scalars(sa.select(RiskRun.id)).all():
            session.execute(sa.text(f"DROP TABLE IF EXISTS {partition_name(run_id)}"))
    session.execute(sa.delete(RiskScore))
    session.execute(sa.delete(RiskRun))


SCORE_ASSET_COLUMNS = (
    "id",
    "code",
    "name",
    "category",
    "district_id",
    "year_built",
    "acquisition_date",
    "useful_life_years",
    "annual_users",
    "replacement_cost",
    "is_evacuation_shelter",
    "on_emergency_road",
    "status",
    "disposed_on",
)
"""The asset columns scoring reads (:func:`read_score_inputs`)."""


def read_score_inputs(session: Session, *, as_of: date, restoring: Sequence[str]) -> pd.DataFrame:
    """Every held asset (not disposed) with what scoring needs of its history, computed by the database: one row
    per asset, never one per inspection or work order.

    Besides :data:`SCORE_ASSET_COLUMNS`: ``inspected_on`` and ``state`` of the latest inspection on or before
    ``as_of`` that gives a state on the asset category's scale (soundness or condition score; of two on that
    day, the worse state), and ``repair_kind``, ``repair_completed_on``, ``repair_state_after`` of the latest
    completed work of a ``restoring`` kind on or before ``as_of`` (of two on one day, the one recorded last);
    missing where there is none. The same query on both backends (window functions), read through COPY on
    PostgreSQL (:func:`fm.io.store.read_query`)."""
    assets, categories = Asset.__table__, AssetCategory.__table__
    inspections, work = metadata.tables["inspections"], metadata.tables["work_orders"]
    held = assets.c.status != "disposed"
    state = sa.case(
        (categories.c.condition_scale == "soundness", inspections.c.soundness), else_=inspections.c.condition_score
    )
    seen = (
        sa.select(
            inspections.c.asset_id,
            inspections.c.inspected_on,
            state.label("state"),
            sa.func.row_number()
            .over(partition_by=inspections.c.asset_id, order_by=(inspections.c.inspected_on.desc(), state.desc()))
            .label("rank"),
        )
        .join(assets, assets.c.id == inspections.c.asset_id)
        .outerjoin(categories, categories.c.code == assets.c.category)
        .where(held, state.is_not(None), inspections.c.inspected_on <= as_of)
        .subquery("seen")
    )
    done = (
        sa.select(
            work.c.asset_id,
            work.c.kind,
            work.c.completed_on,
            work.c.state_after,
            sa.func.row_number()
            .over(partition_by=work.c.asset_id, order_by=(work.c.completed_on.desc(), work.c.id.desc()))
            .label("rank"),
        )
        .where(work.c.status == "completed", work.c.kind.in_(list(restoring)), work.c.completed_on <= as_of)
        .subquery("done")
    )
    query = (
        sa.select(
            *(assets.c[name] for name in SCORE_ASSET_COLUMNS),
            seen.c.inspected_on,
            seen.c.state,
            done.c.kind.label("repair_kind"),
            done.c.completed_on.label("repair_completed_on"),
            done.c.state_after.label("repair_state_after"),
        )
        .outerjoin(seen, sa.and_(seen.c.asset_id == assets.c.id, seen.c.rank == 1))
        .outerjoin(done, sa.and_(done.c.asset_id == assets.c.id, done.c.rank == 1))
        .where(held)
        .order_by(assets.c.id)
    )
    return store.read_query(session, query)


def history_counts(session: Session, *, as_of: date) -> tuple[int, int, int, int]:
    """How many inspections and work orders are dated on or before ``as_of``, and the highest id of each: with
    the tables' change counters (:func:`fm.db.changes.version`), what says the deterioration fit's inputs are
    unchanged without reading them (:func:`fm.app.risk.fitted_models`)."""
    inspections, work = metadata.tables["inspections"], metadata.tables["work_orders"]
    row = session.execute(
        sa.select(
            sa.select(sa.func.count()).where(inspections.c.inspected_on <= as_of).scalar_subquery(),
            sa.select(sa.func.count()).where(work.c.completed_on <= as_of).scalar_subquery(),
            sa.select(sa.func.coalesce(sa.func.max(inspections.c.id), 0)).scalar_subquery(),
            sa.select(sa.func.coalesce(sa.func.max(work.c.id), 0)).scalar_subquery(),
        )
    ).one()
    return tuple(int(v) for v in row)  # type: ignore[return-value]


KEPT_RUNS = 10
"""How many of the latest runs :func:`kept_fit` looks through."""


def kept_fit(session: Session, key: str, *, by: str = "key", whole: bool = False) -> dict[str, Any] | None:
    """The deterioration models stored with one of the latest runs (``model["_fit"]``) whose fit key is
        ``key`` (see :func:`fm.domain.risk.deterioration.fit_key`), or None; with ``by="source"``, whose key of
        the fit's sources is ``key`` (:func:`fm.app.risk.source_key`); with ``whole``, the whole ``_fit`` (its keys
    and ``models``), not only the models. Only the keys are read (by the database's
        JSON path), then the one run's models that match."""
    fit = RiskRun.model["_fit"]
    latest = (
        sa.select(RiskRun.id, fit[by].as_string().label("key"))
        .order_by(RiskRun.computed_at.desc(), RiskRun.id.desc())
        .limit(KEPT_RUNS)
    )
    match = next((run_id for run_id, kept in session.execute(latest) if kept == key), None)
    if match is None:
        return None
    return session.scalar(sa.select(fit if whole else fit["models"]).where(RiskRun.id == match))


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
