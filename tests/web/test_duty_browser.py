"""The duties as a person sees them in headless Chromium: the asset page's table, in Japanese."""

from __future__ import annotations

import chromium
import pytest
from databases import new_database
from dutysample import add_judged

from fm.config import Config

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_url(tmp_path_factory):
    folder = tmp_path_factory.mktemp("duties")
    url = add_judged(new_database("sqlite", folder))
    with chromium.live_app(Config(database_url=url, instance_path=folder, secret_key="test")) as base:
        yield base


def test_the_asset_page_shows_the_overdue_duty(browser, live_url):
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    chromium.sign_in(page, live_url)
    page.goto(f"{live_url}/assets/B-001?lang=ja")
    table = page.locator("table#duties")
    assert table.is_visible()
    row = table.locator("tbody tr").first
    cells = row.locator("td").all_inner_texts()
    assert cells[0] == "Ⅳ" and cells[1] == "2024-06-01" and cells[2] == "2024-07-01" and cells[3] == "未着手"
    assert int(cells[4]) > 0 and "overdue" in (row.get_attribute("class") or "")
    chromium.ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(chromium.ARTIFACTS / "asset-duties-ja.png"), full_page=True)
    page.close()
