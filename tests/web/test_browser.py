"""The home page as a person sees it: headless Chromium through Playwright, with screenshots.

Uses Debian's chromium (``/usr/bin/chromium``; ``FM_CHROMIUM`` overrides), since
Playwright's own browser download is not available everywhere. Screenshots go to
``test-artifacts/`` for a human to look at.
"""

from __future__ import annotations

import chromium
import pytest
from databases import new_database
from sample import add_sample

from fm.config import Config
from fm.db import Database

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_url(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser")
    url = new_database("sqlite", folder)
    database = Database(url)
    with database.session() as session:
        add_sample(session)
    database.dispose()
    with chromium.live_app(Config(database_url=url, instance_path=folder, secret_key="test")) as base:
        yield base


@pytest.mark.parametrize(
    ("lang", "heading", "bridge"), [("ja", "資産台帳", "橋梁"), ("en", "Asset register", "Bridge")]
)
def test_home_page_renders_counts(browser, live_url, lang, heading, bridge):
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    chromium.sign_in(page, live_url)
    page.goto(f"{live_url}/?lang={lang}")
    assert page.locator("h1").inner_text() == heading
    assert page.locator("#total").inner_text() == "5"
    row = page.locator("#by-category tr", has_text=bridge)
    assert row.locator("td.num").inner_text() == "2"
    # The stylesheet is applied: the header bar is dark.
    assert page.locator("header.top").evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(29, 38, 48)"
    chromium.ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(chromium.ARTIFACTS / f"home-{lang}.png"), full_page=True)
    page.close()


def test_language_link_switches_the_page(browser, live_url):
    page = browser.new_page()
    chromium.sign_in(page, live_url)
    page.goto(live_url)
    page.get_by_role("link", name="English").click()
    page.wait_for_url("**lang=en")
    assert page.locator("h1").inner_text() == "Asset register"
    page.goto(live_url)  # remembered
    assert page.locator("html").get_attribute("lang") == "en"
    page.close()


def test_no_page_needs_an_inline_style(browser, live_url):
    """The CSP allows no inline styles (no 'unsafe-inline'): Chromium reports none refused, and the bars and
    swatches that used style attributes still show (as SVG)."""
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    refused = []
    page.on("console", lambda message: "Content Security Policy" in message.text and refused.append(message.text))
    chromium.sign_in(page, live_url)
    for path in ("/", "/assets", "/assets/B-001", "/dashboard", "/dashboard/aging_ratio", "/maps/assets"):
        page.goto(f"{live_url}{path}?lang=en")
        page.wait_for_load_state("networkidle")
    assert refused == []
    page.goto(f"{live_url}/")
    widths = page.locator("#by-category td.bar rect").evaluate_all("rs => rs.map(r => r.getBoundingClientRect().width)")
    assert len(widths) == 4 and sorted(widths)[0] > 20 and abs(max(widths) - 2 * min(widths)) < 2  # 2 bridges : 1
    page.goto(f"{live_url}/assets/B-001")
    assert page.locator("svg.swatch").count() >= 1
    page.close()
