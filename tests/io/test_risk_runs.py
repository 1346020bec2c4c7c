"""How risk runs are stored: one partition per run on PostgreSQL, written whole or not at all, replaced and
forgotten by dropping it; the plain table on SQLite; the migration moving stored scores both ways."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from sample import add_sample
from sqlalchemy.orm import Session

from fm.db import Database, migrate
from fm.io import risk as risk_store
from fm.model import RiskRun, RiskScore


def _scores(ids: dict[str, int], worst: str, day: date) -> pd.DataFrame:
    """A hand-made run: every component given, ``worst`` scored highest, one asset never inspected."""
    codes = sorted(ids)
    rows = []
    for number, code in enumerate(codes):
        score = 0.9 if code == worst else 0.1 + number / 100
        rows.append(
            {
                "id": ids[code],
                "probability": score,
                "consequence": 1.0,
                "score": score,
                "risk_class": "high" if code == worst else "low",
                "likelihood_class": 5 if code == worst else 1,
                "consequence_class": 3,
                "state": None if number == 0 else 2,
                "inspected_on": None if number == 0 else day,
                "years_since": 1.5,
                "p_condition": score,
                "p_age": 0.25,
                "age": None if number == 0 else 40.0,
                "life": 60.0,
                "remaining_years": 12.5,
                **{name: 0.5 for name in risk_store.FROM_SCORES if name.startswith("c_")},
            }
        )
    return pd.DataFrame(rows)


def _partitions(connection: sa.Connection) -> list[str]:
    return (
        connection.execute(
            sa.text(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = 'risk_scores'::regclass ORDER BY c.relname"
            )
        )
        .scalars()
        .all()
    )


def _write(database: Database, ids: dict[str, int], worst: str, day: date) -> int:
    with database.session() as session:
        return risk_store.write_run(session, _scores(ids, worst, day), computed_on=day, config={}, model={})


def test_runs_are_written_replaced_read_and_forgotten(db_url):
    database = Database(db_url)
    with database.session() as session:
        ids = add_sample(session)
    ids = {code: ids[code] for code in ("B-001", "B-002", "S-001")}
    first = _write(database, ids, "B-001", date(2026, 4, 1))
    second = _write(database, ids, "B-002", date(2026, 5, 1))
    third = _write(database, ids, "S-001", date(2026, 5, 1))  # the same day again: replaces the second
    with database.session() as session:
        assert sorted(session.scalars(sa.select(RiskRun.id))) == [first, third]
        run, top = risk_store.read_latest(session, limit=1)
        assert run.id == third and top["code"].tolist() == ["S-001"]
        _, every = risk_store.read_latest(session)
        assert len(every) == 3 and every["state"].isna().sum() == 1 and every["inspected_on"].isna().sum() == 1
        assert every.set_index("code").at["B-002", "inspected_on"] == date(2026, 5, 1)
        counts = dict(session.execute(sa.text("SELECT run_id, count(*) FROM risk_scores GROUP BY run_id")).all())
        assert counts == {first: 3, third: 3}
        if session.get_bind().dialect.name == "postgresql":
            connection = session.connection()
            assert _partitions(connection) == sorted([f"risk_scores_run_{first}", f"risk_scores_run_{third}"])
            assert connection.execute(sa.text(f"SELECT to_regclass('risk_scores_run_{second}')")).scalar() is None
            # The partition's own indexes were adopted by the table's: none built twice.
            indexes = connection.execute(
                sa.text(f"SELECT count(*) FROM pg_indexes WHERE tablename = 'risk_scores_run_{third}'")
            ).scalar()
            assert indexes == 2
            # The worst of the latest run reads that run's partition only, through its ranking index (three rows
            # are read faster without it: the planner is told to use it if it can, as it does with many rows).
            connection.execute(sa.text("SET LOCAL enable_seqscan = off"))
            plan = "\n".join(
                connection.execute(
                    sa.text(
                        f"EXPLAIN SELECT asset_id FROM risk_scores WHERE run_id = {third} ORDER BY score DESC LIMIT 5"
                    )
                ).scalars()
            )
            assert f"risk_scores_run_{third}" in plan and f"risk_scores_run_{first}" not in plan
            assert "Index Scan Backward" in plan
            # The map's classes come from the run's key alone (it carries them), and its pages are all-visible
            # as the COPY wrote them (frozen): no row is fetched from the table. (ANALYZE tells the planner so,
            # as autovacuum does after a run is written.)
            connection.execute(sa.text(f"ANALYZE risk_scores_run_{third}"))
            plan = "\n".join(
                connection.execute(
                    sa.text(
                        "EXPLAIN (ANALYZE, COSTS OFF) SELECT asset_id, risk_class, state FROM risk_scores "
                        f"WHERE run_id = {third} AND asset_id IN ({', '.join(map(str, ids.values()))})"
                    )
                ).scalars()
            )
            assert f"Index Only Scan using risk_scores_run_{third}_pkey" in plan and "Heap Fetches: 0" in plan
            # An asset's scores in every run (what deleting it cascades to) are found through the key too.
            plan = "\n".join(
                connection.execute(
                    sa.text(f"EXPLAIN SELECT run_id FROM risk_scores WHERE asset_id = {ids['B-001']}")
                ).scalars()
            )
            assert plan.count("_pkey") == 2 and "Seq Scan" not in plan
    # A score for an asset that does not exist is refused, and nothing of the run is left.
    bad = _scores(ids, "B-001", date(2026, 6, 1))
    bad.loc[0, "id"] = 999_999
    with pytest.raises(Exception, match="(?i)foreign key"):  # the driver's own error: written through it
        with database.session() as session:
            risk_store.write_run(session, bad, computed_on=date(2026, 6, 1), config={}, model={})
    with database.session() as session:
        assert sorted(session.scalars(sa.select(RiskRun.id))) == [first, third]
        if session.get_bind().dialect.name == "postgresql":
            assert len(_partitions(session.connection())) == 2
        risk_store.delete_runs(session)
    with database.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(RiskRun)) == 0
        assert session.execute(sa.text("SELECT count(*) FROM risk_scores")).scalar() == 0
        if session.get_bind().dialect.name == "postgresql":
            assert _partitions(session.connection()) == []
    database.dispose()


def _stored(database: Database, run_id: int) -> list[tuple]:
    """A run's stored rows without the run's id, by asset, their digest last."""
    columns = ", ".join(risk_store.TABLE_COLUMNS[1:])
    with database.connect() as connection:
        query = f"SELECT {columns} FROM risk_scores WHERE run_id = {int(run_id)} ORDER BY asset_id"
        return [tuple(row) for row in connection.execute(sa.text(query))]


def test_a_run_replacing_the_same_day_stores_what_a_new_run_stores(db_url):
    """On SQLite a run replacing one of the same day writes only the rows that differ (and deletes the assets it no
    longer scores): what is stored is exactly what a run written afresh stores, the configuration and model are the
    new ones, and a replacement that fails leaves the replaced run as it was."""
    database = Database(db_url)
    with database.session() as session:
        ids = add_sample(session)
    codes = sorted(ids)
    day, other = date(2026, 4, 1), date(2026, 4, 2)
    _write(database, {code: ids[code] for code in codes[:-1]}, codes[0], day)
    # Every score changed for one asset, none for another, the first asset no longer scored, the last one new.
    scores = _scores({code: ids[code] for code in codes[1:]}, codes[-1], day)
    with database.session() as session:
        replaced = risk_store.write_run(session, scores, computed_on=day, config={"v": 2}, model={"m": 2})
    with database.session() as session:
        fresh = risk_store.write_run(session, scores, computed_on=other, config={}, model={})
    assert _stored(database, replaced) == _stored(database, fresh) and len(_stored(database, fresh)) == len(codes) - 1
    with database.session() as session:
        run = session.get(RiskRun, replaced)
        assert (run.computed_on, run.config, run.model) == (day, {"v": 2}, {"m": 2})
        assert risk_store.latest_run(session).id == fresh
    bad = scores.copy()
    bad.loc[0, "id"] = 999_999
    bad.loc[1, "score"] = 0.99
    with pytest.raises(Exception, match="(?i)foreign key"):
        with database.session() as session:
            risk_store.write_run(session, bad, computed_on=day, config={"v": 3}, model={})
    assert _stored(database, replaced) == _stored(database, fresh)
    with database.session() as session:
        assert session.get(RiskRun, replaced).config == {"v": 2}
    database.dispose()


def test_a_replacement_finds_every_change_to_the_last_bit(db_url):
    """A same-day run whose scores differ from the stored ones by one float's last bit, a NULL become a value and
    a value become NULL, with one asset gone and one new, stores exactly what a run written afresh stores (on
    SQLite only those rows are rewritten: an equality any looser than the stored bits would keep the old values)."""
    database = Database(db_url)
    with database.session() as session:
        ids = add_sample(session)
    codes = sorted(ids)
    day, other = date(2026, 4, 1), date(2026, 4, 2)
    before = _scores({code: ids[code] for code in codes[:-1]}, codes[0], day)
    with database.session() as session:
        risk_store.write_run(session, before, computed_on=day, config={}, model={})
    after = pd.concat([before.iloc[1:], _scores({codes[-1]: ids[codes[-1]]}, codes[-1], day)], ignore_index=True)
    after.loc[0, "score"] = np.nextafter(after.loc[0, "score"], 1.0)
    after.loc[1, "age"] = None
    first = before.loc[0].drop("id")  # never inspected: its NULLs given to another asset, and its values taken
    after.loc[2, first.index] = first.to_numpy()
    for scores in (after, after):  # the second time nothing changes
        with database.session() as session:
            replaced = risk_store.write_run(session, scores, computed_on=day, config={}, model={})
    with database.session() as session:
        fresh = risk_store.write_run(session, after, computed_on=other, config={}, model={})
    assert _stored(database, replaced) == _stored(database, fresh) and len(_stored(database, fresh)) == len(after)
    database.dispose()


def _another(value: object, kind: str) -> object:
    """A stored value changed as little as its type allows: a float by its last bit, a number by one, a day by one
    day, a text by a letter."""
    if kind == "float8":
        return float(np.nextafter(value, 0.0))
    if kind == "int2":
        return int(value) + 1
    if kind == "date":
        return pd.Timestamp(value).date() + timedelta(days=1)
    return f"{value}x"


def _rewritten(database: Database, scores: pd.DataFrame, day: date) -> tuple[int, int]:
    """Replace the run of ``day`` with ``scores``: the run's id and how many rows the write changed on SQLite (0 on
    PostgreSQL, where the run's partition is written whole)."""
    with database.session() as session:
        driver = session.connection().connection.driver_connection
        before = getattr(driver, "total_changes", 0)
        run_id = risk_store.write_run(session, scores, computed_on=day, config={}, model={})
        return run_id, getattr(driver, "total_changes", 0) - before


