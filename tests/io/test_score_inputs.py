"""What `fm score` reads: one row per asset, the latest inspection and restoring work computed by the database,
giving the very scores that every inspection and work order read whole gives; the models reused without
reading any history while nothing they depend on changed."""

from __future__ import annotations

import json
import threading
from datetime import date

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from sample import add_sample

from fm.app import risk
from fm.db import Database
from fm.domain.risk import deterioration
from fm.domain.risk.config import load_config
from fm.domain.risk.score import NETWORK_CATEGORIES, score_risk, state_distributions
from fm.io import risk as risk_store
from fm.io import store
from fm.model import Asset, Inspection, RiskRun, WorkOrder

AS_OF = date(2026, 4, 1)


def _history(session, ids: dict[str, int]) -> None:
    """The sample with ties, repairs, missing dates and records past ``AS_OF`` (their expected effect beside)."""
    session.add_all(
        [
            # B-001 (soundness): two inspections on the latest day (the worse, Ⅲ, counts); one on the wrong scale
            # later (a score, no soundness: not a state of a bridge); one after AS_OF (not yet)
            Inspection(asset_id=ids["B-001"], inspected_on=date(2024, 10, 1), soundness=2),
            Inspection(asset_id=ids["B-001"], inspected_on=date(2024, 10, 1), soundness=3),
            Inspection(asset_id=ids["B-001"], inspected_on=date(2025, 1, 1), condition_score=5),
            Inspection(asset_id=ids["B-001"], inspected_on=date(2027, 1, 1), soundness=4),
            # B-002 (no acquisition date, never inspected): two restoring works on one day, the one recorded last
            # (a preventive repair recording Ⅱ) counts; a planned one and one completed after AS_OF do not
            WorkOrder(
                code="W-101", asset_id=ids["B-002"], kind="renewal", status="completed", completed_on=date(2022, 5, 1)
            ),
            WorkOrder(
                code="W-102",
                asset_id=ids["B-002"],
                kind="preventive",
                status="completed",
                completed_on=date(2022, 5, 1),
                state_after=2,
            ),
            WorkOrder(code="W-103", asset_id=ids["B-002"], kind="renewal", status="planned"),
            WorkOrder(
                code="W-104", asset_id=ids["B-002"], kind="renewal", status="completed", completed_on=date(2026, 6, 1)
            ),
            # S-001 (score 3 in 2023): renewed after it; a state_after off its scale is ignored by scoring
            WorkOrder(
                code="W-105", asset_id=ids["S-001"], kind="renewal", status="completed", completed_on=date(2024, 1, 1)
            ),
            # the disposed X-001: inspected and repaired, never scored
            Inspection(asset_id=ids["X-001"], inspected_on=date(2019, 5, 1), condition_score=4),
            WorkOrder(
                code="W-106", asset_id=ids["X-001"], kind="reactive", status="completed", completed_on=date(2019, 6, 1)
            ),
        ]
    )


def _models(categories: pd.DataFrame) -> pd.DataFrame:
    """Each category's useful-life prior as its model (no fit: only the reading is compared here)."""
    rows = []
    for row in categories.itertuples():
        n = deterioration.STATES[row.condition_scale]
        rows.append({"category": row.code, "states": n, "theta": np.full(n - 1, (n - 1) / row.useful_life_years)})
    return pd.DataFrame(rows).set_index("category", drop=False)


