"""The audit entries of the records an import adds. On PostgreSQL a file of new assets is COPYed chunk by chunk
straight into the table, its entries made over whole columns and COPYed into the trail
(``fm.io.importer._add_in_chunks``); their text must be, character for character, what the import of the same file
checked whole writes (``fm.io.importer.changes_json``, as on SQLite), which every reader of the trail reads: each kind
of value, text that JSON escapes, floats as their shortest text or as integers (1e15 and more too), geometry as WKT to
7 decimals or summarised past 500 characters."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import shapely
import sqlalchemy as sa
from clirun import run
from iosample import rows, seed

from fm.db import Database
from fm.io import importer

ADD_CHUNK = importer._add_chunk
PONDS = shapely.MultiPolygon([shapely.Point(139.54, 35.32).buffer(1e-3), shapely.Point(139.56, 35.32).buffer(1e-3)])
LINE = shapely.LineString([(139.5 + i * 1.234567e-4, 35.3 + (i % 7) * 3.3e-5) for i in range(40)])


def assets_file(path, *, length: float = 310.25) -> None:
    pd.DataFrame(
        {
            "code": ["AU-1", "AU-2", "AU-3", "AU-4"],
            "name": ['引用"符" \\ 逆斜線\tタブ\n改行\r復帰\u2028🏯', "素の名前", "road", "池"],
            "category": ["bridge", "road", "road", "retention_pond"],
            "district": ["kamakura", "", "ofuna", ""],
            "year_built": ["1971", "", "2001", "1999"],
            "structure": ["RC", "", "'0x\\u0041", ""],
            "floor_area_m2": ["", "", "", "0.1"],
            "deck_area_m2": ["370", "", "", ""],
            "length_m": [str(length), "1e-05", "123456789012.5", "0.30000000000000004"],
            "width_m": ["", "999999999999999", "", "4.5"],
            "acquisition_date": ["1971-11-22", "", "2001-04-01", ""],
            "acquisition_cost": ["25578000", "9000000000000000000", "0", ""],
            "is_evacuation_shelter": ["true", "false", "false", "true"],
            "status": ["in_service"] * 4,
            "notes": ["", "メモ", "", "a\\b"],
            "wkt": [
                "POINT (139.51238474999 35.35931)",
                LINE.wkt,
                "MULTILINESTRING ((139.5 35.3, 139.6 35.4), (139.61 35.41, 139.62 35.42))",
                PONDS.wkt,
            ],
        }
    ).to_csv(path, index=False)


def entries(url: str) -> list[tuple]:
    """The import's entries with each record's code, and whether its id is the record's."""
    return rows(
        url,
        "SELECT l.table_name, l.action, l.record_code, l.record_id = a.id, CAST(l.changes AS TEXT) FROM audit_log l "
        "LEFT JOIN assets a ON a.code = l.record_code WHERE l.source = 'import' ORDER BY l.id",
    )


def imported(url: str, path, monkeypatch, *, chunked: bool, postgresql: bool) -> tuple[list[tuple], bool]:
    """Import ``path`` (on PostgreSQL in chunks COPYed if ``chunked``, else checked whole); its entries, then the
    added assets and their entries deleted again; and whether it was COPYed in chunks."""
    made: list[bool] = []

    def spied(*args, **kwargs):
        made.append(True)
        return ADD_CHUNK(*args, **kwargs)

    monkeypatch.setattr(importer, "_add_chunk", spied)
    monkeypatch.setattr(importer, "_only_adds", lambda *args: chunked and postgresql)
    result = run(url, "import", "assets", str(path), "--crs", "4326")
    monkeypatch.undo()
    assert result.exit_code == 0, result.output
    found = entries(url)
    database = Database(url)
    with database.session() as session:
        session.execute(sa.text("DELETE FROM assets WHERE code LIKE 'AU-%'"))
        session.execute(sa.text("DELETE FROM audit_log WHERE source = 'import'"))
    database.dispose()
    return found, made == [True]


