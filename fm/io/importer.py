"""Import a file into the database, all or nothing: validate every row, then add or update in bulk.

Records are matched on their key (an asset's or work order's or parcel's code; an
inspection's asset and day). A matched record is updated only in the columns the
file has; one whose values are all equal is left alone. A parcel row may carry its
current use, which becomes (or updates) the parcel's use from ``use_since``.

Everything happens in the caller's transaction: if any row is bad, nothing is
written, and the error lists every problem. Writes are bulk: binary COPY on
PostgreSQL, executemany on SQLite.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import re
import sqlite3
from collections import deque
from collections.abc import Callable
from contextlib import closing
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import pyarrow as pa  # type: ignore[import-untyped]  # no stubs; pandas needs it anyway
import pyarrow.compute as pc  # type: ignore[import-untyped]
import shapely
import sqlalchemy as sa
from sqlalchemy.orm import Session

from fm import progress
from fm.accounts import audit
from fm.domain import geo
from fm.domain.geo import STORAGE_CRS
from fm.errors import FmError
from fm.io import bulk, files, store
from fm.io.behind import Behind
from fm.io.columns import GEOMETRY_TYPES, KINDS, Kind, resolve_headers
from fm.io.coordinates import SHAPES, parse_crs, shapes
from fm.io.problems import Problem, Rejected
from fm.io.validate import Checked, References, spell_codes, state_after_problem, validate
from fm.model import metadata

T = TypeVar("T")

TABLES = {
    "assets": "assets",
    "inspections": "inspections",
    "work_orders": "work_orders",
    "parcels": "land_parcels",
    "districts": "districts",
    "services": "services",
    "service_buildings": "service_buildings",
    "service_usage": "service_usage",
    "population": "district_population",
}
DB_KEYS = {
    "inspections": ("asset_id", "inspected_on"),
    "service_buildings": ("service_id", "asset_id"),
    "service_usage": ("service_id", "fiscal_year"),
    "population": ("district_id", "fiscal_year"),
}
"""The key a file's records are matched on, as the table holds it (the others: ``code``)."""
USE_FIELDS = ("current_use", "utilisation")
"""A parcel row's use, held apart (as ``use_<field>``, like ``use_since``) from the parcel's own columns."""


def import_file(
    session: Session,
    kind_name: str,
    path: Path,
    *,
    layer: str | None = None,
    sheet: str | None = None,
    crs: int | None = None,
    encoding: str | None = None,
    dry_run: bool = False,
    today: date | None = None,
    actor: str | None = None,
    details: int | None = None,
) -> dict[str, Any]:
    """Import ``path`` as records of ``kind_name``; return what was (or, dry run, would be) done.

    Each record added or changed gets an entry in the audit trail under ``actor`` (default: the
    system user of the CLI), with its fields' old and new values. With ``details=N``, the result
    also lists the first N of those records (``rows``, see :func:`listed`) and a ``digest`` of all
    the changes (:func:`fingerprint`): what a preview shows, and how to tell that a later run
    would write the same.
    """
    kind = KINDS.get(kind_name)
    if kind is None or not kind.importable:
        importable = ", ".join(k for k, v in KINDS.items() if v.importable)
        raise FmError(f"fm imports {importable}, not {kind_name}")
    if crs is not None:
        parse_crs(crs)
    progress.report("reading the file", 0, 4)
    references = _references(session, kind)
    # A spatial file is opened, to be read whole or (below) a part at a time; other files are read whole.
    read = files.open_layer(path, layer=layer, kind=kind.name) or files.read(
        path, layer=layer, sheet=sheet, encoding=encoding, kind=kind.name
    )
    if not dry_run and details is None and _only_adds(session, kind, read, references):
        return _add_in_chunks(
            session, kind, read, references, crs=crs, today=today or date.today(), source=path.name, actor=actor
        )
    table = read.part(slice(0, None))
    progress.report("checking every row", 1, 4)
    checked = validate(kind, table, references=references, crs=crs, today=today or date.today(), source=path.name)
    progress.report("comparing with the stored records", 2, 4)
    records = _records(checked, _ids(session, checked))
    existing = _existing(session, kind, records)
    ambiguous = existing[existing.duplicated(list(_db_key(kind)), keep=False)]
    if len(ambiguous):
        _reject_ambiguous(kind, records, ambiguous, table.rows, path.name)
    merged = records.merge(existing, how="left", on=list(_db_key(kind)), suffixes=("", "_old"), indicator=True)
    new = merged["_merge"] == "left_only"
    compared = [c for c in records.columns if c not in _db_key(kind) and not c.startswith("use_")]
    changed = pd.Series(False, index=merged.index)
    changed[~new] = _differs(merged[~new], compared)
    if kind.geometry_required and checked.geometry is None and new.any():
        raise Rejected(
            path.name,
            [
                Problem(
                    table.rows.iloc[i],
                    "",
                    str(merged.at[i, "code"]),
                    f"new {kind.name} need a geometry, and the file has none: a spatial "
                    "file, or lon/lat, x/y or wkt columns",
                )
                for i in np.flatnonzero(new)
            ],
        )
    if kind.name == "assets" and checked.geometry is None and "category" in records.columns:
        _check_stored_geometry(session, merged, new, table.rows, checked.names, path.name)
    if kind.name == "districts":
        _check_overlaps(session, merged, table.rows, checked.names, path.name)
    if kind.name == "service_buildings":
        _check_floor_shares(session, merged, table.rows, checked, path.name)
    if kind.name == "population":
        _check_every_district(session, merged, table.rows, checked, path.name)
    if kind.name == "work_orders":
        _check_state_after(session, merged, new, table.rows, checked.names, path.name)
    moved, moves = _moves(session, merged, new, table.rows) if kind.name == "work_orders" else (0, [])
    uses = _use_changes(session, merged) if kind.name == "parcels" else None
    use_changed = uses["changed"] if uses is not None else pd.Series(False, index=merged.index)
    added, updated = int(new.sum()), int((~new & (changed | use_changed)).sum())
    progress.report("writing", 3, 4)
    if not dry_run:
        try:
            touched = changed | use_changed
            returned: list[tuple[Any, ...]] = []  # PostgreSQL: each added record's id and key
            at, actor = audit.now(), actor or audit.cli_actor()
            # The audit entries' text is made while the database stores the new records.
            found = _write(
                session,
                kind,
                merged,
                new,
                changed,
                records.columns,
                lambda: changes_json(merged, new, touched, compared, uses),
                names=checked.names,
                rows=table.rows,
                source=path.name,
                returned=returned,
            )
            if uses is not None:
                _write_uses(session, merged, uses)
            _audit(session, kind, merged, new, found, actor, returned, at)
            session.flush()
        except DATABASE_ERRORS as exc:
            raise _refusal(exc, path.name) from None
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text(f"DROP TABLE IF EXISTS {STAGED}"))
    result = {
        "kind": kind.name,
        "file": path.name,
        "format": table.format,
        "added": added,
        "updated": updated,
        "unchanged": len(merged) - added - updated,
        "dry_run": dry_run,
    }
    if kind.name == "work_orders":  # a work order re-imported under its code with another asset: said, not hidden
        result["moved"] = moved
        result["moves"] = moves
    if details is not None:
        touched = changed | use_changed
        first = merged.index[(new | touched).to_numpy()][:details]
        result["rows"] = listed(
            kind,
            merged.loc[first],
            new.loc[first],
            touched.loc[first],
            compared,
            None if uses is None else uses.loc[first],
            table.rows,
            checked.frame,
        )
        result["digest"] = fingerprint(kind, merged, new, touched, compared, uses)
    return result