def test_the_reduced_read_scores_as_the_full_read(db_url):
    database = Database(db_url)
    config = load_config()
    with database.session() as session:
        ids = add_sample(session)
        _history(session, ids)
        session.execute(sa.update(Asset).where(Asset.code == "R-001").values(year_built=None))  # no date at all
    with database.session() as session:
        reduced = risk.score_inputs(session, as_of=AS_OF, config=config)
        full = risk.risk_inputs(session, as_of=AS_OF, config=config)
    states = deterioration.inspection_states(full["inspections"], full["assets"], full["categories"])
    models = _models(full["categories"])
    # one row per asset, the disposed one left out
    assert reduced["assets"]["id"].tolist() == [ids[c] for c in ("B-001", "B-002", "S-001", "R-001", "L-001")]
    latest = reduced["states"].set_index("asset_id")
    assert latest.at[ids["B-001"], "state"] == 3 and latest.at[ids["B-001"], "inspected_on"] == pd.Timestamp(
        2024, 10, 1
    )
    assert sorted(latest.index) == sorted([ids["B-001"], ids["S-001"]])
    repairs = reduced["repairs"].set_index("asset_id")
    assert sorted(repairs.index) == sorted([ids["B-001"], ids["B-002"], ids["S-001"]])
    assert (repairs.at[ids["B-002"], "kind"], repairs.at[ids["B-002"], "state_after"]) == ("preventive", 2)
    assert repairs.at[ids["B-001"], "completed_on"] == pd.Timestamp(2021, 2, 1)  # the sample's W-001

    old, _ = state_distributions(full["assets"], states, models, AS_OF, full["repairs"])
    new, _ = state_distributions(reduced["assets"], reduced["states"], models, AS_OF, reduced["repairs"])
    pd.testing.assert_frame_equal(new, old)
    # Ⅲ; W-102 records Ⅱ; renewed; never inspected (scored from the best state, stored as no state)
    assert new["state"].tolist()[:3] == [3, 2, 1] and new["state"][3:].isna().all()

    def scores(inputs: dict, states: pd.DataFrame) -> pd.DataFrame:
        return score_risk(
            inputs["assets"],
            states,
            models,
            inputs["categories"],
            inputs["districts"],
            inputs["network"],
            config=config,
            as_of=AS_OF,
            repairs=inputs["repairs"],
        )

    expected = scores(full, states).drop(columns=["code", "name"])  # neither is stored with a score
    pd.testing.assert_frame_equal(scores(reduced, reduced["states"]), expected, check_exact=True)


@pytest.mark.parametrize("backend", ["sqlite"])  # the keys are read through the same queries on both
def test_models_are_reused_without_reading_history_until_it_changes(db_url, monkeypatch):
    database = Database(db_url)
    config = load_config()
    with database.session() as session:
        ids = add_sample(session)
    read = []
    original = store.read_table
    monkeypatch.setattr(
        store, "read_table", lambda session, name, *a, **k: read.append(name) or original(session, name, *a, **k)
    )

    def score(as_of: date = AS_OF) -> str:
        read.clear()
        with database.session() as session:
            return risk.compute_risk(session, config=config, as_of=as_of, actor="test")["models"]

    assert score() == "fitted" and "inspections" in read
    assert score() == "reused" and "inspections" not in read and "work_orders" not in read
    assert score(date(2026, 5, 1)) == "reused" and "inspections" not in read  # nothing dated in between
    with database.session() as session:  # a write that changes no pair: history read, models still reused
        session.execute(sa.update(Asset).where(Asset.code == "B-001").values(name="滑川橋（新）"))
    assert score() == "reused" and "inspections" in read
    assert score() == "reused" and "inspections" not in read  # the new sources kept with the run
    with database.session() as session:
        session.add(Inspection(asset_id=ids["B-001"], inspected_on=date(2025, 10, 1), soundness=3))
    assert score(date(2025, 9, 1)) == "reused" and "inspections" in read  # only after that day: the same pairs
    database.dispose()


def test_a_run_reusing_kept_models_stores_what_they_give(db_url):
    """A run that reuses a kept run's models by their source key stores that run's ``model`` as it is, instead of
    making it again from the models read back: the very JSON making it again gives (each category's figures
    and the transition matrix from the hazards read back at full precision, the keys, the models), text for text,
    for a kept run that fitted them and for one that reused them in turn."""
    database = Database(db_url)
    config = load_config()
    with database.session() as session:
        add_sample(session)

    def score(as_of: date) -> tuple[str, dict]:
        with database.session() as session:
            summary = risk.compute_risk(session, config=config, as_of=as_of, actor="test")
            stored = session.execute(
                sa.select(sa.cast(RiskRun.model, sa.Text), RiskRun.model).where(RiskRun.id == summary["run_id"])
            ).one()
        return summary["models"], stored

    fitted, first = score(AS_OF)
    reused, second = score(date(2026, 5, 1))
    again, third = score(date(2026, 6, 1))
    assert (fitted, reused, again) == ("fitted", "reused", "reused")
    for _, model in (first, second, third):
        kept = model["_fit"]
        made = risk._run_model(deterioration.models_from_json(kept["models"]), key=kept["key"], source=kept["source"])
        assert json.dumps(made) == json.dumps(model) and list(made) == list(model)
    assert first[0] == second[0] == third[0]
    database.dispose()


