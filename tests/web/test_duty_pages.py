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