def test_a_replacement_rewrites_each_changed_column_and_only_its_rows(db_url):
    """Each stored column changed in turn (every name of FROM_SCORES: numbers by their last bit, text, days; where
    the column allows it, a NULL become a value and values become NULL): the replacement stores exactly what a run
    written afresh stores, digests included, and on SQLite rewrites the changed rows alone (the digests tell them)."""
    database = Database(db_url)
    with database.session() as session:
        ids = add_sample(session)
    day = date(2026, 4, 1)
    before = _scores(ids, sorted(ids)[-1], day)
    _, written = _rewritten(database, before, day)
    _, unchanged = _rewritten(database, before, day)  # the run's own row alone
    assert written - unchanged == (len(before) if database.engine.dialect.name == "sqlite" else 0)
    for number, (name, kind) in enumerate(risk_store.FROM_SCORES.items()):
        after = before.astype({name: object})
        after.loc[1, name] = _another(after.loc[1, name], kind)
        changed = 1
        if RiskScore.__table__.c[name].nullable:  # row 0 (never inspected) has NULLs, row 2 none
            after.loc[0, name] = after.loc[1, name] if pd.isna(before.loc[0, name]) else None
            after.loc[2, name] = None
            changed = 3
        replaced, count = _rewritten(database, after, day)
        with database.session() as session:
            fresh = risk_store.write_run(
                session, after, computed_on=day + timedelta(days=1 + number), config={}, model={}
            )
        assert _stored(database, replaced) == _stored(database, fresh), name
        assert count - unchanged == (changed if database.engine.dialect.name == "sqlite" else 0), name
        _rewritten(database, before, day)
    database.dispose()


