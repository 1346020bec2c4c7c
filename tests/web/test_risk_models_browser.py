"""The deterioration model page as an engineer sees it (issue 18): headless Chromium, both languages."""

from __future__ import annotations

import chromium
import pytest
from databases import prepared_database

from fm.config import Config

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_url(tmp_path_factory, request):
    folder = tmp_path_factory.mktemp("models")
    url = prepared_database("sqlite", folder, request, ("demo",))
    with chromium.live_app(Config(database_url=url, instance_path=folder, secret_key="test")) as base:
        yield base


@pytest.mark.parametrize(
    ("lang", "heading", "interval", "nav"),
    [
        ("ja", "劣化予測モデル", "95パーセント信用区間", "劣化予測モデル"),
        ("en", "Deterioration models", "95 per cent credible interval", "Deterioration models"),
    ],
)
def test_model_page_shows_hazards_intervals_and_curves(browser, live_url, lang, heading, interval, nav):
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    chromium.sign_in(page, live_url)
    page.goto(f"{live_url}/?lang={lang}")
    page.get_by_role("link", name=nav).first.click()  # reachable from the main navigation
    page.wait_for_url("**/risk/models")
    assert page.locator("h1").inner_text() == heading
    bridge = page.locator("#model-bridge")
    assert interval in bridge.locator("thead").inner_text()
    assert bridge.locator("tbody tr, table tr:has(td)").count() == 3  # soundness Ⅰ–Ⅲ can be left
    # the curve: a solid line (model) and a dashed one (inspections) per state, drawn and visible
    chart = bridge.locator("svg.chart")
    assert chart.locator("polyline.line").count() == 8
    assert chart.locator("polyline.dashed").count() == 4
    assert chart.bounding_box()["width"] > 300
    assert chart.locator("polyline.st1").first.evaluate("e => getComputedStyle(e).stroke") == "rgb(47, 111, 159)"
    chromium.ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(chromium.ARTIFACTS / f"risk-models-{lang}.png"), full_page=True)
    page.close()