def _refusal(error: BaseException, source: str) -> FmError:
    """A rule the database holds that the file could not be checked against alone (e.g. a disposal date before
    the stored acquisition date), as the error a user sees; the caller's transaction rolls back."""
    cause = getattr(error, "orig", None) or error
    return FmError(
        f"{source}: the database refused the import, nothing was written: {str(cause).strip().splitlines()[0]}"
    )


CHUNK_ROWS = 20_000
"""Rows :func:`_add_in_chunks` checks and adds at a time: the database inserts one chunk while the next is checked."""
FIRST_CHUNK_ROWS = 10_000
"""Rows of :func:`_add_in_chunks`' first chunk, each next one twice the one before up to :data:`CHUNK_ROWS`: the
database starts inserting once these are checked. Reading and checking a chunk costs the client about 0.15 s
whatever its size, plus half the time the server takes to store its rows: a first chunk of 2,500 left the server
waiting 0.5 s between the early chunks (each next one took longer to make than the one before took to store), for
a first COPY 0.1 s sooner (bench/README.md)."""


def _only_adds(session: Session, kind: Kind, read: files.Layer | files.Table, references: References) -> bool:
    """Whether ``read`` is a layer of assets, with their geometries, that the database holds none of (their codes
    matched as :func:`~fm.io.validate.validate` matches them), going into PostgreSQL: what :func:`_add_in_chunks`
    adds."""
    if session.get_bind().dialect.name != "postgresql" or kind.name != "assets" or not read.spatial:
        return False
    if not references.keys:
        return True
    headers = resolve_headers(kind, read.fields, coordinates=False)
    given = [header for header, field in headers.fields.items() if field == "code"]
    if len(given) != 1:
        return False
    return not spell_codes(files.cells(read.column(given[0])), references.keys).isin(references.keys).any()


def _add_in_chunks(
    session: Session,
    kind: Kind,
    read: files.Layer | files.Table,
    references: References,
    *,
    crs: int | None,
    today: date,
    source: str,
    actor: str | None,
) -> dict[str, Any]:
    """:func:`import_file` of a file :func:`_only_adds` accepts, in chunks (:func:`_chunks`): each chunk read,
    checked and COPYed, the next one read and checked while the database stores it (the client's work beside the
    server's COPY, on two cores, instead of one after the other; a GeoPackage's later rows are still in the file
    when the first are stored). The COPYs run in order behind the checks
    (:class:`~fm.io.behind.Behind`): a chunk's rows go as soon as they are made, and its audit entries are made while
    the database has another chunk's rows waiting to store, then COPYed after them. Into an empty table the foreign
    keys are checked and the indexes that hold no rule built once the last rows are in (:func:`_built_after`).

    The same records, ids (in file order), audit entries (in file order) and result as checking the whole file first.
    All or nothing still: everything is in the caller's transaction, and a problem in any chunk (a key also in an
    earlier chunk among them) or a record the database refuses stops the import; the whole file is then
    checked as :func:`import_file` checks it, so the error lists every problem of the file, in file order.
    """

    target = metadata.tables[TABLES[kind.name]]
    ids: dict[str, pd.Series] = {}
    at, actor = audit.now(), actor or audit.cli_actor()
    numbers = _take_ids(session, target, read.count)

    def prepare(rows: slice) -> Chunk:
        """The rows read, checked, made into records and their COPY rows (no database but the first time)."""
        part = read.part(rows)
        checked = validate(kind, part, references=references, crs=crs, today=today, source=source)
        if rows.start == 0:  # the stored ids by code, read once, before any insert
            ids.update(_ids(session, checked))
        records = _records(checked, ids)
        given = ["id", *(c for c in records.columns if c in target.c and c != "id")]
        stored = records.assign(id=numbers[rows])[given]
        binary = bulk.binary_rows(stored, bulk.binary_types(target, given))
        return Chunk(rows.start, checked, part.rows, records, stored, binary)

    def entries(chunk: Chunk) -> pa.Array:
        """The chunk's audit entries, as COPY rows."""
        records = chunk.records
        new = pd.Series(True, index=records.index)
        changes = changes_texts(records, new, ~new, [c for c in records.columns if c not in _db_key(kind)], None)
        codes = pa.array(records["code"].astype(str).to_numpy(dtype=object), type=pa.string())
        return audit.created_rows(
            target.name,
            numbers[chunk.start : chunk.start + len(records)],
            codes,
            changes,
            at=at,
            actor=actor,
            source="import",
        )

    seen: set[str] = set()
    parts = deque(_chunks(read.count))
    sent: deque[Chunk] = deque()  # chunks whose rows are COPYed (or waiting to be) and their entries not yet made
    try:
        with closing(session.connection().connection.driver_connection.cursor()) as cursor:
            built_after = _built_after(cursor, target)
            with Behind() as behind:
                while parts or sent:
                    # the next chunk's rows unless some wait to be stored: the server stores a chunk's entries in a
                    # fraction of the time the client takes to make them, so entries alone keep it busy only briefly;
                    # with keys and indexes made after the rows, every chunk's rows first: entries are made meanwhile
                    if parts and (not sent or built_after or not behind.waiting("rows")):
                        chunk = prepare(parts.popleft())
                        progress.report(
                            f"checking and adding rows {chunk.start + 1:,}–{chunk.start + len(chunk.rows):,}", 1, 4
                        )
                        keys = files.fold(chunk.checked.frame["code"].astype("string")).tolist()
                        if not seen.isdisjoint(keys):
                            raise Rejected(source, [])  # a code in an earlier chunk too: the file's check names both
                        seen.update(keys)
                        behind.put(functools.partial(_add_chunk, cursor, kind, chunk, source), "rows")
                        sent.append(chunk)
                        if not parts and built_after:
                            behind.put(functools.partial(_build, cursor, built_after))
                    else:
                        made = ("audit_log", audit.CREATED_COLUMNS, entries(sent.popleft()))
                        behind.put(functools.partial(bulk.copy_rows_into, cursor, [made]))
    except Rejected:
        validate(kind, read.part(slice(0, None)), references=references, crs=crs, today=today, source=source)
        raise
    except DATABASE_ERRORS as exc:
        raise _refusal(exc, source) from None
    session.flush()
    added = read.count
    return {
        "kind": kind.name,
        "file": source,
        "format": read.format,
        "added": added,
        "updated": 0,
        "unchanged": 0,
        "dry_run": False,
    }