def test_a_digest_tells_a_null_from_a_zero_in_every_column():
    """A NULL and the value stored as all-zero bits (0.0, 0, the day 1970-01-01, empty text) in each column of
    FROM_SCORES give 2 × 21 different digests of one row."""
    row = _scores({"A-1": 1, "A-2": 2}, "A-1", date(2026, 4, 1)).iloc[[1]].reset_index(drop=True)
    zero = {"float8": 0.0, "int2": 0, "date": date(1970, 1, 1), "text": ""}
    digests = set()
    for name, kind in risk_store.FROM_SCORES.items():
        for value in (None, zero[kind]):
            changed = row.astype({name: object})
            changed.loc[0, name] = value
            digests.add(int(risk_store.row_digests(changed)[0]))
    assert len(digests) == 2 * len(risk_store.FROM_SCORES)


def test_rows_written_before_the_digests_are_rewritten(db_url):
    """Rows stored without a digest (written before migration 0022) are rewritten by the next same-day run, whether
    their values differ or not, and then carry the digests a fresh run stores: on SQLite fm.io.risk.row_digests of
    the scores, on PostgreSQL none (a run's partition is replaced whole, nothing compares them)."""
    database = Database(db_url)
    with database.session() as session:
        ids = add_sample(session)
    codes = sorted(ids)
    day, other = date(2026, 4, 1), date(2026, 4, 2)
    scores = _scores(ids, codes[0], day)
    for stored in (_scores(ids, codes[-1], day), scores):  # older values, then the same ones
        run_id = _write(database, {code: ids[code] for code in codes}, codes[-1], day)
        with database.session() as session:
            risk_store.write_run(session, stored, computed_on=day, config={}, model={})
            session.execute(sa.update(RiskScore).where(RiskScore.run_id == run_id).values(digest=None))
        replaced, _ = _rewritten(database, scores, day)
        with database.session() as session:
            fresh = risk_store.write_run(session, scores, computed_on=other, config={}, model={})
        assert _stored(database, replaced) == _stored(database, fresh)
        made = dict(zip(scores["id"], risk_store.row_digests(scores).tolist(), strict=True))
        sqlite = database.engine.dialect.name == "sqlite"
        assert [row[-1] for row in _stored(database, replaced)] == [
            made[row[0]] if sqlite else None for row in _stored(database, fresh)
        ]
        with database.session() as session:
            session.execute(sa.delete(RiskRun).where(RiskRun.id == fresh))
    database.dispose()


