"""The duties on the asset page, in Japanese and English, on SQLite and PostGIS."""

from __future__ import annotations

import pytest
from dutysample import add_judged


@pytest.fixture
def judged(db_url):
    return add_judged(db_url)


def test_asset_page_shows_the_duty_and_its_state(judged, client):
    page = client.get("/assets/B-001?lang=ja").get_data(as_text=True)
    assert "法定の措置（判定区分Ⅲ・Ⅳ）" in page and 'id="duties"' in page
    assert "<td>Ⅳ</td>" in page and "2024-07-01" in page and "未着手" in page
    assert 'class="overdue"' in page
    english = client.get("/assets/B-002?lang=en").get_data(as_text=True)
    assert "Measures required by law" in english and "<td>Ⅲ</td>" in english and "planned" in english


def test_a_structure_never_judged_iii_or_iv_says_so_and_a_school_shows_nothing(judged, client):
    from fm.db import Database
    from fm.model import Inspection

    database = Database(judged)
    with database.session() as session:
        session.query(Inspection).filter(Inspection.soundness >= 3).delete()
    database.dispose()
    bridge = client.get("/assets/B-001?lang=en").get_data(as_text=True)
    assert "No measure required: never judged III or IV." in bridge
    school = client.get("/assets/S-001?lang=en").get_data(as_text=True)
    assert "Measures required by law" not in school


@pytest.mark.parametrize("backend", ["sqlite"])  # which rows are read is the same SQL on both
def test_one_assets_duties_read_only_its_records_and_equal_its_rows_of_every_duty(judged):
    from datetime import date

    from fm.app.duties import asset_duties, duty_frame
    from fm.db import Database
    from fm.model import Asset

    database = Database(judged)
    with database.session() as session:
        every = duty_frame(session, as_of=date(2025, 6, 1))
        for (asset_id,) in session.query(Asset.id):
            mine = every[every["asset_id"] == asset_id].sort_values("inspected_on", ascending=False)
            expected = mine.drop(columns=["asset_id"]).to_dict("records")
            got = asset_duties(session, asset_id, as_of=date(2025, 6, 1))
            assert [row["code"] for row in got] == [row["code"] for row in expected]
            assert [(row["deadline"], row["state"], row["overdue"]) for row in got] == [
                (row["deadline"], row["state"], row["overdue"]) for row in expected
            ]
    database.dispose()
    assert len(every) >= 2


@pytest.mark.parametrize("backend", ["sqlite"])  # the narrowing is plain SQL comparisons, the same on both
def test_every_duty_is_found_reading_only_the_assets_that_may_owe_one(demo_url):
    from dataclasses import replace
    from datetime import date

    import pandas as pd
    import sqlalchemy as sa

    from fm.app.duties import duty_frame, judged_assets, load_risk_config, load_settings
    from fm.db import Database
    from fm.domain.duties import find_duties
    from fm.io import store

    database = Database(demo_url)
    config = load_risk_config()
    with database.session() as session:
        categories = store.read_categories(session)
        every = (
            store.read_assets(session, columns=("id", "code", "name", "category", "status", "disposed_on")),
            store.read_table(
                session,
                "inspections",
                ("id", "asset_id", "inspected_on", "soundness", "condition_score", "next_due_on"),
            ),
            store.read_table(
                session, "work_orders", ("asset_id", "code", "status", "planned_on", "started_on", "completed_on")
            ),
            store.read_table(session, "traffic_restrictions", ("asset_id", "inspection_id", "starts_on", "ends_on")),
        )
        scored = tuple(categories.loc[categories["condition_scale"] == "score", "code"])
        found = {}
        for settings in (load_settings(), replace(load_settings(), score_categories=scored)):
            for as_of in (date(2021, 4, 1), date.today()):
                expected = find_duties(*every, categories, settings=settings, cycle=config.cycle, as_of=as_of)
                got = duty_frame(session, as_of=as_of, settings=settings, config=config)
                pd.testing.assert_frame_equal(got, expected)
                read = session.scalar(
                    sa.select(sa.func.count(sa.distinct(judged_assets(settings, as_of).subquery().c[0])))
                )
                assert len(set(expected["asset_id"])) <= read < len(every[0])
                found[settings.score_categories, as_of] = len(expected)
    database.dispose()
    assert found[(), date(2021, 4, 1)] < found[(), date.today()] < found[scored, date.today()]


