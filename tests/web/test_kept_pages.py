"""What the register and the map's viewport keep between requests (fm/app/snapshots.py) is given up at the
next write: a page asked again after a change shows the change. On the six-asset sample (tests/sample.py),
SQLite: the change counters themselves are tested on both backends in tests/db/test_changes.py."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from databases import new_database
from sample import add_sample
from webauth import signed_in

from fm.config import Config
from fm.db import Database
from fm.model import Asset

VIEW = "/api/map/risk?bbox=139.50,35.28,139.60,35.38&zoom=16"


@pytest.fixture
def setup(tmp_path, request):
    from fm.web import create_app

    url = new_database("sqlite", tmp_path, request)
    database = Database(url)
    with database.session() as session:
        add_sample(session)
    app = create_app(Config(database_url=url, instance_path=tmp_path, secret_key="test", basemap="none"))
    app.config.update(TESTING=True)
    yield signed_in(app, "facility_manager"), database
    app.extensions["fm.database"].dispose()
    database.dispose()


def _write(database: Database, statement: sa.Executable) -> None:
    with database.session() as session:
        session.execute(statement)


def test_register_page_asked_again_after_a_write_shows_it(setup):
    client, database = setup
    assert client.get("/api/assets?q=新橋").get_json()["total"] == 0
    assert client.get("/api/assets?q=新橋").get_json()["total"] == 0  # kept
    _write(database, sa.update(Asset).where(Asset.code == "B-001").values(name="新橋"))
    page = client.get("/api/assets?q=新橋").get_json()
    assert page["total"] == 1
    assert [row["name"] for row in page["assets"]] == ["新橋"]
    assert "新橋" in client.get("/assets?q=新橋").get_data(as_text=True)


def test_register_page_kept_is_served_unchanged(setup):
    client, database = setup
    from fm.app import register

    with database.session() as session:
        fresh = register._page(session, {"q": "橋"}, "ja")
    for _ in range(2):  # the kept page itself is handed to the page and the JSON: neither may change it
        assert client.get("/assets?q=橋").status_code == 200
        assert client.get("/api/assets?q=橋").status_code == 200
    with database.session() as session:
        kept = register.register_page(session, {"q": "橋"}, lang="ja")
        assert kept is register.register_page(session, {"q": "橋"}, lang="ja")
    assert kept == fresh


def test_register_content_rendered_once_is_given_up_at_a_write(setup):
    """The page's content is rendered once per kept page and language (fm/web/register.py): asked again it is
    the same, in the other language it is that language's, and after a write it shows the write."""
    client, database = setup
    japanese = client.get("/assets?lang=ja").get_data(as_text=True)
    english = client.get("/assets?lang=en").get_data(as_text=True)
    assert "<h1>資産台帳</h1>" in _content(japanese) and "<h1>Asset register</h1>" in _content(english)
    assert _content(client.get("/assets?lang=ja").get_data(as_text=True)) == _content(japanese)
    _write(database, sa.update(Asset).where(Asset.code == "B-001").values(name="新しい名前の橋"))
    assert "新しい名前の橋" in client.get("/assets?lang=ja").get_data(as_text=True)
    assert "新しい名前の橋" in client.get("/assets?lang=en").get_data(as_text=True)


def _content(page: str) -> str:
    return page[page.index("<main") : page.index("</main>")]


def test_viewport_asked_again_after_a_write_shows_it(setup):
    client, database = setup
    codes = {feature["properties"]["code"] for feature in client.get(VIEW).get_json()["features"]}
    assert codes == {"B-001", "B-002", "S-001", "R-001", "L-001"}  # held; the disposed one is not drawn
    assert {f["properties"]["code"] for f in client.get(VIEW).get_json()["features"]} == codes  # kept
    disposed = {"status": "disposed", "disposed_on": date(2020, 3, 31)}
    _write(database, sa.update(Asset).where(Asset.code == "S-001").values(**disposed))
    assert {f["properties"]["code"] for f in client.get(VIEW).get_json()["features"]} == codes - {"S-001"}
    # a viewport that meets only the road's box (not its centre) still draws it, as the spatial index finds it
    road = client.get("/api/map/risk?bbox=139.5445,35.3145,139.546,35.316&zoom=16").get_json()["features"]
    assert [feature["properties"]["code"] for feature in road] == ["R-001"]