def test_the_chunks_copied_write_the_entries_the_whole_file_checked_writes(db_url, backend, tmp_path, monkeypatch):
    seed(db_url)
    path = tmp_path / "assets.csv"
    assets_file(path)
    postgresql = backend == "postgis"
    by_python, _ = imported(db_url, path, monkeypatch, chunked=False, postgresql=postgresql)
    by_database, written = imported(db_url, path, monkeypatch, chunked=True, postgresql=postgresql)
    assert written == postgresql  # SQLite: the one way there is
    assert by_database == by_python
    assert [e[:4] for e in by_database] == [("assets", "create", f"AU-{n}", True) for n in range(1, 5)]
    first, second, third, fourth = (json.loads(e[4]) for e in by_database)
    assert first["name"] == [None, '引用"符" \\ 逆斜線\tタブ\n改行\r復帰\u2028🏯']
    assert first["deck_area_m2"] == [None, 370] and '"deck_area_m2":[null,370]' in by_database[0][4]
    assert first["geom"] == [None, "POINT (139.5123847 35.35931)"] and first["is_evacuation_shelter"] == [None, True]
    assert second["geom"] == [None, "LineString (40 vertices)"] and second["acquisition_cost"][1] == 9 * 10**18
    assert '"length_m":[null,1e-05]' in by_database[1][4] and '"width_m":[null,999999999999999]' in by_database[1][4]
    assert third["geom"][1].startswith("MULTILINESTRING ((139.5 35.3, 139.6 35.4), (")
    assert '"length_m":[null,123456789012.5]' in by_database[2][4] and "district_id" in third
    assert fourth["geom"] == [None, "MultiPolygon (130 vertices)"] and fourth["notes"] == [None, "a\\b"]
    assert '"length_m":[null,0.30000000000000004]' in by_database[3][4]


@pytest.mark.parametrize("length", [1e15, 2.5e16])
def test_large_whole_floats_are_written_as_integers(db_url, backend, tmp_path, monkeypatch, length):
    seed(db_url)
    path = tmp_path / "assets.csv"
    assets_file(path, length=length)
    postgresql = backend == "postgis"
    by_python, _ = imported(db_url, path, monkeypatch, chunked=False, postgresql=postgresql)
    by_database, written = imported(db_url, path, monkeypatch, chunked=True, postgresql=postgresql)
    assert written == postgresql and by_database == by_python
    assert f'"length_m":[null,{int(length)}]' in by_database[0][4]


@pytest.mark.parametrize("backend", ["postgis"], indirect=True)
def test_the_entries_rows_store_what_record_many_stores(db_url):
    """The entries of added records COPYed in binary (``audit.created_rows``) are stored as ``audit.record_many``
    stores the same entries: the time to the microsecond, actor, source, action, table, id, code (or none) and the
    changes' JSON text as it was made (escapes, non-ASCII, characters COPY's text format escapes)."""
    from contextlib import closing
    from datetime import UTC, datetime

    import numpy as np
    import pyarrow as pa

    from fm.accounts import audit
    from fm.io import bulk

    seed(db_url)
    at = datetime(2026, 12, 6, 14, 31, 57, 576932, tzinfo=UTC)
    changes = ['{"name":[null,"a\\tb \\\\ \\"q\\""]}', '{"notes":[null,"改行\\n🏯\\u2028"]}', "{}"]
    codes = ["E-1", None, "E-3\tx"]
    database = Database(db_url)
    with database.session() as session:
        audit.record_many(
            session,
            pd.DataFrame(
                {
                    "action": "create",
                    "table_name": "assets",
                    "record_id": [1, 2, 3],
                    "record_code": codes,
                    "changes": pd.Series([bulk.RawJSON(text) for text in changes], dtype=object),
                }
            ),
            actor="cli:by-insert",
            source="import",
            at=at,
        )
        made = audit.created_rows(
            "assets",
            np.array([1, 2, 3]),
            pa.array(codes, type=pa.string()),
            pa.array(changes, type=pa.string()),
            at=at,
            actor="cli:by-copy",
            source="import",
        )
        with closing(session.connection().connection.driver_connection.cursor()) as cursor:
            bulk.copy_rows_into(cursor, [("audit_log", audit.CREATED_COLUMNS, made)])
    database.dispose()
    query = (
        "SELECT at, source, action, table_name, record_id, record_code, CAST(changes AS TEXT) FROM audit_log "
        "WHERE actor = '{}' ORDER BY id"
    )
    by_insert, by_copy = rows(db_url, query.format("cli:by-insert")), rows(db_url, query.format("cli:by-copy"))
    assert by_copy == by_insert and len(by_copy) == 3
    assert by_copy[0][0] == at and [row[6] for row in by_copy] == changes