def _built_after(cursor: Any, table: sa.Table) -> list[str]:
    """When ``table`` holds no record, drop its foreign keys and its indexes that hold no rule (neither unique nor a
    constraint's) and return the statements that make them again, to be run once every row is in: a foreign key
    checked once over all the rows, and an index built over them, cost the server a fraction of checking and keeping
    them up to date row by row (PostgreSQL's manual, "Populating a Database", 14.4.3 and 14.4.4; bench/README.md).
    Keys are checked again before the import ends; uniqueness and checks hold for every row as it is added.

    Dropping them locks the table, and the tables its keys refer to (so that none of their rows can go before the
    keys are checked again), against every other session until the transaction ends. This is done only for a
    register's first import, which no one can be working on yet; into a table that holds records, nothing is
    dropped. All in the caller's transaction: rolled back, the keys and indexes are as they were."""
    cursor.execute(f"SELECT EXISTS (SELECT FROM {table.name})")
    if cursor.fetchone()[0]:
        return []
    cursor.execute(f"LOCK TABLE {table.name} IN ACCESS EXCLUSIVE MODE")
    cursor.execute(f"SELECT EXISTS (SELECT FROM {table.name})")  # again, now that no one else can add (rarely: one did)
    if cursor.fetchone()[0]:
        return []
    cursor.execute(
        "SELECT quote_ident(conname), pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY 1",
        [table.name],
    )
    keys = cursor.fetchall()
    cursor.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "WHERE i.indrelid = %s::regclass AND NOT i.indisunique "
        "AND NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conindid = i.indexrelid) ORDER BY 1",
        [table.name],
    )
    indexes = cursor.fetchall()
    for name, _ in keys:
        cursor.execute(f"ALTER TABLE {table.name} DROP CONSTRAINT {name}")
    for name, _ in indexes:
        cursor.execute(f"DROP INDEX {name}")
    return [f"ALTER TABLE {table.name} ADD CONSTRAINT {name} {definition}" for name, definition in keys] + [
        definition for _, definition in indexes
    ]


def _build(cursor: Any, statements: list[str]) -> None:
    """Run the statements :func:`_built_after` gave, once every row is in: keys checked, indexes built."""
    for statement in statements:
        cursor.execute(statement)


def _take_ids(session: Session, table: sa.Table, count: int) -> np.ndarray:
    """``count`` new ids from ``table``'s sequence (PostgreSQL), in ascending order: the ids of the records to add, in
    file order, known before they are sent. (Taken, they are never given again, as with an insert rolled back.)"""
    with closing(session.connection().connection.driver_connection.cursor()) as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table.name])
        (sequence,) = cursor.fetchone()  # looked up once: in the statement below, once per row (0.3 s at 100,000)
        cursor.execute("SELECT array_agg(nextval(%s::regclass)) FROM generate_series(1, %s)", [sequence, count])
        (taken,) = cursor.fetchone()
    return np.sort(np.asarray(taken, dtype=np.int64))


def _chunks(total: int) -> list[slice]:
    """The rows of each chunk of a file of ``total`` rows: :data:`FIRST_CHUNK_ROWS`, then twice as many each time up
    to :data:`CHUNK_ROWS`.

    >>> [(part.start, part.stop) for part in _chunks(50_000)]
    [(0, 10000), (10000, 30000), (30000, 50000)]
    """
    parts, start, size = [], 0, FIRST_CHUNK_ROWS
    while start < total:
        parts.append(slice(start, min(start + size, total)))
        start, size = start + size, min(2 * size, CHUNK_ROWS)
    return parts


@dataclasses.dataclass(frozen=True)
class Chunk:
    """Rows of a file :func:`_add_in_chunks` adds together, from its row ``start``: checked, where they are in the
    file, as records, with their new ids (the columns sent), and each as a row of COPY's binary format
    (:func:`~fm.io.bulk.binary_rows`)."""

    start: int
    checked: Checked
    rows: pd.Series
    records: pd.DataFrame
    stored: pd.DataFrame
    binary: pa.Array


def _add_chunk(cursor: Any, kind: Kind, chunk: Chunk, source: str) -> None:
    """COPY the ``chunk``'s records, all new, with their ids into the table. The table's defaults, constraints,
    indexes and triggers apply to COPY as to an insert. Should the database refuse a record, the record is found
    by COPYing halves of the rows (:func:`_guarded`)."""
    table = metadata.tables[TABLES[kind.name]]
    columns = list(chunk.stored.columns)

    def add(places: np.ndarray) -> None:
        bulk.copy_rows_into(cursor, [(table.name, columns, chunk.binary.take(pa.array(places)))])

    _guarded(
        cursor,
        table,
        lambda: add(np.arange(len(chunk.stored))),
        add,
        lambda places: None,
        np.arange(len(chunk.stored)),
        np.arange(0),
        merged=chunk.stored,
        writable=columns,
        names=chunk.checked.names,
        rows=chunk.rows,
        source=source,
    )


def _check_stored_geometry(
    session: Session, merged: pd.DataFrame, new: pd.Series, rows: pd.Series, names: dict[str, str], source: str
) -> None:
    """A file without geometry that changes an asset's category: the stored geometry must fit the new category
    (a point cannot become a road), or the file must give the new geometry."""
    moved = ~new & merged["category"].notna() & (merged["category"] != merged["category_old"]).fillna(False)
    if not moved.any():
        return
    stored = store.read_assets(session, columns=["geom"], ids=merged.loc[moved, "id"].astype(int).tolist())
    geometry = dict(zip(stored["id"], stored.geometry, strict=True))
    problems = []
    for index in merged.index[moved.to_numpy(dtype=bool)]:
        category = merged.at[index, "category"]
        shape = geometry.get(int(merged.at[index, "id"]))
        allowed = GEOMETRY_TYPES.get(category, ())
        if shape is None or not allowed or shape.geom_type in allowed:
            continue
        problems.append(
            Problem(
                rows.loc[index],
                names["category"],
                str(category),
                f"a {category} must be {shapes(allowed)}, and the stored geometry of {merged.at[index, 'code']} is "
                f"{SHAPES[shape.geom_type]}: give the new geometry in the file (lon/lat, x/y or wkt)",
            )
        )
    if problems:
        raise Rejected(source, problems)


def _check_overlaps(
    session: Session, merged: pd.DataFrame, rows: pd.Series, names: dict[str, str], source: str
) -> None:
    """Districts tile the city: a district of the file may share edges with the others (the file's and the
    stored ones it leaves alone), never ground wider than :data:`~fm.domain.geo.OVERLAP_TOLERANCE_M`, measured
    in EPSG:6677. A row without geometry keeps the stored one."""
    stored = store.read_table(session, "districts", ["id", "code", "geom"])
    by_code = dict(zip(stored["code"], stored["geom"], strict=True))
    mine = gpd.GeoSeries(
        [g if g is not None else by_code.get(c) for g, c in zip(_geoms(merged), merged["code"], strict=True)],
        index=merged.index,
        crs=STORAGE_CRS,
    )
    mine = mine[~mine.isna()]
    others = stored[~stored["code"].isin(set(merged["code"]))]
    label = names.get("geom", "geometry")
    problems = [
        Problem(
            rows.iloc[pair.right],
            label,
            str(merged.at[pair.right, "code"]),
            f"overlaps district {merged.at[pair.left, 'code']} ({rows.iloc[pair.left]}) by {pair.area_m2:,.0f} m² "
            "(districts may share edges, not ground)",
        )
        for pair in geo.overlaps(mine).itertuples()
    ]
    if len(others):
        stored_shapes = gpd.GeoSeries(others["geom"].to_numpy(), index=others["code"].to_numpy(), crs=STORAGE_CRS)
        problems += [
            Problem(
                rows.iloc[pair.left],
                label,
                str(merged.at[pair.left, "code"]),
                f"overlaps the stored district {pair.right} by {pair.area_m2:,.0f} m² "
                "(districts may share edges, not ground; change both in one file)",
            )
            for pair in geo.overlaps(mine, stored_shapes).itertuples()
        ]
    if problems:
        order = {label: n for n, label in enumerate(rows)}
        raise Rejected(source, sorted(problems, key=lambda p: order.get(p.row, -1)))


