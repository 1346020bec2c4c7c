"""The asset register and an asset page in headless Chromium, in Japanese and English, at a desktop
and a tablet width: a person signs in, finds an asset by search and filters, sorts, pages, opens it.
Every request outside the app is refused and counted; no console error is allowed. Screenshots go
to test-artifacts/ for a person to look at."""

from __future__ import annotations

import chromium
import pytest
from databases import SCORED_DEMO, prepared_database

from fm.config import Config

pytestmark = pytest.mark.browser
SIZES = {"desktop": {"width": 1366, "height": 768}, "tablet": {"width": 820, "height": 1180}}


@pytest.fixture(scope="module")
def site(tmp_path_factory, request):
    folder = tmp_path_factory.mktemp("register-browser")
    url = prepared_database("sqlite", folder, request, *SCORED_DEMO)
    with chromium.live_app(Config(database_url=url, instance_path=folder, secret_key="test", basemap="none")) as base:
        yield base, url


@pytest.fixture
def visit(browser, site):
    """A signed-in page whose requests outside the app are refused and whose console errors are kept."""
    base, url = site
    pages, outside, errors = [], [], []

    def opener(size: str):
        page = browser.new_page(viewport=SIZES[size])

        def guard(route):
            if route.request.url.startswith(base) or route.request.url.startswith("data:"):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        page.route("**/*", guard)
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        chromium.sign_in(page, base, url)
        pages.append(page)
        return page

    yield opener
    for page in pages:
        page.close()
    assert outside == [], f"requests left the app: {outside}"
    assert errors == [], f"console errors: {errors}"


def _shot(page, name: str) -> None:
    chromium.ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(chromium.ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(
    ("lang", "heading", "total_word", "bridge"),
    [("ja", "資産台帳", "件", "橋梁"), ("en", "Asset register", "assets", "Bridge")],
)
def test_find_an_asset_and_open_its_page(visit, site, size, lang, heading, total_word, bridge):
    base, _ = site
    page = visit(size)
    page.goto(f"{base}/assets?lang={lang}")
    assert page.locator("h1").inner_text() == heading
    assert page.locator("#register-table tbody tr").count() == 50
    assert "4,315" in page.locator("#total").inner_text() and total_word in page.locator("#total").inner_text()
    _shot(page, f"register-{lang}-{size}")

    # filter by category and risk, search by name: the filters stay in the URL
    page.select_option("select[name=category]", "bridge")
    page.select_option("select[name=risk]", "very_high")
    page.fill("input[name=q]", "橋")
    with page.expect_navigation():
        page.click("#register-filters button[type=submit]")
    assert "category=bridge" in page.url and "risk=very_high" in page.url
    rows = page.locator("#register-table tbody tr")
    assert rows.count() > 0
    assert all(bridge in text for text in rows.locator("td:nth-child(3)").all_inner_texts())
    assert page.locator("select[name=category]").input_value() == "bridge"

    # sort by year built, newest first (two clicks), and the filters are kept
    with page.expect_navigation():
        page.click("#register-table th.year_built a")
    with page.expect_navigation():
        page.click("#register-table th.year_built a")
    assert "order=desc" in page.url and "category=bridge" in page.url
    years = [int(y) for y in page.locator("#register-table tbody td.num").all_inner_texts() if y.strip() != "—"]
    assert years == sorted(years, reverse=True)
    _shot(page, f"register-filtered-{lang}-{size}")

    # open the first asset
    code = page.locator("#register-table tbody td.code a").first.inner_text()
    with page.expect_navigation():
        page.locator("#register-table tbody td.code a").first.click()
    assert page.locator("h1 small.code").inner_text() == code
    for section in ("#attributes", "#risk", "#inspections", "#work-orders", "#plans", "#depreciation"):
        assert page.locator(section).count() == 1, section
    assert page.locator("#condition-chart circle").count() >= 1
    assert page.locator(".folium-map").count() == 1
    page.locator("details.by-year summary").click()
    assert page.locator("#depreciation-table tbody tr").count() > 1
    _shot(page, f"asset-{lang}-{size}")


def test_paging_links_walk_the_register(visit, site):
    base, _ = site
    page = visit("desktop")
    page.goto(f"{base}/assets?lang=en&per_page=100&district=2")
    first = page.locator("#register-table tbody td.code").all_inner_texts()
    with page.expect_navigation():
        page.click("nav.pager a[rel=next]")
    second = page.locator("#register-table tbody td.code").all_inner_texts()
    assert "page=2" in page.url and "district=2" in page.url and "per_page=100" in page.url
    assert len(first) == 100 and not set(first) & set(second)
    with page.expect_navigation():
        page.click("nav.pager a[rel=last]")
    assert page.locator("nav.pager a[rel=next]").count() == 0
