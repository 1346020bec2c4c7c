"""Adding a spatial file of new assets chunk by chunk (``fm.io.importer._add_in_chunks``, PostgreSQL: the next chunk
checked while the database inserts one) gives exactly what checking the whole file first gives: the same records,
ids in file order, audit entries and output; and the same error, with nothing written, for a problem in any chunk,
a code repeated in another chunk, or a record the database refuses. On SQLite (never chunked) the same checks hold
of the one way there is."""

from __future__ import annotations

from contextlib import closing

import geopandas as gpd
import pytest
import sqlalchemy as sa
from clirun import run
from iosample import rows, seed
from shapely import LineString, Point

from fm.db import Database
from fm.io import files, importer
from fm.model import metadata

COLUMNS = (
    "code, name, category, district_id, geom, year_built, structure, floor_area_m2, length_m, "
    "acquisition_date, acquisition_cost, is_evacuation_shelter, status, notes, version"
)


def assets_file(path, *, names: list[str] | None = None, codes: list[str] | None = None, years=None) -> None:
    count = 7
    gpd.GeoDataFrame(
        {
            "code": codes or [f"CH-{n}" for n in range(count)],
            "name": names or ['引用"符"\tタブ\n改行', "素の名前", "橋", "道", "a\\b", "🏯", "末"],
            "category": ["bridge", "road", "bridge", "road", "school", "school", "park"],
            "year_built": years or [1971, None, 2001, 1999, 1980, 1990, 2000],
            "structure": ["RC", None, "鋼", None, "RC", "RC", None],
            "floor_area_m2": [None, None, None, None, 370.0, 0.30000000000000004, None],
            "length_m": [12.5, 310.25, 1e-05, 7.0, None, None, None],
            "acquisition_date": ["1971-11-22", None, "2001-04-01", None, "1980-04-01", None, None],
            "acquisition_cost": [25578000, 0, None, 9000000000000000000, 1, 2, 3],
            "is_evacuation_shelter": [True, False, False, True, True, False, False],
            "notes": [None, "メモ", None, None, "x", None, "y"],
        },
        geometry=[
            Point(139.55, 35.32),
            LineString([(139.5, 35.3), (139.51, 35.31)]),
            Point(139.551, 35.321),
            LineString([(139.52, 35.3), (139.53, 35.31)]),
            Point(139.552, 35.322),
            Point(139.553, 35.323),
            Point(139.554, 35.324).buffer(1e-3),
        ],
        crs=4326,
    ).to_file(path, layer="assets")


def imported(
    url: str, path, monkeypatch, *, chunked: bool, reads: list[tuple] | None = None
) -> tuple[str, list[tuple], list[tuple], list[tuple]]:
    """Import ``path`` in chunks growing from 1 row to 3 (1, 2, 3, 1) or the whole file checked first; the command's
    output, the added assets in the order of their ids, the import's entries (code, whether the id is the asset's,
    the changes) and the chunks written; then the assets and entries deleted again. ``reads``: each read of the
    file's features, (first, how many) with None for the rest of the file."""
    chunks: list[int] = []
    add_chunk, read_features = importer._add_chunk, files.Layer._read

    def spied(*args, **kwargs):
        chunks.append(len(args[2].rows))
        return add_chunk(*args, **kwargs)

    def read(layer, start, count):
        (reads if reads is not None else []).append((start, count))
        return read_features(layer, start, count)

    monkeypatch.setattr(importer, "FIRST_CHUNK_ROWS", 1)
    monkeypatch.setattr(importer, "CHUNK_ROWS", 3)
    monkeypatch.setattr(importer, "_add_chunk", spied)
    monkeypatch.setattr(files.Layer, "_read", read)
    if not chunked:
        monkeypatch.setattr(importer, "_only_adds", lambda *args: False)
    result = run(url, "import", "assets", str(path))
    monkeypatch.undo()
    added = rows(url, f"SELECT {COLUMNS} FROM assets WHERE code LIKE 'CH-%' OR code LIKE 'ch-%' ORDER BY id")
    entries = rows(
        url,
        "SELECT l.action, l.record_code, l.record_id = a.id, CAST(l.changes AS TEXT) FROM audit_log l "
        "LEFT JOIN assets a ON a.code = l.record_code WHERE l.source = 'import' ORDER BY l.id",
    )
    database = Database(url)
    with database.session() as session:
        session.execute(sa.text("DELETE FROM audit_log WHERE source = 'import'"))
        session.execute(sa.text("DELETE FROM assets WHERE code LIKE 'CH-%' OR code LIKE 'ch-%'"))
    database.dispose()
    return result.output, added, entries, chunks


@pytest.mark.parametrize("seeded", [False, True], ids=["new register", "beside stored assets"])
def test_adding_in_chunks_writes_what_checking_first_writes(db_url, backend, tmp_path, monkeypatch, seeded):
    if seeded:
        seed(db_url)
    path = tmp_path / "assets.gpkg"
    assets_file(path)
    reads: list[tuple] = []
    output, added, entries, chunks = imported(db_url, path, monkeypatch, chunked=True, reads=reads)
    assert chunks == ([1, 2, 3, 1] if backend == "postgis" else [])
    # PostgreSQL: each chunk's features read from the file when it is checked, none read twice
    assert reads == ([(0, 1), (1, 2), (3, 3), (6, 1)] if backend == "postgis" else [(0, None)])
    assert "7 added" in output
    assert [row[0] for row in added] == [f"CH-{n}" for n in range(7)]  # ids in file order
    assert len(entries) == 7 and all(same for _, _, same, _ in entries)
    assert (output, added, entries) == imported(db_url, path, monkeypatch, chunked=False)[:3]


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"years": [1971, None, 2001, 1999, 1980, 1990, 1066]}, "year_built"),  # the last chunk
        ({"years": [1066, None, 2001, 1999, 1980, 1990, 1066]}, "year_built"),  # the first and the last
        ({"codes": [f"CH-{n}" for n in range(6)] + ["ch-1"]}, "duplicate"),  # a code of the first chunk
    ],
    ids=["last chunk", "first and last chunks", "code of an earlier chunk"],
)
def test_a_problem_in_any_chunk_is_the_whole_files_error_and_nothing_is_written(
    db_url, tmp_path, monkeypatch, change, said
):
    path = tmp_path / "assets.gpkg"
    assets_file(path, **change)
    output, added, entries, _ = imported(db_url, path, monkeypatch, chunked=True)
    assert said in output and "Traceback" not in output
    assert added == [] and entries == []
    assert output == imported(db_url, path, monkeypatch, chunked=False)[0]


