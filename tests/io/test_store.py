"""Reading tables into frames gives Python values by the column's type on both backends."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from iosample import seed

from fm.db import Database
from fm.io import store
from fm.model import metadata


def test_dates_and_flags_come_back_typed(db_url):
    """On SQLite dates are stored as text and flags as 0/1: a read must convert them, as on PostGIS."""
    seed(db_url)
    database = Database(db_url)
    with database.session() as session:
        orders = store.read_table(session, "work_orders", ["code", "planned_on", "completed_on"])
        assets = store.read_assets(session, columns=("code", "is_evacuation_shelter", "acquisition_date"))
    database.dispose()
    assert orders.set_index("code").loc["W-002", "planned_on"] == date(2027, 4, 1)
    assert assets["is_evacuation_shelter"].map(lambda v: isinstance(v, (bool, np.bool_))).all()
    assert assets.set_index("code").loc["S-001", "is_evacuation_shelter"]
    assert isinstance(assets.set_index("code").loc["P-001", "acquisition_date"], date)


def test_whole_numbers_come_back_as_int64_and_with_nulls_as_Int64(db_url):
    """An INTEGER column without NULLs is int64 (on SQLite made at once from the driver's ints), one with NULLs
    nullable Int64 holding the exact values; on both backends alike."""
    seed(db_url)
    database = Database(db_url)
    with database.session() as session:
        assets = store.read_table(session, "assets", ["id", "district_id", "acquisition_cost", "year_built"])
    database.dispose()
    for name in ("id", "district_id", "acquisition_cost", "year_built"):
        values = assets[name]
        assert str(values.dtype) == ("Int64" if values.isna().any() else "int64"), (name, values.dtype)
    assert assets["id"].is_monotonic_increasing and assets["district_id"].isna().any()


def test_bulk_writes_keep_every_character_and_value(db_url):
    """The COPY text path (PostgreSQL) escapes what its format reserves; a value spelled like its NULL stays a
    value; geometry, dates, flags, whole and decimal numbers and JSON come back as written; SQLite the same."""
    import json

    import pandas as pd
    import shapely

    from fm.io import bulk
    from fm.model import metadata

    seed(db_url)
    tricky = ["tab\there", "new\nline", "back\\slash", "\\N", "", "改行\r\n「引用」", 'quote "x", comma']
    database = Database(db_url)
    with database.session() as session:
        frame = pd.DataFrame(
            {
                "code": [f"T-{n}" for n in range(len(tricky))],
                "name": tricky,
                "category": "library",
                "geom": [shapely.Point(139.55 + n / 1000, 35.31) for n in range(len(tricky))],
                "floor_area_m2": [0.1, 1e-7, 123456.789, None, 2.0, 3.5, 1 / 3],
                "acquisition_cost": pd.array([2**63 - 1, 1, None, 0, 5, 6, 7], dtype="Int64"),
                "acquisition_date": [date(2020, 4, 1), None, date(1999, 12, 31), None, None, None, None],
                "is_evacuation_shelter": [True, False, False, True, False, True, False],
                "status": "in_service",
            }
        )
        bulk.insert(session, metadata.tables["assets"], frame)
        entries = pd.DataFrame({"at": [pd.Timestamp("2026-01-01", tz="UTC")], "actor": ["t"], "source": ["import"]})
        entries = entries.assign(action="update", table_name="assets", record_id=1, record_code="T-0")
        entries["changes"] = [bulk.RawJSON(json.dumps({"name": ["a\tb", "\\N"]}, ensure_ascii=False))]
        bulk.insert(session, metadata.tables["audit_log"], entries)
    with database.session() as session:
        back = store.read_assets(session, columns=tuple(c for c in frame.columns if c != "geom") + ("geom",))
        trail = store.read_table(session, "audit_log", ["record_code", "changes"])
    database.dispose()
    back = back[back["code"].str.startswith("T-")].set_index("code").loc[frame["code"]]
    assert back["name"].tolist() == tricky
    assert back["floor_area_m2"].tolist()[:3] == [0.1, 1e-7, 123456.789] and pd.isna(back["floor_area_m2"].iloc[3])
    assert back["floor_area_m2"].iloc[6] == 1 / 3
    assert back["acquisition_cost"].iloc[0] == 2**63 - 1 and pd.isna(back["acquisition_cost"].iloc[2])
    assert back["acquisition_date"].iloc[0] == date(2020, 4, 1) and back["acquisition_date"].iloc[1] is None
    assert back["is_evacuation_shelter"].tolist()[:2] == [True, False]
    assert [g.wkt for g in back.geometry] == [g.wkt for g in frame["geom"]]
    changes = trail.loc[trail["record_code"] == "T-0", "changes"].iloc[-1]
    assert (changes if isinstance(changes, dict) else json.loads(changes)) == {"name": ["a\tb", "\\N"]}


def test_a_read_of_a_few_ids_gives_what_the_whole_table_gives(db_url):
    """A read by a few ids is fetched (not COPY'd on PostgreSQL): the same values, by column type, as the rows of a
    whole-table read, every table with assets' rows and the assets themselves, geometry included."""
    import pandas as pd

    from fm.model import metadata

    seed(db_url)
    database = Database(db_url)
    with database.session() as session:
        ids = store.read_assets(session, columns=("id",))["id"].tolist()[:5]
        every = tuple(metadata.tables["assets"].c.keys())
        whole = store.read_assets(session, columns=every)
        pairs = [(store.read_assets(session, columns=every, ids=ids), whole[whole["id"].isin(ids)])]
        for name, table in metadata.tables.items():
            if "asset_id" in table.c:
                everything = store.read_table(session, name)
                pairs.append(
                    (store.read_table(session, name, asset_ids=ids), everything[everything["asset_id"].isin(ids)])
                )
    database.dispose()

    def plain(frame: pd.DataFrame) -> list[dict]:
        frame = pd.DataFrame(frame)
        if "geom" in frame.columns:
            frame["geom"] = [None if shape is None else shape.wkb_hex for shape in frame["geom"]]
        frame = frame.astype(object)
        rows = frame.where(frame.notna(), None).to_dict("records")
        return [{k: (v.to_pydatetime() if isinstance(v, pd.Timestamp) else v) for k, v in row.items()} for row in rows]

    assert sum(len(few) for few, _ in pairs) > 5
    for few, full in pairs:
        assert list(few.columns) == list(full.columns)
        assert plain(few.reset_index(drop=True)) == plain(full.reset_index(drop=True))


@pytest.mark.parametrize("backend", ["postgis"])
def test_queries_read_alongside_give_what_each_read_gives(db_url):
    """Read at once on connections of their own (whole numbers, flags and text as arrays, the rest through COPY):
    the frames of the same queries read one by one, NULLs, negative and 64-bit numbers, empty texts and no rows
    at all included."""
    seed(db_url)
    database = Database(db_url)
    work = metadata.tables["work_orders"]
    days = sa.literal_column("(work_orders.completed_on - DATE '2100-01-01')", sa.BigInteger)  # negative, or NULL
    whole = sa.select(work.c.id, work.c.asset_id, days.label("days"), (work.c.id * 2**40).label("big"))
    assets = metadata.tables["assets"]
    unfinished = sa.case((work.c.completed_on.is_(None), sa.null()), else_=work.c.code).label("finished")
    queries = [
        whole,  # whole numbers in no order: as arrays
        whole.order_by(work.c.id.desc()),  # in an order: through COPY
        # flags and text (NULL and empty included) in no order: as arrays; a text holding the separator: COPY
        sa.select(assets.c.id, assets.c.code, assets.c.is_evacuation_shelter, assets.c.on_emergency_road),
        sa.select(work.c.id, work.c.code, unfinished, sa.literal("", sa.String).label("empty")),
        sa.select(work.c.id, sa.literal(f"a{store.TEXT_SEPARATOR}b", sa.String).label("separated")),
        sa.select(work.c.id, work.c.code, work.c.completed_on).order_by(work.c.id),
        sa.select(work.c.id).where(work.c.id < 0),
    ]
    with database.session() as session:
        alongside = store.read_alongside(session, queries)
        one_by_one = [store.read_query(session, query) for query in queries]
    database.dispose()
    assert alongside is not None and alongside[0]["days"].isna().any() and (alongside[0]["days"] < 0).any()
    assert alongside[1]["id"].is_monotonic_decreasing
    for frame, expected in zip(alongside, one_by_one, strict=True):
        pd.testing.assert_frame_equal(
            frame.sort_values("id", ignore_index=True), expected.sort_values("id", ignore_index=True), check_exact=True
        )


def test_queries_read_as_arrays_give_what_a_read_gives(db_url):
    """``read_arrays`` (each column in one piece: SQLite's ``group_concat`` and JSON, PostgreSQL's binary arrays),
    on the session's own connection with its own rows: the frame ``read_query`` gives, dtypes included: whole
    numbers (NULLs, negative and 64-bit ones), flags, any text (the characters that separate or quote, empty,
    NULL), no rows at all."""
    seed(db_url)
    database = Database(db_url)
    work, assets = metadata.tables["work_orders"], metadata.tables["assets"]
    big = (work.c.id * 2**40).label("big")
    negative = sa.case((work.c.completed_on.is_(None), sa.null()), else_=-work.c.id * 2**58).label("negative")
    tricky = sa.literal(f'a{store.TEXT_SEPARATOR}"b,\\c「」', sa.String).label("tricky")
    unfinished = sa.case((work.c.completed_on.is_(None), sa.null()), else_=work.c.code).label("finished")
    shelter = sa.case((assets.c.category == "bridge", sa.null()), else_=assets.c.is_evacuation_shelter)
    queries = [
        sa.select(work.c.id, work.c.asset_id, big, negative, work.c.code, unfinished, tricky),
        sa.select(work.c.id, sa.literal("", sa.String).label("empty")),
        sa.select(assets.c.id, assets.c.is_evacuation_shelter, assets.c.on_emergency_road),
        sa.select(assets.c.id, shelter.label("shelter")),
        sa.select(work.c.id, work.c.code).where(work.c.id < 0),
    ]
    with database.session() as session:
        session.execute(sa.update(work).where(work.c.code == "W-001").values(code="W-001 (new)"))
        frames = [store.read_arrays(session, query).sort_values("id", ignore_index=True) for query in queries]
        fetched = [store.read_query(session, query.order_by("id")) for query in queries]
    database.dispose()
    whole, *_, none = frames
    assert whole["negative"].isna().any() and (whole["negative"] < -(2**53)).any()
    assert "W-001 (new)" in set(whole["code"])
    assert frames[3]["shelter"].isna().any() and frames[3]["shelter"].notna().any()
    assert len(none) == 0
    for frame, expected in zip(frames[:-1], fetched[:-1], strict=True):
        pd.testing.assert_frame_equal(frame, expected, check_exact=True)
    assert list(none.columns) == list(fetched[-1].columns)
    # a column it would cut to a whole number, or an order it would lose, is refused
    with database.session() as session, pytest.raises(ValueError, match="whole numbers, flags and text"):
        store.read_arrays(session, sa.select(assets.c.id, assets.c.floor_area_m2))
    with database.session() as session, pytest.raises(ValueError, match="in an order"):
        store.read_arrays(session, sa.select(work.c.id).order_by(work.c.id))


@pytest.mark.parametrize("backend", ["postgis"], indirect=True)
def test_binary_rows_store_what_the_text_copy_stores(db_url):
    """An import's rows COPYed in binary (``bulk.binary_rows``, PostgreSQL only) are stored exactly as the same rows
    COPYed as text: texts with the characters the text format escapes, NULLs, geometry, dates, flags, integers up to
    BIGINT's and INTEGER's limits, decimals; an integer beyond its column's type is refused, never wrapped."""
    from contextlib import closing

    import shapely

    from fm.io import bulk
    from fm.model import metadata

    seed(db_url)
    tricky = ["tab\there", "new\nline", "back\\slash", "\\N", "", "改行\r\n「引用」", '🏯 "x", comma']
    table = metadata.tables["assets"]
    frame = pd.DataFrame(
        {
            "name": tricky,
            "category": "library",
            "geom": [shapely.Point(139.55 + n / 1000, 35.31) for n in range(6)] + [None],
            "floor_area_m2": [0.1, 1e-7, 123456.789, None, 2.0, 3.5, 1 / 3],
            "acquisition_cost": pd.array([2**63 - 1, 1, None, 0, 5, 6, 7], dtype="Int64"),
            "annual_users": pd.array([2**31 - 1, None, 0, 4, 1, 2, 3], dtype="Int64"),
            "acquisition_date": [date(2020, 4, 1), None, date(1999, 12, 31), date(2000, 1, 1), None, None, None],
            "is_evacuation_shelter": [True, False, False, True, False, True, False],
            "status": "in_service",
            "notes": [None, "メモ", None, None, "x", None, "y"],
        }
    )
    texts = frame.assign(code=[f"COPYTEXT-{n}" for n in range(7)])
    binary = frame.assign(code=[f"COPYBIN-{n}" for n in range(7)])
    database = Database(db_url)
    with database.session() as session:
        bulk.insert(session, table, texts)
        rows = bulk.binary_rows(binary, bulk.binary_types(table, list(binary.columns)))
        with closing(session.connection().connection.driver_connection.cursor()) as cursor:
            bulk.copy_rows_into(cursor, [("assets", list(binary.columns), rows)])
        beyond = binary.assign(annual_users=pd.array([2**31] + [1] * 6, dtype="Int64"))
        with pytest.raises(ValueError, match="annual_users"):
            bulk.binary_rows(beyond, bulk.binary_types(table, list(beyond.columns)))
    with database.session() as session:
        columns = ("id", "code", "version", *(c for c in frame.columns if c != "geom"), "geom")
        back = store.read_assets(session, columns=columns)
    database.dispose()
    stored = {
        prefix: back[back["code"].str.startswith(prefix)].sort_values("code") for prefix in ("COPYTEXT-", "COPYBIN-")
    }
    for name in columns[3:-1]:
        assert stored["COPYBIN-"][name].tolist() == stored["COPYTEXT-"][name].tolist() or (
            stored["COPYBIN-"][name].astype(str).tolist() == stored["COPYTEXT-"][name].astype(str).tolist()
        ), name
    assert [g.wkt if g is not None else None for g in stored["COPYBIN-"].geometry] == [
        g.wkt if g is not None else None for g in stored["COPYTEXT-"].geometry
    ]
    assert stored["COPYBIN-"]["name"].tolist() == tricky