@pytest.mark.parametrize("backend", ["postgis"])  # SQLite has one writer and blocks readers of its file the other way
def test_readers_see_the_old_run_until_the_new_one_commits(db_url):
    database = Database(db_url)
    with database.session() as session:
        ids = add_sample(session)
    ids = {code: ids[code] for code in ("B-001", "B-002")}
    old = _write(database, ids, "B-001", date(2026, 4, 1))
    with Session(database.engine) as writer, Session(database.engine) as reader:
        # Another day (a run replacing the same day drops the old partition: readers wait from there to the commit).
        new = risk_store.write_run(
            writer, _scores(ids, "B-002", date(2026, 5, 1)), computed_on=date(2026, 5, 1), config={}, model={}
        )
        run, top = risk_store.read_latest(reader, limit=1)
        assert (run.id, top["code"].tolist()) == (old, ["B-001"])
        reader.rollback()
        writer.commit()
        run, top = risk_store.read_latest(reader, limit=1)
        assert (run.id, top["code"].tolist()) == (new, ["B-002"])
    database.dispose()


def test_migration_moves_stored_scores_into_partitions_and_back(empty_db_url):
    database = Database(empty_db_url)
    with database.connect() as connection:
        migrate.upgrade(connection, "0015")
    with database.session() as session:
        ids = add_sample(session)
        for day in ("2026-04-01", "2026-05-01"):
            session.execute(
                sa.text("INSERT INTO risk_runs (computed_on, config, model) VALUES (:day, '{}', '{}')").bindparams(
                    day=date.fromisoformat(day)
                )
            )
        session.execute(
            sa.text(
                "INSERT INTO risk_scores (run_id, asset_id, probability, consequence, score, risk_class, "
                "likelihood_class, consequence_class, years_since, p_condition, p_age, remaining_years, c_category, "
                "c_users, c_replacement_cost, c_evacuation_shelter, c_emergency_road, c_railway, "
                "c_district_population) SELECT r.id, a.id, 0.5, 0.5, 0.25, 'low', 1, 1, 1, 0.5, 0.5, 10, 0, 0, 0, "
                "0, 0, 0, 0 FROM risk_runs r CROSS JOIN assets a"
            )
        )
    stored = len(ids) * 2
    postgresql = empty_db_url.startswith("postgresql")
    with database.connect() as connection:
        migrate.upgrade(connection)
        assert migrate.schema_differences(connection) == []
        assert connection.execute(sa.text("SELECT count(*) FROM risk_scores")).scalar() == stored
        # 0019: keyed by asset then run; on PostgreSQL every stored run's partition too, carrying the map's classes
        assert sa.inspect(connection).get_pk_constraint("risk_scores")["constrained_columns"] == ["asset_id", "run_id"]
        if postgresql:
            assert len(_partitions(connection)) == 2
            keys = connection.execute(
                sa.text("SELECT indexdef FROM pg_indexes WHERE indexname LIKE 'risk\\_scores\\_run\\_%\\_pkey'")
            ).scalars()
            assert [k.endswith("(asset_id, run_id) INCLUDE (risk_class, state)") for k in keys] == [True, True]
        migrate.downgrade(connection, "0018")
        assert sa.inspect(connection).get_pk_constraint("risk_scores")["constrained_columns"] == ["run_id", "asset_id"]
        indexes = {index["name"] for index in sa.inspect(connection).get_indexes("risk_scores")}
        assert {"ix_risk_scores_asset_id", "ix_risk_scores_map", "ix_risk_scores_ranking"} <= indexes
        assert connection.execute(sa.text("SELECT count(*) FROM risk_scores")).scalar() == stored
        migrate.downgrade(connection, "0015")
        assert connection.execute(sa.text("SELECT count(*) FROM risk_scores")).scalar() == stored
        if postgresql:
            assert connection.execute(sa.text("SELECT to_regclass('risk_scores_run_1')")).scalar() is None
        migrate.upgrade(connection)
        assert connection.execute(sa.text("SELECT count(*) FROM risk_scores")).scalar() == stored
    database.dispose()