@pytest.mark.postgis
@pytest.mark.parametrize("backend", ["postgis"])  # SQLite cannot add a CHECK to a table, and is never chunked
@pytest.mark.parametrize(
    ("name", "feature", "chunks"),
    [("末", "feature 7", [1, 2, 3, 1]), ("素の名前", "feature 2", [1, 2])],
    ids=["last chunk", "second chunk"],
)
def test_a_record_the_database_refuses_in_a_later_chunk_is_named_and_nothing_is_written(
    db_url, tmp_path, monkeypatch, name, feature, chunks
):
    database = Database(db_url)
    with database.session() as session:
        session.execute(sa.text(f"ALTER TABLE assets ADD CONSTRAINT ck_assets_test CHECK (name <> '{name}')"))
    database.dispose()
    path = tmp_path / "assets.gpkg"
    assets_file(path)
    output, added, entries, written = imported(db_url, path, monkeypatch, chunked=True)
    assert written == chunks and feature in output and "ck_assets_test" in output
    assert added == [] and entries == []
    assert output == imported(db_url, path, monkeypatch, chunked=False)[0]


@pytest.mark.postgis
@pytest.mark.parametrize("backend", ["postgis"])  # SQLite is never chunked
@pytest.mark.parametrize("seeded", [False, True], ids=["new register", "beside stored assets"])
def test_the_keys_and_indexes_made_after_the_rows_are_the_ones_dropped_and_a_refusal_keeps_them(
    db_url, tmp_path, monkeypatch, seeded
):
    """Into an empty table the foreign keys and the indexes that hold no rule are dropped, and made again once the
    rows are in; into a table that holds records none is dropped. Either way, and after a refused import, they are
    what they were, and the keys hold."""
    if seeded:
        seed(db_url)
    schema = (
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'assets' UNION ALL "
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'assets'::regclass ORDER BY 1"
    )
    before = rows(db_url, schema)
    dropped: list[list[str]] = []
    built_after = importer._built_after
    monkeypatch.setattr(importer, "_built_after", lambda *args: dropped.append(built_after(*args)) or dropped[-1])
    path = tmp_path / "assets.gpkg"
    assets_file(path)
    output = run(db_url, "import", "assets", str(path)).output
    assert "7 added" in output
    assert rows(db_url, schema) == before
    database = Database(db_url)
    with pytest.raises(sa.exc.IntegrityError, match="fk_assets_district_id_districts"), database.session() as session:
        session.execute(sa.text("UPDATE assets SET district_id = -1 WHERE code = 'CH-0'"))
    with database.session() as session:
        session.execute(sa.text("DELETE FROM audit_log WHERE source = 'import'"))
        session.execute(sa.text("DELETE FROM assets WHERE code LIKE 'CH-%'"))
        session.execute(sa.text("ALTER TABLE assets ADD CONSTRAINT ck_assets_test CHECK (name <> '末')"))
    database.dispose()
    assert "ck_assets_test" in run(db_url, "import", "assets", str(path)).output
    assert sorted(rows(db_url, schema)) == sorted([*before, ("ck_assets_test", "CHECK (((name)::text <> '末'::text))")])
    keys = [f"ALTER TABLE assets ADD CONSTRAINT {name} {rule}" for name, rule in before if rule.startswith("FOREIGN")]
    indexes = [rule for _, rule in before if rule.startswith("CREATE INDEX")]
    assert dropped == ([[], []] if seeded else [keys + indexes, keys + indexes])
    assert len(keys) == 2 and any("USING gist (geom)" in index for index in indexes)


@pytest.mark.postgis
@pytest.mark.parametrize("backend", ["postgis"])
def test_the_tables_the_dropped_keys_refer_to_stay_locked_until_the_keys_are_checked_again(db_url):
    """With the foreign keys dropped for a first import, the districts and categories are locked against other
    sessions (none of their rows can go before the keys are checked again) until the import ends."""
    seed(db_url)
    database = Database(db_url)
    with database.session() as session:
        session.execute(sa.text("TRUNCATE assets CASCADE"))
    other = sa.create_engine(db_url)

    def read(table: str) -> None:
        with other.begin() as connection:
            connection.execute(sa.text("SET LOCAL lock_timeout = '200ms'"))
            connection.execute(sa.text(f"SELECT FROM {table} LIMIT 1"))

    with database.session() as session:
        with closing(session.connection().connection.driver_connection.cursor()) as cursor:
            assert importer._built_after(cursor, metadata.tables["assets"])
        for table in ("districts", "asset_categories", "assets"):
            with pytest.raises(sa.exc.OperationalError, match="lock timeout"):
                read(table)
        session.rollback()
    for table in ("districts", "asset_categories", "assets"):  # the import over
        read(table)
    other.dispose()
    database.dispose()