def test_kept_duties_after_each_kind_of_write_equal_a_fresh_computation_of_every_duty(judged, monkeypatch):
    """After a write to each table the duties read, only the assets whose records changed are computed again,
    and the duties equal :func:`find_duties` over every record (both backends: the change counters differ)."""
    from datetime import date

    import pandas as pd
    import sqlalchemy as sa

    from fm.app import duties as use_cases
    from fm.db import Database
    from fm.domain import duties as rules
    from fm.io import store
    from fm.model import Asset, Inspection, TrafficRestriction, WorkOrder

    as_of = date(2025, 6, 1)
    computed: list[set[int]] = []
    by_asset = rules.duties_by_asset

    def spy(assets, *args, **kwargs):
        computed.append(set(assets["id"]))
        return by_asset(assets, *args, **kwargs)

    monkeypatch.setattr(rules, "duties_by_asset", spy)
    database = Database(judged)

    def check(*, recomputed: set[str] | None) -> pd.DataFrame:
        computed.clear()
        with database.session() as session:
            got = use_cases.duty_frame(session, as_of=as_of)
            codes = dict(session.execute(sa.select(Asset.id, Asset.code)).all())
            every = [store.read_categories(session)]
            every[:0] = [
                store.read_assets(session, columns=use_cases.READS["assets"]),
                *(store.read_table(session, t, use_cases.READS[t]) for t in list(use_cases.READS)[1:]),
            ]
        expected = by_asset(
            *every, settings=use_cases.load_settings(), cycle=use_cases.load_risk_config().cycle, as_of=as_of
        )
        pd.testing.assert_frame_equal(got, rules.duty_table(expected))
        assert [{codes[i] for i in ids} for ids in computed] == ([] if recomputed is None else [recomputed])
        return got

    def write(*statements) -> None:
        with database.session() as session:
            for statement in statements:
                session.execute(statement)

    with database.session() as session:
        ids = dict(session.execute(sa.select(Asset.code, Asset.id)).all())
    first = check(recomputed={"B-001", "B-002"})  # nothing kept yet: every asset that may owe a duty
    assert first["state"].tolist() == ["none", "planned"]
    check(recomputed=None)  # no write: the kept duties, nothing computed
    write(
        sa.update(WorkOrder)
        .where(WorkOrder.code == "W-B2")
        .values(status="in_progress", started_on=date(2025, 1, 10), planned_on=date(2025, 1, 10))
    )
    assert check(recomputed={"B-002"})["state"].tolist() == ["none", "started"]
    write(sa.insert(Inspection).values(asset_id=ids["B-002"], inspected_on=date(2025, 3, 1), soundness=4))
    check(recomputed={"B-002"})
    write(sa.insert(Inspection).values(asset_id=ids["R-001"], inspected_on=date(2025, 2, 1), soundness=3))
    assert "R-001" not in set(check(recomputed={"R-001"})["code"])  # read, but a road's soundness is no judgement
    write(sa.update(Asset).where(Asset.code == "R-001").values(category="tunnel"))
    assert "R-001" in set(check(recomputed={"R-001"})["code"])  # as a tunnel it owes a duty
    write(
        sa.insert(TrafficRestriction).values(
            code="T-1", asset_id=ids["B-001"], kind="closed", starts_on=date(2024, 6, 20)
        )
    )
    assert "restricted" in check(recomputed={"B-001"})["state"].tolist()
    write(sa.update(Asset).where(Asset.code == "B-001").values(name="改名橋"))
    assert "改名橋" in check(recomputed={"B-001"})["name"].tolist()
    write(sa.delete(TrafficRestriction), sa.delete(WorkOrder).where(WorkOrder.code == "W-B2"))
    check(recomputed={"B-001", "B-002"})
    write(sa.update(Inspection).where(Inspection.asset_id == ids["B-001"]).values(soundness=2))
    assert "B-001" not in set(check(recomputed=set())["code"])  # no longer owes one: its kept duties dropped
    write(sa.update(Asset).where(Asset.code == "R-001").values(status="disposed", disposed_on=date(2025, 3, 1)))
    assert check(recomputed={"R-001"}).set_index("code").loc["R-001", "state"] == "completed"
    database.dispose()