def _geoms(merged: pd.DataFrame) -> list[Any]:
    return merged["geom"].tolist() if "geom" in merged.columns else [None] * len(merged)


MOVES_LISTED = 100
"""The most work orders moved to another asset a result lists (``moved``)."""


def _check_state_after(
    session: Session, merged: pd.DataFrame, new: pd.Series, rows: pd.Series, names: dict[str, str], source: str
) -> None:
    """The condition after the work, as the record will be (the file's values over the stored ones): only on
    completed work, and within the asset's category's scale (soundness Ⅰ–Ⅳ: at most 4; a score: at most 5)."""
    touched = "state_after" in merged.columns or "status" in merged.columns or "asset_id" in merged.columns
    if not touched:
        return
    stored = store.read_table(session, "work_orders", ["code", "asset_id", "status", "state_after"]).set_index("code")

    def value(field: str, default: object) -> pd.Series:
        kept = merged["code"].map(stored[field]) if len(stored) else pd.Series(None, index=merged.index)
        kept = kept.where(~new, default)
        return merged[field].where(merged[field].notna() | ~new, default) if field in merged.columns else kept

    after = pd.to_numeric(value("state_after", None), errors="coerce")
    if not after.notna().any():
        return
    status, asset = value("status", "planned"), pd.to_numeric(value("asset_id", None), errors="coerce")
    assets = store.read_assets(session, columns=("id", "code", "category")).set_index("id")
    scales = store.read_categories(session).set_index("code")["condition_scale"]
    problems = []
    for index in merged.index[after.notna().to_numpy()]:
        found = int(asset.loc[index]) if pd.notna(asset.loc[index]) else None
        category = str(assets.at[found, "category"]) if found in assets.index else ""
        problem = state_after_problem(
            int(after.loc[index]),
            status=status.loc[index],
            scale=scales.get(category),
            asset=str(assets.at[found, "code"]) if found in assets.index else "",
            category=category,
        )
        if problem:
            problems.append(
                Problem(rows.loc[index], names.get("state_after", "state_after"), str(int(after.loc[index])), problem)
            )
    if problems:
        raise Rejected(source, problems)


def _moves(session: Session, merged: pd.DataFrame, new: pd.Series, rows: pd.Series) -> tuple[int, list[dict[str, Any]]]:
    """How many work orders the file moves from one asset to another, and the first :data:`MOVES_LISTED` of
    them as ``{row, code, from, to}`` (asset codes), in file order."""
    if "asset_id" not in merged.columns:
        return 0, []
    old, now = merged["asset_id_old"], merged["asset_id"]
    moved = ~new & old.notna() & now.notna() & (old != now).fillna(False)
    if not moved.any():
        return 0, []
    code = store.read_table(session, "assets", ["id", "code"]).set_index("id")["code"]
    return int(moved.sum()), [
        {
            "row": rows.loc[i],
            "code": str(merged.at[i, "code"]),
            "from": str(code.get(int(old.loc[i]), old.loc[i])),
            "to": str(code.get(int(now.loc[i]), now.loc[i])),
        }
        for i in merged.index[moved.to_numpy(dtype=bool)][:MOVES_LISTED]
    ]


def _check_floor_shares(session: Session, merged: pd.DataFrame, rows: pd.Series, checked: Checked, source: str) -> None:
    """The floor areas of a building's services, stored and imported together, may not exceed its floor area."""
    if "floor_area_m2" not in merged.columns:
        return
    stored = store.read_table(session, "service_buildings", ["service_id", "asset_id", "floor_area_m2"])
    imported = merged[["service_id", "asset_id", "floor_area_m2"]]
    kept = stored.merge(imported[["service_id", "asset_id"]], how="left", indicator=True)
    together = pd.concat([kept.loc[kept["_merge"] == "left_only", imported.columns], imported], ignore_index=True)
    occupied = together.astype({"asset_id": "int64"}).groupby("asset_id")["floor_area_m2"].sum().astype(float)
    buildings = store.read_table(session, "assets", ["id", "code", "floor_area_m2"]).set_index("id")
    total = buildings["floor_area_m2"].astype(float).reindex(occupied.index).to_numpy()
    area = occupied.to_numpy()
    over = occupied.index[(np.isnan(total) & (area > 0)) | (area > total + 1e-6)]
    problems = []
    for index in merged.index[merged["asset_id"].isin(over).to_numpy()]:
        asset = merged.at[index, "asset_id"]
        code, area = buildings.at[asset, "code"], buildings.at[asset, "floor_area_m2"]
        share = "" if pd.isna(area) else f", {100 * occupied[asset] / area:.1f} % of its {area:,.1f} m²"
        problems.append(
            Problem(
                rows.loc[index],
                checked.names["floor_area_m2"],
                f"{merged.at[index, 'floor_area_m2']:g}",
                f"the services of {code} would occupy {occupied[asset]:,.1f} m²{share}"
                + (": the building has no floor area" if pd.isna(area) else ": more than 100 % of the building"),
            )
        )
    if problems:
        raise Rejected(source, problems)


def _check_every_district(
    session: Session, merged: pd.DataFrame, rows: pd.Series, checked: Checked, source: str
) -> None:
    """Every fiscal year a population file gives must have every district (in the file or the database)."""
    districts = store.read_table(session, "districts", ["id", "code"]).set_index("id")["code"]
    stored = store.read_table(session, "district_population", ["district_id", "fiscal_year"])
    problems = []
    for year, group in merged.groupby("fiscal_year", sort=True):
        present = set(group["district_id"]) | set(stored.loc[stored["fiscal_year"] == year, "district_id"])
        missing = [districts[d] for d in districts.index if d not in present]
        if missing:
            problems.append(
                Problem(
                    rows.loc[group.index[0]],
                    checked.names["district"],
                    "",
                    f"fiscal year {year} has no row for district {', '.join(missing)}: a year needs every "
                    "district, or the city's totals would be wrong",
                )
            )
    if problems:
        raise Rejected(source, problems)


def _references(session: Session, kind: Kind) -> References:
    refers = {c.refers for c in kind.columns}
    return References(
        categories=frozenset(store.read_categories(session)["code"]) if "category" in refers else frozenset(),
        districts=_codes(session, "districts") if "district" in refers else frozenset(),
        assets=_codes(session, "assets") if "asset" in refers else frozenset(),
        services=_codes(session, "services") if "service" in refers else frozenset(),
        keys=_codes(session, TABLES[kind.name]) if kind.key == ("code",) else frozenset(),
    )


def _codes(session: Session, table: str) -> frozenset[str]:
    """Every code of ``table``, from the driver's rows straight into a set (no frame, no result object per row:
    100,000 codes in a fraction of the time)."""
    result = session.connection().execute(sa.select(metadata.tables[table].c.code))
    rows = result.cursor.fetchall()
    result.close()
    return frozenset(code for (code,) in rows)


def _db_key(kind: Kind) -> tuple[str, ...]:
    return DB_KEYS.get(kind.name, ("code",))


REFERRED = {"district": "districts", "asset_code": "assets", "service_code": "services"}
"""A checked field holding codes of another table's records, and that table; the record holds their ids."""


def _ids(session: Session, checked: Checked) -> dict[str, pd.Series]:
    """For each field of ``checked`` in :data:`REFERRED`, the stored ids by code."""
    return {
        field: store.read_table(session, table, ["id", "code"]).set_index("code")["id"]
        for field, table in REFERRED.items()
        if field in checked.frame.columns
    }


