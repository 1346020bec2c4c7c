"""Risk runs to and from the database, in bulk: on PostgreSQL a binary COPY into the run's own partition,
attached once indexed; executemany on SQLite."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import closing
from datetime import date
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa  # type: ignore[import-untyped]  # no stubs; pandas needs it anyway
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


def row_digests(scores: pd.DataFrame) -> np.ndarray:
    """Each row's digest of its :data:`FROM_SCORES` as stored (int64), written with the row on SQLite
    (``risk_scores.digest``) so that a same-day run finds the rows it leaves unchanged by comparing one number per row
    (:func:`_write_table`). PostgreSQL leaves it NULL: a same-day run there drops the replaced run's partition whole,
    so nothing would compare it, and making it cost the million-asset write about 0.3 s of CPU (bench/README.md).

    Exact for what a column stores: a number by its float64 bits (a smallint column's every value among them), a day
    by its number, text by its 64-bit SipHash, and which columns are NULL as bits of a word of their own; each word
    mixed (pandas' ``hash_array``: splitmix64, a bijection) and the row's words combined FNV-style. Any change of a
    number or a day, to its last bit, or NULL to value and back, gives another word; two different rows share a
    digest with a chance of about 2⁻⁶⁴, so among n changed rows one goes unwritten with a chance of about n·2⁻⁶⁴
    (5·10⁻¹⁴ for a million). Equal values written differently (−0.0 and 0.0, a NaN's payload) give different
    digests, and so would another pandas' hashing: the row is rewritten, a harmless waste. A row whose stored digest
    is NULL (written before migration 0022) is always rewritten."""
    digest = np.zeros(len(scores), np.uint64)
    nulls = np.zeros(len(scores), np.uint64)
    for bit, (name, kind) in enumerate(FROM_SCORES.items()):
        word, missing = _stored_word(scores[name], kind)
        nulls |= missing.astype(np.uint64) << np.uint64(bit)
        digest ^= pd.util.hash_array(word)
        digest *= _FNV_PRIME
    digest ^= pd.util.hash_array(nulls)
    return digest.view(np.int64)


_FNV_PRIME = np.uint64(0x100000001B3)


def _stored_word(values: pd.Series, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """A column of scores as one 64-bit word per row (0 where NULL) and where it is NULL (:func:`row_digests`)."""
    if kind == "text":  # each distinct text hashed once
        codes, uniques = pd.factorize(values)
        missing, word = codes < 0, np.zeros(len(codes), np.uint64)
        word[~missing] = pd.util.hash_array(np.asarray(uniques, dtype=object))[codes[~missing]]
        return word, missing
    if kind == "date":  # the day, as the write stores it (NaT: the smallest int64, never a day)
        return pd.to_datetime(values).to_numpy().astype("datetime64[D]").view(np.uint64), values.isna().to_numpy()
    numbers = values.to_numpy(dtype="float64", na_value=np.nan)  # float8, and int2 (exact as a float64)
    missing = np.isnan(numbers)
    return (np.where(missing, 0.0, numbers) if missing.any() else numbers).view(np.uint64), missing


def write_run(
    session: Session,
    scores: pd.DataFrame | Iterable[pd.DataFrame],
    *,
    computed_on: date,
    config: dict[str, Any],
    model: dict[str, Any],
) -> int:
    """Replace the run of ``computed_on`` with these scores (a frame, or its parts one after the other); return
    the new run's id.

    On PostgreSQL the scores go into a partition of their own (:func:`_write_partition`), each part taken as the
    server reads the one before (so that scoring the next part overlaps the server's COPY); on SQLite into the one
    table (:func:`_write_table`), the parts put together. Either way in the caller's transaction: readers see the
    old run or the new one."""
    parts = [scores] if isinstance(scores, pd.DataFrame) else scores
    if session.get_bind().dialect.name == "postgresql":
        return _write_partition(session, parts, computed_on=computed_on, config=config, model=model)
    whole = scores if isinstance(scores, pd.DataFrame) else pd.concat(list(parts))
    return _write_table(session, whole, computed_on=computed_on, config=config, model=model)


def _write_table(
    session: Session, scores: pd.DataFrame, *, computed_on: date, config: dict[str, Any], model: dict[str, Any]
) -> int:
    """SQLite: the scores as plain tuples through the driver's ``executemany``, each with its digest
    (:func:`row_digests`). A run replacing one of the same day keeps its id (the one SQLite gave the new run anyway
    when the replaced run was the latest) and writes only what differs: the stored run's asset ids and digests read
    as three texts (from the map's index alone), the rows whose digest differs or is missing (NULL: written before
    the digests) upserted, the assets no longer scored deleted. Scoring again after a few changes then binds and
    rewrites a few rows and their three index entries, not every one (bench/README.md)."""
    replaced = session.scalar(sa.select(RiskRun.id).where(RiskRun.computed_on == computed_on))
    if replaced is None:
        run = RiskRun(computed_on=computed_on, config=config, model=model)
        session.add(run)
        session.flush()
        run_id = run.id
    else:
        run_id = replaced
        session.execute(
            sa.update(RiskRun)
            .where(RiskRun.id == run_id)
            .values(computed_at=sa.func.current_timestamp(), config=config, model=model)
        )
    digests = row_digests(scores)
    with closing(session.connection().connection.driver_connection.cursor()) as cursor:
        if replaced is None:
            cursor.executemany(INSERT, zip(*_table_columns(scores, run_id, digests), strict=True))
            return run_id
        ids = scores["id"].to_numpy(dtype="int64")
        kept, unknown, kept_digests = (  # three texts, not a Python int per row
            np.fromstring(text or "", dtype=np.int64, sep=",")
            for text in cursor.execute(_RUN_DIGESTS, (run_id,)).fetchone()
        )
        position = pd.Index(kept).get_indexer(ids)
        found = position >= 0
        at, scored = position[found], np.zeros(len(kept), bool)
        scored[at] = True
        cursor.executemany(_DELETE_ASSET, [(run_id, int(asset)) for asset in kept[~scored]])
        changed = np.ones(len(ids), bool)
        changed[found] = (unknown[at] == 1) | (kept_digests[at] != digests[found])
        if changed.any():
            rows = _table_columns(scores[changed], run_id, digests[changed])
            cursor.executemany(UPSERT, zip(*rows, strict=True))
    return run_id


TABLE_COLUMNS = [*COLUMNS, "digest"]
INSERT = f"INSERT INTO risk_scores ({', '.join(TABLE_COLUMNS)}) VALUES ({', '.join('?' * len(TABLE_COLUMNS))})"
UPSERT = f"{INSERT} ON CONFLICT (asset_id, run_id) DO UPDATE SET " + ", ".join(
    f"{name} = excluded.{name}" for name in TABLE_COLUMNS[2:]
)
"""SQLite's statements writing a run's rows: a new run's, and a replacing run's changed rows (those whose digest
differs: sent whole, no comparison of each column)."""
_RUN_DIGESTS = (
    "SELECT group_concat(asset_id), group_concat(digest IS NULL), group_concat(ifnull(digest, 0)) "
    "FROM risk_scores WHERE run_id = ?"
)
_DELETE_ASSET = "DELETE FROM risk_scores WHERE run_id = ? AND asset_id = ?"


def _table_columns(scores: pd.DataFrame, run_id: int, digests: np.ndarray) -> list[list[Any]]:
    """The columns of :data:`TABLE_COLUMNS` as the driver takes them (the scores' ``digests`` last): Python numbers and
    text, None where missing, the day of the inspection as ISO text (as SQLAlchemy stores a date on SQLite; written
    by Arrow, 2 ms a 10,000 where numpy's ``datetime_as_string`` took 11)."""
    columns = [[run_id] * len(scores), scores["id"].astype(int).tolist()]
    for name in FROM_SCORES:
        values = scores[name]
        if name == "inspected_on":
            days = pd.to_datetime(values).to_numpy().astype("datetime64[D]")
            columns.append(pa.array(days, from_pandas=True).cast(pa.string()).to_pylist())  # NaT: None
            continue
        if name in ("state", "likelihood_class", "consequence_class"):
            values = values.astype("Int64")
        missing = values.isna().to_numpy()
        listed = values.astype(object).tolist() if missing.any() else values.tolist()
        for index in np.flatnonzero(missing):
            listed[index] = None
        columns.append(listed)
    columns.append(digests.tolist())
    return columns


PARTITION_KEY = "PRIMARY KEY (asset_id, run_id) INCLUDE (risk_class, state)"
PARTITION_INDEXES = {"ranking": "run_id, score"}
"""The key and index of a run's partition: those of ``risk_scores`` on PostgreSQL (the model's, migration 0019), so
that attaching adopts them. The key also covers the map's classes: within a partition the run is one value."""


def partition_name(run_id: int) -> str:
    """The partition of ``risk_scores`` holding one run's scores on PostgreSQL."""
    return f"risk_scores_run_{int(run_id)}"


def _write_partition(
    session: Session,
    parts: Iterable[pd.DataFrame],
    *,
    computed_on: date,
    config: dict[str, Any],
    model: dict[str, Any],
) -> int:
    """The run's rows copied (binary COPY, made by numpy) into a new table with no index and no foreign key,
    its key and index built once the rows are in, then attached as the run's partition: the foreign keys
    are checked there in one query each, and the table's indexes adopt the partition's, built already. The
    COPY sends each part from a thread of its own while the next part is taken (scored, by the caller); a part
    that fails ends the COPY with its error, and the transaction with it.

    The COPY writes the rows frozen (``FREEZE``: the table is new in this transaction, so no other transaction
    can see it before the commit, and then it sees it whole), which marks every page all-visible as it goes: the
    foreign key to ``assets`` is checked by merging the two keys read from their indexes alone instead of by
    hashing a million ids, and later readers of the run neither set hint bits on its rows nor leave the
    partition's pages for a vacuum to mark.

    Until the transaction commits nobody sees the new table, the new run or the attachment; attaching takes
    a lock that lets readers go on. Replacing a run of the same day drops its partition (a lock readers
    wait for, from there to the commit, a second or so) instead of deleting its rows one by one."""
    from psycopg.copy import QueuedLibpqWriter  # PostgreSQL only: SQLite never loads the driver

    connection = session.connection()
    run_id = int(connection.scalar(sa.text("SELECT nextval(pg_get_serial_sequence('risk_runs', 'id'))")))
    child = partition_name(run_id)
    with closing(connection.connection.driver_connection.cursor()) as cursor:
        cursor.execute(f"CREATE TABLE {child} (LIKE risk_scores INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
        cursor.execute(f"ALTER TABLE {child} ADD CONSTRAINT {child}_run CHECK (run_id = {run_id})")
        with cursor.copy(
            f"COPY {child} ({', '.join(COLUMNS)}) FROM STDIN WITH (FORMAT binary, FREEZE)",
            writer=QueuedLibpqWriter(cursor),
        ) as copy:
            for data in copy_binary((_stored_rows(part, run_id) for part in parts), TYPES):
                copy.write(data)
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        cursor.execute(f"ALTER TABLE {child} ADD CONSTRAINT {child}_pkey {PARTITION_KEY}")
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


def _stored_rows(scores: pd.DataFrame, run_id: int) -> pd.DataFrame:
    """Scores as the rows of :data:`COLUMNS`."""
    frame = pd.DataFrame({"run_id": np.full(len(scores), run_id), "asset_id": scores["id"].astype("int64")})
    for name in FROM_SCORES:
        frame[name] = scores[name]
    return frame


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
"""The asset columns the risk engine reads whole (:func:`fm.app.risk.risk_inputs`)."""

SCORED_ASSET_COLUMNS = tuple(c for c in SCORE_ASSET_COLUMNS if c not in ("code", "name", "status", "disposed_on"))
"""Those scoring needs (:func:`read_score_inputs`): no text but the category (the name and code are not stored
with a score, the status is a filter), the acquisition date as a number of days."""


class ScoreRead(NamedTuple):
    """What :func:`read_score_inputs` reads."""

    frame: pd.DataFrame
    counts: tuple[int, int, int, int]
    """:func:`history_counts`, as of the frame's snapshot."""
    geoms: pd.DataFrame
    """``id`` and ``geom`` of the assets of the network categories asked for."""


def read_score_inputs(session: Session, *, as_of: date, restoring: Sequence[str], network: Sequence[str]) -> ScoreRead:
    """Every held asset (not disposed) with what scoring needs of it and of its history, computed by the
    database: one row of numbers per asset, never one per inspection or work order; with the
    :func:`history_counts` (the fit's source key) and the geometry of the ``network`` categories' assets, as of
    the same snapshot (on PostgreSQL read alongside, not after).

    :data:`SCORED_ASSET_COLUMNS` (``acquisition_date`` as datetime64), then ``inspected_on`` (datetime64) and
    ``state`` (float) of the latest inspection on or before ``as_of`` that gives a state on the asset category's
    scale (soundness or condition score; of two on that day, the worse state), and ``repair_kind``,
    ``repair_completed_on`` (datetime64), ``repair_state_after`` (float) of the latest completed work of a
    ``restoring`` kind on or before ``as_of`` (of two on one day, the one recorded last); missing where none.

    Each "latest" is one ``max`` of a whole number ordered as the choice is (the day, then the state; the day,
    then the work order's id, with its kind and state after it in the lowest bits) in a plain
    ``GROUP BY asset_id``: one pass over each table, hashed, no sort, no index walk, no join back (a window
    function over ``inspections`` took 12 s of the server's time at 1,000,000 assets), decoded here by numpy.
    The assets, the two aggregates, the counts and the network's geometry are five queries read at once where
    they can be (:func:`fm.io.store.read_alongside`: on PostgreSQL five server processes on the session's
    snapshot, the assets as arrays while the server aggregates), put together by asset id here; else
    (SQLite, a session that has written) one query joining them, read as arrays on the session's connection
    (:func:`fm.io.store.read_arrays`), then the counts and the geometry."""
    assets, categories = Asset.__table__, AssetCategory.__table__
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:  # the two hash aggregates in memory (about 150 MB at 1,000,000 assets), for this transaction
        session.execute(sa.text("SET LOCAL work_mem = '256MB'"))
    kinds = list(dict.fromkeys(restoring))
    seen, done = _latest_inspections(postgres, as_of), _latest_restoring(postgres, as_of, kinds)
    held = (
        sa.select(
            *(assets.c[name] for name in SCORED_ASSET_COLUMNS if name != "acquisition_date"),
            _day(postgres, "assets.acquisition_date").label("acquired"),
        )
        .outerjoin(categories, categories.c.code == assets.c.category)
        .where(assets.c.status != "disposed")
    )
    soundness = categories.c.condition_scale == "soundness"
    flagged = held.add_columns(sa.case((soundness, 1), else_=0).label("soundness"))
    lines = store.assets_query(["geom"], categories=network)
    parts = store.read_alongside(session, [flagged, seen, done, _history_query(as_of), lines])
    if parts is None:
        inspected, repaired = seen.subquery("seen"), done.subquery("done")
        joined = (
            held.add_columns(
                sa.case((soundness, inspected.c.soundness), else_=inspected.c.condition_score).label("inspection"),
                repaired.c.latest.label("repair"),
            )
            .outerjoin(inspected, inspected.c.asset_id == assets.c.id)
            .outerjoin(repaired, repaired.c.asset_id == assets.c.id)
        )
        frame = store.read_arrays(session, joined).sort_values("id", ignore_index=True)
        inspection, repair = _whole(frame.pop("inspection")), _whole(frame.pop("repair"))
        counts = history_counts(session, as_of=as_of)
        geoms = store.read_assets(session, columns=("id", "geom"), categories=network)
    else:
        unordered, latest, work, counted, geoms = parts
        frame = unordered.sort_values("id", ignore_index=True)  # (read as arrays: no order asked of the server)
        counts = _counts(counted.iloc[0])
        held_ids = pd.Index(frame["id"])  # one hash table of the held assets' ids, for both parts
        by_soundness = frame.pop("soundness").to_numpy() == 1
        (sound, sound_known), (score, score_known) = _placed(held_ids, latest, ("soundness", "condition_score"))
        inspection = np.where(by_soundness, sound, score), np.where(by_soundness, sound_known, score_known)
        (repair,) = _placed(held_ids, work, ("latest",))
    return ScoreRead(_decoded(frame, inspection, repair, kinds), counts, geoms)


def _latest_inspections(postgres: bool, as_of: date) -> sa.Select:
    """Each inspected asset's latest soundness and latest condition score on or before ``as_of``, each as one
    whole number: day × :data:`STATES` + state (the worse of a day's), or NULL where it has none."""
    inspections = metadata.tables["inspections"]
    inspected = _day(postgres, "inspections.inspected_on")
    return (
        sa.select(
            inspections.c.asset_id,
            *(
                sa.func.max(
                    sa.case((inspections.c[name].is_not(None), inspected * STATES + inspections.c[name]))
                ).label(name)
                for name in ("soundness", "condition_score")
            ),
        )
        .where(inspections.c.inspected_on <= as_of)
        .group_by(inspections.c.asset_id)
    )


def _latest_restoring(postgres: bool, as_of: date, kinds: list[str]) -> sa.Select:
    """Each repaired asset's latest completed work of one of ``kinds`` on or before ``as_of`` as one whole number:
    ((day + :data:`DAYS_OFFSET`) × :data:`IDS` + id) × 64 + kind's position × 8 + state after (0 if none)."""
    work = metadata.tables["work_orders"]
    completed = _day(postgres, "work_orders.completed_on")
    kind = sa.case(*((work.c.kind == k, n) for n, k in enumerate(kinds)), else_=0) if kinds else sa.literal(0)
    return (
        sa.select(
            work.c.asset_id,
            sa.func.max(
                ((completed + DAYS_OFFSET) * IDS + work.c.id) * 64 + kind * 8 + sa.func.coalesce(work.c.state_after, 0)
            ).label("latest"),
        )
        .where(work.c.status == "completed", work.c.kind.in_(kinds), work.c.completed_on <= as_of)
        .group_by(work.c.asset_id)
    )


def _placed(ids: pd.Index, rows: pd.DataFrame, names: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Columns ``names`` of ``rows`` (one row per ``asset_id``, in any order, some of assets not among ``ids``)
    put beside ``ids``: each as its whole numbers (0 where missing) and where they are present."""
    position = ids.get_indexer(rows["asset_id"].to_numpy())
    held = position >= 0
    placed = []
    for name in names:
        values, known = _whole(rows[name])
        whole, present = np.zeros(len(ids), "int64"), np.zeros(len(ids), bool)
        whole[position[held]], present[position[held]] = values[held], known[held]
        placed.append((whole, present))
    return placed


def _decoded(
    frame: pd.DataFrame, inspection: tuple[np.ndarray, np.ndarray], repair: tuple[np.ndarray, np.ndarray], kinds: list
) -> pd.DataFrame:
    """The read's frame with its numbers decoded: the acquisition day as a date, each latest inspection's and
    restoring work's key (whole number, present) as its columns (:func:`read_score_inputs`)."""
    acquired, acquired_known = _whole(frame.pop("acquired"))
    position = frame.columns.get_loc("year_built") + 1
    frame.insert(position, "acquisition_date", _dates(acquired, acquired_known))
    key, inspected_known = inspection
    frame["inspected_on"] = _dates(np.floor_divide(key, STATES), inspected_known)
    frame["state"] = np.where(inspected_known, np.mod(key, STATES), np.nan)
    key, repaired = repair
    low = np.mod(key, 64)
    frame["repair_kind"] = np.where(repaired, np.array(kinds or [""], dtype=object)[np.floor_divide(low, 8)], None)
    frame["repair_completed_on"] = _dates(np.floor_divide(key, 64 * IDS) - DAYS_OFFSET, repaired)
    after = np.mod(low, 8).astype("float64")
    frame["repair_state_after"] = np.where(repaired & (after > 0), after, np.nan)
    return frame


STATES = 8
"""The state's room in an inspection's key (day × 8 + state): states are 1–5 (the tables' checks)."""
IDS = 2**32
"""The id's room in a work order's key: ids are 32-bit."""
DAYS_OFFSET = 1_000_000
"""Added to a work order's day number so that its key stays positive: ((day + offset) × 2³² + id) × 64 + kind × 8
+ state after (0 when not recorded) is below 2⁵⁹."""
EPOCH = np.datetime64("2000-01-01", "D")


def _day(postgres: bool, column: str) -> sa.ColumnElement[int]:
    """A date column as its number of days from 2000-01-01 (negative before), on either backend."""
    if postgres:
        return sa.literal_column(f"({column} - DATE '2000-01-01')", sa.BigInteger)
    return sa.literal_column(f"CAST(julianday({column}) - 2451544.5 AS INTEGER)", sa.BigInteger)


def _whole(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Whole numbers as int64 (0 where missing) and where they are present."""
    known = values.notna().to_numpy()
    return values.to_numpy(dtype="int64", na_value=0) if known.any() else np.zeros(len(values), "int64"), known


def _dates(days: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Days from 2000-01-01 as datetime64[s] (what pandas makes of dates), NaT where not ``known``."""
    return np.where(known, EPOCH + days.astype("timedelta64[D]"), np.datetime64("NaT")).astype("datetime64[s]")


def history_counts(session: Session, *, as_of: date) -> tuple[int, int, int, int]:
    """How many inspections and work orders are dated on or before ``as_of``, and the highest id of each: with
    the tables' change counters (:func:`fm.db.changes.version`), what says the deterioration fit's inputs are
    unchanged without reading them (:func:`fm.app.risk.fitted_models`)."""
    return _counts(session.execute(_history_query(as_of)).one())


def _history_query(as_of: date) -> sa.Select:
    """:func:`history_counts`' one row of four whole numbers."""
    inspections, work = metadata.tables["inspections"], metadata.tables["work_orders"]
    return sa.select(
        sa.select(sa.func.count()).where(inspections.c.inspected_on <= as_of).scalar_subquery().label("inspections"),
        sa.select(sa.func.count()).where(work.c.completed_on <= as_of).scalar_subquery().label("work"),
        sa.select(sa.func.coalesce(sa.func.max(inspections.c.id), 0)).scalar_subquery().label("last_inspection"),
        sa.select(sa.func.coalesce(sa.func.max(work.c.id), 0)).scalar_subquery().label("last_work"),
    )


def _counts(row: Any) -> tuple[int, int, int, int]:
    """:func:`history_counts`' row as four Python ints (whether fetched or read as arrays)."""
    inspections, work, last_inspection, last_work = (int(v) for v in row)
    return inspections, work, last_inspection, last_work


KEPT_RUNS = 10
"""How many of the latest runs :func:`kept_fit` looks through."""


def kept_fit(session: Session, key: str, *, by: str = "key", whole: bool = False) -> dict[str, Any] | None:
    """The deterioration models stored with one of the latest runs (``model["_fit"]``) whose fit key is ``key``
    (see :func:`fm.domain.risk.deterioration.fit_key`), or None; with ``by="source"``, whose key of the fit's
    sources is ``key`` (:func:`fm.app.risk.source_key`); with ``whole``, that run's whole ``model`` (each
    category's figures, and ``_fit`` with its keys and models), not only the models. Only the keys are read (by
    the database's JSON path), then the one run's models that match."""
    fit = RiskRun.model["_fit"]
    latest = (
        sa.select(RiskRun.id, fit[by].as_string().label("key"))
        .order_by(RiskRun.computed_at.desc(), RiskRun.id.desc())
        .limit(KEPT_RUNS)
    )
    match = next((run_id for run_id, kept in session.execute(latest) if kept == key), None)
    if match is None:
        return None
    return session.scalar(sa.select(RiskRun.model if whole else fit["models"]).where(RiskRun.id == match))


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