@pytest.mark.parametrize("backend", ["postgis"])
def test_the_parts_read_alongside_give_the_joined_query_s_frame(db_url, monkeypatch):
    """On PostGIS the assets, the two aggregates, the history's counts and the network's geometry are read at
    once on connections of their own sharing the session's snapshot; a session that has written reads them in
    one joined query and two more instead (the other connections would not see its rows): the same frame, counts
    and geometry, and either way the session's own rows."""
    database = Database(db_url)
    kinds = load_config().restoring_work
    with database.session() as session:
        ids = add_sample(session)
        _history(session, ids)
    threads = []
    for name in ("_copy_frame", "_array_frame"):  # the geometry through COPY, the rest as arrays
        original = getattr(store, name)
        monkeypatch.setattr(
            store, name, lambda *a, read=original: threads.append(threading.current_thread().name) or read(*a)
        )
    with database.session() as session:
        alongside, counted, lines = risk_store.read_score_inputs(
            session, as_of=AS_OF, restoring=kinds, network=NETWORK_CATEGORIES
        )
    assert len(threads) == 5 and all(name.startswith("fm-read") for name in threads)
    threads.clear()
    with database.session() as session:
        session.execute(sa.update(Asset).where(Asset.code == "B-001").values(name="滑川橋（新）"))
        joined, counted_joined, lines_joined = risk_store.read_score_inputs(
            session, as_of=AS_OF, restoring=kinds, network=NETWORK_CATEGORIES
        )
        session.add(Inspection(asset_id=ids["S-001"], inspected_on=date(2025, 6, 1), condition_score=4))
        session.flush()
        newer = risk_store.read_score_inputs(
            session, as_of=AS_OF, restoring=kinds, network=NETWORK_CATEGORIES
        ).frame.set_index("id")
        session.rollback()
    assert threads == [threading.current_thread().name] * 4  # one query and the geometry each time
    pd.testing.assert_frame_equal(joined, alongside, check_exact=True)
    with database.session() as session:
        assert counted == counted_joined == risk_store.history_counts(session, as_of=AS_OF)
    assert len(lines) and lines["id"].tolist() == lines_joined["id"].tolist()
    assert [g.wkb for g in lines["geom"]] == [g.wkb for g in lines_joined["geom"]]
    assert (newer.at[ids["S-001"], "state"], newer.at[ids["S-001"], "inspected_on"]) == (4, pd.Timestamp(2025, 6, 1))
    database.dispose()


def test_scoring_in_parts_stores_the_whole_s_scores_or_nothing(db_url, monkeypatch):
    """`fm score` scores the assets a part at a time while the write takes the parts before (on PostgreSQL the
    COPY goes on beside the scoring): the rows stored are those of the assets scored at once, and a part that
    fails leaves the run it was replacing whole."""
    database = Database(db_url)
    config = load_config()
    with database.session() as session:
        ids = add_sample(session)
        _history(session, ids)

    def stored(parts: int) -> list[tuple]:
        monkeypatch.setattr(risk, "SCORED_PART", parts)
        with database.session() as session:
            run_id = risk.compute_risk(session, config=config, as_of=AS_OF, actor="test")["run_id"]
        columns = ", ".join(risk_store.COLUMNS[1:])
        with database.connect() as connection:
            query = f"SELECT {columns} FROM risk_scores WHERE run_id = {run_id} ORDER BY asset_id"
            return [tuple(row) for row in connection.execute(sa.text(query))]

    stored(1000)  # the models fitted, then reused by every run below: the same models
    whole = stored(1000)
    assert len(whole) == 5 and stored(2) == whole and stored(1) == whole
    scored = []

    def failing(*args, **kwargs):
        scored.append(1)
        if len(scored) == 2:
            raise RuntimeError("scoring failed")
        return score_risk(*args, **kwargs)

    monkeypatch.setattr(risk, "score_risk", failing)
    with pytest.raises(RuntimeError, match="scoring failed"):
        stored(2)
    monkeypatch.setattr(risk, "score_risk", score_risk)
    with database.session() as session:
        runs = session.execute(sa.text("SELECT count(*) FROM risk_runs")).scalar()
        if session.get_bind().dialect.name == "postgresql":
            tables = session.execute(sa.text("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'risk_scores_run_%'"))
            assert tables.scalar() == 1
    assert runs == 1 and stored(1000) == whole
    database.dispose()