def _records(checked: Checked, ids: dict[str, pd.Series]) -> pd.DataFrame:
    """The file's records under the table's column names, codes of districts, assets and services turned into
    ids (``ids``: :func:`_ids`)."""
    frame = checked.frame.copy(deep=False)  # copy-on-write: the checked records stay as they are, none copied
    for field, by_code in ids.items():
        frame[f"{REFERRED[field].removesuffix('s')}_id"] = frame.pop(field).map(by_code).astype("Int64")
    if checked.geometry is not None:
        frame["geom"] = checked.geometry.to_numpy(dtype=object)
    frame = frame.rename(columns={field: f"use_{field}" for field in USE_FIELDS})
    return frame


def _existing(session: Session, kind: Kind, records: pd.DataFrame) -> pd.DataFrame:
    """The stored records the file's records may match (by key): id and the columns the file has.

    On PostgreSQL the comparison is the database's (:func:`_compared_in_database`); on SQLite every stored
    record is read."""
    table = metadata.tables[TABLES[kind.name]]
    columns = ["id", *[c for c in records.columns if c in table.c and c != "id"]]
    if session.get_bind().dialect.name == "postgresql":
        return _compared_in_database(session, table, columns, _db_key(kind), records)
    existing = store.read_table(session, table.name, columns)
    return pd.DataFrame(existing)


STAGED = "fm_import_rows"
"""PostgreSQL: the temporary table holding a file's checked records (``fm_row``: their place in the file)."""


def _staged(table: sa.Table, columns: list[str]) -> sa.Table:
    """The temporary table of :data:`STAGED` for ``table``: ``fm_row`` and ``columns`` with the table's types."""
    return sa.Table(
        STAGED,
        sa.MetaData(),
        sa.Column("fm_row", sa.BigInteger),
        *(sa.Column(c, table.c[c].type) for c in columns),
    )


def _stage(cursor: Any, table: sa.Table, given: list[str], records: pd.DataFrame) -> sa.Table:
    """Copy the ``given`` columns of ``records`` into :data:`STAGED`, made anew, each with its place (``fm_row``)."""
    staged = _staged(table, given)
    cursor.execute(f"DROP TABLE IF EXISTS {STAGED}")
    cursor.execute(
        f"CREATE TEMP TABLE {STAGED} ON COMMIT DROP AS SELECT 0::bigint AS fm_row, {', '.join(given)} "
        f"FROM {table.name} WITH NO DATA"
    )
    frame = records[given].copy()
    frame.insert(0, "fm_row", np.arange(len(records), dtype="int64"))
    bulk.copy_into(cursor, staged, frame)
    return staged


