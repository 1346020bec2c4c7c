"""The home page and the JSON API through Flask's test client."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sample import add_sample

from fm.db import Database, migrate


@pytest.fixture
def sample(db_url):
    database = Database(db_url)
    with database.session() as session:
        add_sample(session)
    database.dispose()


def test_home_in_japanese_by_default(client, sample):
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="ja">' in page and "<title>資産台帳 · fm</title>" in page
    assert '<span class="figure" id="total">5</span>' in page
    assert '<td>橋梁</td><td class="num">2</td>' in page
    assert '<td>鎌倉</td><td class="num">3</td>' in page
    assert '<td>地域未設定</td><td class="num">1</td>' in page


def test_language_switch_is_remembered(client, sample):
    page = client.get("/?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in page and "Asset register" in page
    assert '<td>Bridge</td><td class="num">2</td>' in page
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)  # from the cookie
    assert '<html lang="ja">' in client.get("/?lang=ja").get_data(as_text=True)


def test_empty_register_says_so(client):
    page = client.get("/").get_data(as_text=True)
    assert "登録された資産はまだありません。" in page
    assert '<span class="figure" id="total">0</span>' in page


def test_api_stats(client, sample):
    body = client.get("/api/stats").get_json()
    assert body["total"] == 5
    assert {row["code"]: row["count"] for row in body["by_category"]}["bridge"] == 2
    assert body["by_status"] == {"in_service": 4, "closed": 1, "disposed": 1}


def test_unfit_database_shows_what_to_do_until_it_is_fixed(app):
    database = app.extensions["fm.database"]
    with database.engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    client = app.test_client()
    assert client.get("/static/fm.css").status_code == 200
    response = client.get("/api/stats")
    assert response.status_code == 503
    assert "newer fm" in response.get_json()["error"]["message"]
    page = client.get("/")
    assert page.status_code == 503 and "upgrade fm" in page.get_data(as_text=True)
    with database.engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = :head"), {"head": migrate.head_revision()})
    assert client.get("/sign-in").status_code == 200
    assert client.get("/").headers["Location"].startswith("/sign-in")


def test_database_without_schema_says_run_upgrade(empty_db_url, tmp_path):
    from fm.config import Config
    from fm.web import create_app

    app = create_app(Config(database_url=empty_db_url, instance_path=tmp_path, secret_key="test"))
    response = app.test_client().get("/")
    assert response.status_code == 503 and "run `fm db upgrade`" in response.get_data(as_text=True)
    app.extensions["fm.database"].dispose()


def test_unknown_api_path_is_json_404(client):
    response = client.get("/api/nothing")
    assert response.status_code == 404 and response.get_json()["error"]["status"] == 404


def test_home_shows_the_indicators_and_the_worst_risks(client, db_url):
    from clirun import run

    assert run(db_url, "demo", "--no-score").exit_code == 0
    page = client.get("/").get_data(as_text=True)
    assert "主要指標（2025年度）" in page and "52.3 %" in page and "9,039.08 m²" in page
    assert 'id="risks"' not in page  # not scored yet
    assert run(db_url, "score").exit_code == 0
    page = client.get("/?lang=en").get_data(as_text=True)
    assert "Indicators, fiscal year 2025" in page and 'id="risks"' in page and "soundness" in page