def _comparable(column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """``column`` as IS DISTINCT FROM can compare it (json has no equality: compared as text)."""
    return sa.cast(column, sa.Text) if isinstance(column.type, sa.JSON) else column


def _compared_in_database(
    session: Session, table: sa.Table, columns: list[str], key: tuple[str, ...], records: pd.DataFrame
) -> pd.DataFrame:
    """The stored records matching the file's (by ``key``), compared in the database (PostgreSQL).

    The file's checked records are copied into a temporary table (:data:`STAGED`, kept for the write),
    and one join finds which stored records they match and which of those differ in any column
    (``IS DISTINCT FROM``; geometry by PostGIS's exact ``=``). Only the differing records are read back,
    with their stored values; a matched record equal in every column is returned with the file's own
    values, so :func:`_differs` finds it unchanged without reading it. Re-importing an unchanged file of
    100,000 assets reads back 100,000 ids instead of 100,000 records with their geometry.
    """
    given = [c for c in columns if c != "id"]
    with closing(session.connection().connection.driver_connection.cursor()) as cursor:
        staged = _stage(cursor, table, given, records)
        # The row count and the keys' statistics, for the joins' plans (not every column's: geometry, text).
        cursor.execute(f"ANALYZE {STAGED} (fm_row, {', '.join(key)})")
    joined = staged.join(table, sa.and_(*(table.c[k] == staged.c[k] for k in key)))
    # two whole numbers a record: fetched, not COPY'd (whose rows psycopg reads one by one: 3x the CPU at 100,000)
    result = session.connection().execute(sa.select(staged.c.fm_row, table.c.id).select_from(joined))
    matched = pd.DataFrame(result.cursor.fetchall(), columns=["fm_row", "id"], dtype="int64")
    result.close()
    compared = [c for c in given if c not in key]
    differing = pd.DataFrame(columns=["fm_row", "id", *given])
    if compared and len(matched):
        differs = sa.tuple_(*(_comparable(table.c[c]) for c in compared)).is_distinct_from(
            sa.tuple_(*(_comparable(staged.c[c]) for c in compared))
        )
        query = sa.select(staged.c.fm_row, table.c.id, *(table.c[c] for c in given)).select_from(joined).where(differs)
        differing = store.frame(session, query)
    same = matched[~matched["fm_row"].isin(differing["fm_row"])]
    equal = records.iloc[same["fm_row"].to_numpy()][given].reset_index(drop=True)
    equal.insert(0, "id", same["id"].to_numpy())
    if not len(differing):
        return equal
    stored = differing.drop(columns="fm_row")[["id", *given]]
    if not len(equal):
        return stored.reset_index(drop=True)
    return pd.concat([equal, stored], ignore_index=True)


def _reject_ambiguous(kind: Kind, records: pd.DataFrame, ambiguous: pd.DataFrame, rows: pd.Series, source: str) -> None:
    key = list(_db_key(kind))
    hits = records.reset_index().merge(ambiguous[key].drop_duplicates(), on=key)
    if not len(hits):  # the file touches none of them
        return
    problems = [
        Problem(
            rows.loc[i],
            "",
            str(day),
            "the database holds several inspections of this asset on this "
            "day: fm cannot tell which one this row updates",
        )
        for i, day in zip(hits["index"], hits["inspected_on"], strict=True)
    ]
    raise Rejected(source, problems)


def _differs(merged: pd.DataFrame, columns: list[str]) -> pd.Series:
    """Rows where any of ``columns`` differs from the stored value (geometry within 1e-9°, same type)."""
    differs = np.zeros(len(merged), dtype=bool)
    for column in columns:
        same_numbers = _same_numbers(merged[column], merged[f"{column}_old"])
        if same_numbers is not None:
            differs |= ~same_numbers
            continue
        new, old = bulk.objects(merged[column]), bulk.objects(merged[f"{column}_old"])
        if column == "geom":
            both = ~shapely.is_missing(new) & ~shapely.is_missing(old)
            same = shapely.is_missing(new) & shapely.is_missing(old)
            same[both] = shapely.equals_exact(new[both], old[both], tolerance=1e-9) & (
                shapely.get_type_id(new[both]) == shapely.get_type_id(old[both])
            )
            differs |= ~same
        else:
            differs |= ~(new == old).astype(bool)
    return pd.Series(differs, index=merged.index)


def _same_numbers(new: pd.Series, old: pd.Series) -> np.ndarray | None:
    """Where two columns of whole numbers, of floats or of flags are equal (both missing counts as equal), compared
    as numpy arrays: what comparing their Python values gives, without making them (None for other columns)."""
    kinds = {new.dtype.kind, old.dtype.kind}
    layout = "int64" if kinds == {"i"} else "float64" if kinds == {"f"} else "bool" if kinds == {"b"} else None
    if layout is None:
        return None
    missing_new, missing_old = new.isna().to_numpy(), old.isna().to_numpy()
    filler = False if layout == "bool" else 0
    equal = new.to_numpy(dtype=layout, na_value=filler) == old.to_numpy(dtype=layout, na_value=filler)
    return (missing_new & missing_old) | (~missing_new & ~missing_old & equal)


def _use_changes(session: Session, merged: pd.DataFrame) -> pd.DataFrame | None:
    """For parcel rows with a use: its stored id (if any) and whether it is new or differs from the stored one."""
    if "use_since" not in merged.columns:
        return None
    stored = store.read_table(session, "parcel_uses", ["id", "parcel_id", "valid_from", "current_use", "utilisation"])
    uses = pd.DataFrame(
        {
            "parcel_id": merged["id"].astype("Int64"),
            "valid_from": merged["use_since"],
            "current_use": merged.get("use_current_use"),
            "utilisation": merged.get("use_utilisation"),
        },
        index=merged.index,
    )
    given = uses["valid_from"].notna()
    found = (
        uses.reset_index()
        .merge(stored, how="left", on=["parcel_id", "valid_from"], suffixes=("", "_old"))
        .set_index("index")
    )
    fields = _use_fields(merged)
    differs = _differs(found, fields) if fields else pd.Series(False, index=found.index)
    uses["use_id"] = found["id"].astype("Int64")
    for field in fields:
        uses[f"{field}_old"] = found[f"{field}_old"]
    uses["changed"] = given & (uses["use_id"].isna() | differs)
    return uses


def _use_fields(merged: pd.DataFrame) -> list[str]:
    return [field for field in USE_FIELDS if f"use_{field}" in merged.columns]


def _write(
    session: Session,
    kind: Kind,
    merged: pd.DataFrame,
    new: pd.Series,
    changed: pd.Series,
    columns: pd.Index,
    meanwhile: Callable[[], T],
    *,
    names: dict[str, str],
    rows: pd.Series,
    source: str,
    returned: list[tuple[Any, ...]],
) -> T:
    """Insert the new records and update the changed ones, in the columns the file has; return what
    ``meanwhile`` returns (run while the database stores the new records). On PostgreSQL ``returned`` receives
    each added record's id and key (``INSERT … RETURNING``), for the audit entries.

    On PostgreSQL both are set-based statements over the records :func:`_compared_in_database` staged:
    ``INSERT … SELECT`` and ``UPDATE … FROM``, under the table's own constraints. Should the database
    refuse a record (a rule the file could not be checked against alone), the write is undone and the
    record is found by halving the rows under savepoints: the error names its place in the file, its key
    and the field (:func:`_refused`)."""
    table = metadata.tables[TABLES[kind.name]]
    writable = [c for c in columns if c in table.c]
    key = _db_key(kind)
    staged = session.get_bind().dialect.name == "postgresql"
    driver = session.connection().connection.driver_connection
    updated = [c for c in writable if c not in key]

    def add(places: np.ndarray, meanwhile: Callable[[], T] | None = None) -> T | None:
        if staged:
            listed = ", ".join(writable)
            every = len(places) == len(merged)  # every staged record (a new register): no list of rows to join
            chosen: list[Any] = [] if every else [places.tolist()]
            insert = (
                f"INSERT INTO {table.name} ({listed}) SELECT {listed} FROM {STAGED} "
                + ("" if every else "JOIN unnest(%s::bigint[]) AS chosen (fm_row) USING (fm_row) ")
                + "ORDER BY fm_row"
            )
            with closing(driver.cursor()) as cursor:
                done = bulk.execute(cursor, f"{insert} RETURNING id, {', '.join(key)}", chosen, meanwhile=meanwhile)
                returned[:] = cursor.fetchall()
                return done
        return bulk.insert(session, table, merged.iloc[places][writable], meanwhile=meanwhile)

    def change(places: np.ndarray) -> None:
        if not staged:
            bulk.update(session, table, merged.iloc[places][["id", *updated]])
            return
        assignments = ", ".join(f"{n} = s.{n}" for n in updated)
        matches = " AND ".join(f"{table.name}.{k} = s.{k}" for k in key)
        with closing(driver.cursor()) as cursor:
            cursor.execute(
                f"UPDATE {table.name} SET {assignments}{bulk.stamp(table)} "
                f"FROM {STAGED} s JOIN unnest(%s::bigint[]) AS chosen (fm_row) USING (fm_row) WHERE {matches}",
                [places.tolist()],
            )

    adding, changing = np.flatnonzero(new.to_numpy()), np.flatnonzero(changed.to_numpy())

    def write() -> T:
        found = add(adding, meanwhile) if len(adding) else meanwhile()
        if len(changing):
            change(changing)
        assert found is not None
        return found

    with closing(driver.cursor()) as cursor:
        if not staged and not driver.in_transaction:
            cursor.execute("BEGIN")  # SQLite: a savepoint outside a transaction would commit when released
        return _guarded(
            cursor,
            table,
            write,
            add,
            change,
            adding,
            changing,
            merged=merged,
            writable=writable,
            names=names,
            rows=rows,
            source=source,
            postgresql=staged,
        )


def _guarded(
    cursor: Any,
    table: sa.Table,
    write: Callable[[], T],
    add: Callable[[np.ndarray], Any],
    change: Callable[[np.ndarray], None],
    adding: np.ndarray,
    changing: np.ndarray,
    *,
    merged: pd.DataFrame,
    writable: list[str],
    names: dict[str, str],
    rows: pd.Series,
    source: str,
    postgresql: bool = True,
) -> T:
    """``write`` (adding the records at ``adding`` of ``merged`` and changing those at ``changing``) under a
    savepoint; should the database refuse a record (a rule the file could not be checked against alone), the write
    is undone and the record found by halving the rows (:func:`_locate`, through ``add`` and ``change``): the error
    names its place in the file, its key and the field (:func:`_refused`)."""
    cursor.execute("SAVEPOINT fm_write")
    try:
        done = write()
    except DATABASE_ERRORS as exc:
        cursor.execute("ROLLBACK TO SAVEPOINT fm_write")
        refused = _locate(cursor, add, change, adding, changing)
        if refused is None:
            raise
        place, error = refused
        columns = _constraint_columns(cursor if postgresql else None, table, error or exc)
        raise _refused(error or exc, columns, merged, place, writable, names, rows, source) from None
    cursor.execute("RELEASE SAVEPOINT fm_write")
    return done


DATABASE_ERRORS = (sa.exc.DBAPIError, sqlite3.DatabaseError, psycopg.DatabaseError)


def _locate(
    cursor: Any,
    add: Callable[[np.ndarray], Any],
    change: Callable[[np.ndarray], None],
    adding: np.ndarray,
    changing: np.ndarray,
) -> tuple[int, BaseException | None] | None:
    """The place of the first record the database refuses, with its error: the new records tried alone, then
    (with them added) the changed ones, halving the rows under savepoints. None if no single record is
    refused on its own (then only the database's message can be given)."""
    errors: list[BaseException] = []

    def fails(write: Callable[[np.ndarray], Any], places: np.ndarray) -> bool:
        cursor.execute("SAVEPOINT fm_try")
        try:
            write(places)
            return False
        except DATABASE_ERRORS as exc:
            errors.append(exc)
            return True
        finally:
            cursor.execute("ROLLBACK TO SAVEPOINT fm_try")
            cursor.execute("RELEASE SAVEPOINT fm_try")

    def halve(write: Callable[[np.ndarray], Any], places: np.ndarray) -> tuple[int, BaseException | None] | None:
        while len(places) > 1:
            first, second = places[: len(places) // 2], places[len(places) // 2 :]
            if fails(write, first):
                places = first
            elif fails(write, second):
                places = second
            else:
                return None  # refused only together
        return int(places[0]), errors[-1] if errors else None

    if len(adding) and fails(add, adding):
        return halve(add, adding)
    if len(changing):
        if len(adding):
            add(adding)
        if fails(change, changing):
            return halve(change, changing)
    return None


def _refused(
    error: BaseException,
    columns: list[str],
    merged: pd.DataFrame,
    place: int,
    writable: list[str],
    names: dict[str, str],
    rows: pd.Series,
    source: str,
) -> Rejected:
    """The database's refusal of the record at ``place`` of the file, as a problem naming its place, its key
    and the field (the file's header) of the rule it breaks."""
    text = _first_line(error)
    given = [c for c in columns if c in writable] or columns
    record = merged.iloc[place]
    field = given[0] if given else ""
    header = names.get(field) or names.get(field.removesuffix("_id")) or names.get(f"{field.removesuffix('_id')}_code")
    value = record.get(field) if field in merged.columns else None
    shown = "" if value is None or (not isinstance(value, shapely.Geometry) and pd.isna(value)) else str(value)
    if "code" in merged.columns:
        what = str(record["code"])
    else:
        what = " ".join(str(record[k]) for k in ("asset_id", "inspected_on", "fiscal_year") if k in merged.columns)
    return Rejected(
        source,
        [Problem(str(rows.iloc[place]), header or field, shown, f"the database refused {what or 'it'}: {text}")],
    )


def _first_line(error: BaseException) -> str:
    cause = getattr(error, "orig", None) or error
    return str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__


def _constraint_columns(cursor: Any, table: sa.Table, error: BaseException) -> list[str]:
    """The columns of ``table`` a refused rule is about: the database's column, or its constraint's columns
    (a CHECK's: those its expression names). PostgreSQL names the constraint apart, and its catalogue gives
    the columns (through ``cursor``), whoever added it; SQLite names it in its message (``CHECK constraint
    failed: name``, ``NOT NULL constraint failed: table.column``), and fm's model gives the columns."""
    cause = getattr(error, "orig", None) or error
    diag = getattr(cause, "diag", None)
    if getattr(diag, "column_name", None):
        return [str(diag.column_name)]
    name, text = getattr(diag, "constraint_name", None) or "", _first_line(error)
    if cursor is not None and name:
        cursor.execute(
            "SELECT a.attname FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid "
            "AND a.attnum = ANY(c.conkey) WHERE c.conname = %s AND c.conrelid = %s::regclass "
            "ORDER BY array_position(c.conkey, a.attnum)",
            [name, table.name],
        )
        found = [row[0] for row in cursor.fetchall()]
        if found:
            return found
    if "constraint failed: " in text:
        said = text.split("constraint failed: ", 1)[1]
        listed = [part.strip().split(".")[-1] for part in said.split(",")]
        if all(c in table.c for c in listed):
            return listed
        name = name or said.strip()
    if not name:
        return []
    for constraint in [*table.constraints, *table.indexes]:
        own = str(constraint.name or "")
        if own and (own == name or name.endswith(f"_{own}")):
            if isinstance(constraint, sa.CheckConstraint):
                expression = str(constraint.sqltext)
                return [c.name for c in table.c if re.search(rf"\b{c.name}\b", expression)]
            return [c.name for c in constraint.columns]
    return [c.name for c in table.c if c.name in name]


def _write_uses(session: Session, merged: pd.DataFrame, uses: pd.DataFrame) -> None:
    """Add the new parcel uses and update the changed ones (after the parcels, whose new ids they need)."""
    ids = store.read_table(session, "land_parcels", ["id", "code"]).set_index("code")["id"]
    uses = uses[uses["changed"]].copy()
    uses["parcel_id"] = merged.loc[uses.index, "code"].map(ids).astype("Int64")
    fields = _use_fields(merged)
    table = metadata.tables["parcel_uses"]
    adding = uses["use_id"].isna()
    if adding.any():
        bulk.insert(session, table, uses.loc[adding, ["parcel_id", "valid_from", *fields]])
    if (~adding).any():
        bulk.update(session, table, uses.loc[~adding, ["use_id", *fields]].rename(columns={"use_id": "id"}))


def changes(
    merged: pd.DataFrame, new: pd.Series, touched: pd.Series, compared: list[str], uses: pd.DataFrame | None
) -> pd.Series:
    """Each added or changed row's ``{field: [old, new]}`` (the added ones from nothing), by the merged index.

    Column by column (values made plain once per column, geometry as WKT in one vectorised call), then
    row by row over plain lists: 100,000 records take about a second.
    """
    chosen = (new | touched).to_numpy()
    rows = merged.index[chosen]
    fields = [c for c in compared if c in merged.columns]
    part = merged.loc[rows]
    after = [audit.plain_values(part[f]) for f in fields]
    before = [
        audit.plain_values(part[f"{f}_old"]) if f"{f}_old" in part.columns else [None] * len(part) for f in fields
    ]
    added = new.loc[rows].to_numpy()
    result = []
    for n in range(len(rows)):
        result.append(
            {
                f: [None if added[n] else old[n], value[n]]
                for f, old, value in zip(fields, before, after, strict=True)
                if (old[n] if not added[n] else None) != value[n]
            }
        )
    if uses is not None:
        names = {"valid_from": "use_since", **{f: f for f in USE_FIELDS}}
        moved = uses.loc[rows]
        for field in (f for f in names if f in moved.columns):
            now = audit.plain_values(moved[field])
            old = audit.plain_values(moved[f"{field}_old"]) if f"{field}_old" in moved.columns else [None] * len(moved)
            flags = moved["changed"].to_numpy()
            for n in range(len(rows)):
                if flags[n] and old[n] != now[n]:
                    result[n][names[field]] = [old[n], now[n]]
    return pd.Series(result, index=rows, dtype=object)


def changes_json(
    merged: pd.DataFrame, new: pd.Series, touched: pd.Series, compared: list[str], uses: pd.DataFrame | None
) -> pd.Series:
    """:func:`changes` as JSON text (:class:`~fm.io.bulk.RawJSON`): what the audit trail stores for every record an
    import adds or changes (:func:`changes_texts`, by the merged index)."""
    rows = merged.index[(new | touched).to_numpy()]
    texts = changes_texts(merged, new, touched, compared, uses).to_pylist()
    return pd.Series([bulk.RawJSON(text) for text in texts], index=rows, dtype=object)


def changes_texts(
    merged: pd.DataFrame, new: pd.Series, touched: pd.Series, compared: list[str], uses: pd.DataFrame | None
) -> pa.Array:
    """Each added or changed record's :func:`changes` as the JSON text ``json.dumps(..., ensure_ascii=False,
    separators=(",", ":"))`` writes, in the merged order: made over whole columns (each field's values as JSON by
    :func:`fm.accounts.audit.json_texts`, compared and joined by Arrow's string kernels), since Python's dict per
    record (or a piece per record and field) cost more than the database's whole insert at 100,000 records."""
    chosen = (new | touched).to_numpy()
    part = merged.loc[chosen]
    added = pa.array(new.to_numpy(dtype=bool)[chosen])
    nothing = pa.nulls(len(part), pa.string())
    pieces: list[pa.Array] = []  # per field: ',"field":[old,new]' where the record's field differs, null elsewhere

    def add(name: str, before: pa.Array, after: pa.Array, keep: pa.Array | None) -> None:
        key = audit.JSON_STRING(name)
        if before.null_count == len(before) and keep is None:  # added records: every value there is
            if after.null_count < len(after):
                pieces.append(pc.binary_join_element_wise(f",{key}:[null,", after, "]", ""))  # null where after is
            return
        differs = pc.or_(
            pc.xor(pc.is_valid(before), pc.is_valid(after)), pc.fill_null(pc.not_equal(before, after), False)
        )
        differs = differs if keep is None else pc.and_(keep, differs)
        if not pc.any(differs).as_py():
            return
        piece = pc.binary_join_element_wise(
            f",{key}:[", pc.fill_null(before, "null"), ",", pc.fill_null(after, "null"), "]", ""
        )
        pieces.append(pc.if_else(differs, piece, nothing))

    for field in (f for f in compared if f in merged.columns):
        old = audit.json_texts(part[f"{field}_old"]) if f"{field}_old" in part.columns else nothing
        add(field, old if old is nothing else pc.if_else(added, nothing, old), audit.json_texts(part[field]), None)
    if uses is not None:
        names = {"valid_from": "use_since", **{f: f for f in USE_FIELDS}}
        moved = uses.loc[part.index]
        for field in (f for f in names if f in moved.columns):
            old = audit.json_texts(moved[f"{field}_old"]) if f"{field}_old" in moved.columns else nothing
            add(names[field], old, audit.json_texts(moved[field]), pa.array(moved["changed"].to_numpy(dtype=bool)))
    if not pieces:
        return pa.array(["{}"] * len(part), type=pa.string())
    joined = pc.binary_join_element_wise(*pieces, "", null_handling="replace", null_replacement="")
    return pc.binary_join_element_wise("{", pc.utf8_slice_codeunits(joined, 1), "}", "")


def listed(
    kind: Kind,
    merged: pd.DataFrame,
    new: pd.Series,
    touched: pd.Series,
    compared: list[str],
    uses: pd.DataFrame | None,
    rows: pd.Series,
    checked: pd.DataFrame,
) -> list[dict[str, Any]]:
    """Each record of ``merged`` added or changed, in file order: ``{row, action, key, changes}``, where
    ``row`` is its place in the file, ``action`` ``add`` or ``update``, ``key`` its code (an inspection:
    the asset's code and the day) and ``changes`` :func:`changes`' ``{field: [old, new]}``. (``merged``'s
    index is the record's position in the file, as in ``rows`` and the ``checked`` records.)"""
    found = changes(merged, new, touched, compared, uses)
    places = rows.to_numpy(dtype=object)
    index = found.index  # plain lists, not a label look-up per record and field
    if kind.name == "inspections":
        codes = checked["asset_code"].astype(str).to_numpy()
        keys = [f"{codes[i]} {day}" for i, day in zip(index, merged.loc[index, "inspected_on"].tolist(), strict=True)]
    elif kind.key != ("code",):
        shown = checked[list(kind.key)].astype(str).to_numpy()
        keys = [" ".join(shown[i]) for i in index]
    else:
        keys = [str(code) for code in merged.loc[index, "code"].tolist()]
    added = new.loc[index].to_numpy(dtype=bool).tolist()
    return [
        {"row": places[i], "action": "add" if add else "update", "key": key, "changes": change}
        for i, add, key, change in zip(index, added, keys, found.tolist(), strict=True)
    ]


def fingerprint(
    kind: Kind, merged: pd.DataFrame, new: pd.Series, touched: pd.Series, compared: list[str], uses: pd.DataFrame | None
) -> str:
    """A digest of every change a run makes: which records, and each compared field's old and new value.

    Two runs of the same file write the same exactly when their digests are equal (vectorised: cheap
    at 100,000 rows, unlike listing each change). Each column is hashed as pandas holds it (numbers and flags
    by their values, text by its characters, anything else by its text; geometry as hex WKB, exact and made
    at once): the same values in the same columns give the same digest, in the preview and when applied.
    """
    rows = (new | touched).to_numpy()
    columns = [*_db_key(kind), *compared, *(f"{c}_old" for c in compared if f"{c}_old" in merged.columns)]
    frame = merged.loc[rows, columns]
    for shape in (c for c in ("geom", "geom_old") if c in frame.columns):
        frame[shape] = shapely.to_wkb(bulk.objects(frame[shape]), hex=True)  # missing: None
    if uses is not None:
        frame = pd.concat([frame, uses.loc[rows].drop(columns=["parcel_id"]).astype(str).add_prefix("use:")], axis=1)
    hashed = pd.util.hash_pandas_object(frame, index=True).to_numpy()
    return hashlib.sha256(hashed.tobytes() + np.asarray(new.to_numpy()[rows]).tobytes()).hexdigest()


def _audit(
    session: Session,
    kind: Kind,
    merged: pd.DataFrame,
    new: pd.Series,
    found: pd.Series,
    actor: str,
    returned: list[tuple[Any, ...]],
    at: datetime,
) -> None:
    """One audit entry per record of ``found`` (the import's added or changed records whose entries the
    database did not write itself), with its changes (:func:`changes_json`), stamped ``at``."""
    if not len(found):
        return
    table = TABLES[kind.name]
    key = list(_db_key(kind))
    index = found.index
    # A changed record's id is known from the comparison; only the added ones' new ids are looked up.
    record_id = np.full(len(index), None, dtype=object)
    if "id" in merged.columns:
        known = merged.loc[index, "id"]
        record_id[known.notna().to_numpy()] = known.dropna().astype("int64").tolist()
    adding = new.loc[index].to_numpy(dtype=bool)
    if adding.any():
        record_id[adding] = _new_ids(session, table, key, merged, index[adding], returned)
    entries = pd.DataFrame(
        {
            "action": np.where(adding, "create", "update"),
            "table_name": table,
            "record_id": pd.array(record_id.tolist(), dtype="Int64"),
            "record_code": merged.loc[index, "code"].to_numpy(dtype=object) if "code" in key else None,
            "changes": found,
        },
        index=found.index,
    )
    audit.record_many(session, entries, actor=actor, source="import", at=at)


def _new_ids(
    session: Session, table: str, key: list[str], merged: pd.DataFrame, places: pd.Index, returned: list[tuple]
) -> list[Any]:
    """The ids the database gave the records at ``places`` of ``merged``, just added: on PostgreSQL from what
    their ``INSERT … RETURNING`` gave (``returned``: id and key; a query joining the new rows by their key
    right after the insert is planned on the table's statistics from before it, as if it were empty: a nested
    loop over 100,000 × 100,000 rows); on SQLite by the key among the table's ids and keys."""
    if session.get_bind().dialect.name == "postgresql":
        given = {tuple(row[1:]): row[0] for row in returned}
        keys = zip(*(merged.loc[places, k].tolist() for k in key), strict=True)
        return [given.get(k) for k in keys]
    ids = store.read_table(session, table, ["id", *key])
    rows = merged.loc[places, key].reset_index().merge(ids, on=key, how="left").set_index("index")
    return [None if pd.isna(v) else int(v) for v in rows.loc[places, "id"].tolist()]
