"""The dashboard as a person sees it: headless Chromium on the demo data, screenshots in test-artifacts/.

Every request the pages make is watched: one that leaves the app fails the test, and so
does any console error. The demo gets a few planned renewals and disposals first, so the
what-if shows two different curves.
"""

from __future__ import annotations

import re
from datetime import date

import chromium
import pytest
import sqlalchemy as sa
from databases import DEMO, prepared_database

from fm.config import Config
from fm.db import Database
from fm.model import Asset, WorkOrder

pytestmark = pytest.mark.browser
VIEWPORTS = {"desktop": {"width": 1366, "height": 768}, "tablet": {"width": 768, "height": 1024}}


def add_planned_work(url: str) -> None:
    """Renew the five oldest schools in FY2027–2031 and dispose of two community centres in FY2028."""
    database = Database(url)
    with database.session() as session:
        schools = session.scalars(
            sa.select(Asset)
            .where(Asset.category == "school", Asset.status == "in_service")
            .order_by(Asset.acquisition_date, Asset.code)
            .limit(5)
        ).all()
        for offset, school in enumerate(schools):
            session.add(
                WorkOrder(
                    code=f"RN-{school.code}",
                    asset_id=school.id,
                    kind="renewal",
                    cause="planned",
                    status="planned",
                    planned_on=date(2027 + offset, 7, 1),
                    planned_cost=3 * (school.acquisition_cost or 0),
                )
            )
        for centre in session.scalars(
            sa.select(Asset).where(Asset.category == "community_centre").order_by(Asset.code).limit(2)
        ):
            centre.disposed_on = date(2028, 9, 30)
    database.dispose()


@pytest.fixture(scope="module")
def live_url(tmp_path_factory, request):
    folder = tmp_path_factory.mktemp("dashboard")
    url = prepared_database("sqlite", folder, request, *DEMO)
    add_planned_work(url)
    with chromium.live_app(Config(database_url=url, instance_path=folder, secret_key="test")) as base:
        yield base


@pytest.fixture
def open_page(browser, live_url):
    """A page whose requests outside the app are refused and recorded, and whose console errors are kept."""
    pages, outside, errors = [], [], []

    def opener(viewport: dict[str, int]):
        page = browser.new_page(viewport=viewport)

        def guard(route):
            if route.request.url.startswith(live_url):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        page.route("**/*", guard)
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        pages.append(page)
        chromium.sign_in(page, live_url)
        return page

    yield opener
    for page in pages:
        page.close()
    assert outside == [], f"requests left the app: {outside}"
    assert errors == [], f"console errors: {errors}"


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_dashboard(open_page, live_url, viewport):
    page = open_page(VIEWPORTS[viewport])
    page.goto(f"{live_url}/")
    page.get_by_role("link", name="指標ダッシュボード").first.click()
    page.wait_for_url("**/dashboard")
    assert page.locator("h1").inner_text() == "指標ダッシュボード"
    assert page.locator("#card-plan_coverage .figure").inner_text().startswith("52.3")
    assert page.locator("svg.chart").count() == 10  # eight trends, the what-if, the renewal projection
    # The cards fit the width: no horizontal scrolling.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(chromium.ARTIFACTS / f"dashboard-{viewport}.png"), full_page=True)


def test_year_selector_and_drill_down(open_page, live_url):
    page = open_page(VIEWPORTS["desktop"])
    page.goto(f"{live_url}/dashboard?lang=ja")
    page.select_option("select[name=fiscal_year]", "2024")
    page.get_by_role("button", name="表示").click()
    page.wait_for_url("**fiscal_year=2024")
    assert page.locator("#card-aging_ratio .figure").inner_text().startswith("67.7")
    page.locator("#aging-by-category a").filter(has_text=re.compile("^学校$")).click()
    page.wait_for_url("**/dashboard/aging_ratio?**category=school**")
    assert page.locator("#records .chip").inner_text() == "区分別: 学校"
    first = page.locator("#records-table tbody tr").first
    assert first.locator("a").first.get_attribute("href").startswith("/assets/")
    page.locator("#records-table th a", has_text="取得価額").click()
    page.wait_for_url("**sort=acquisition_cost**")
    assert page.locator("#records .chip").inner_text() == "区分別: 学校"  # the filter stays
    page.select_option("select[name=fiscal_year]", "2025")
    page.get_by_role("button", name="表示").click()
    page.wait_for_url("**fiscal_year=2025**")
    assert page.locator("#records .chip").inner_text() == "区分別: 学校"  # and another year keeps it
    page.screenshot(path=str(chromium.ARTIFACTS / "dashboard-drilldown.png"), full_page=True)


def test_drill_down_in_english_on_a_tablet(open_page, live_url):
    page = open_page(VIEWPORTS["tablet"])
    page.goto(f"{live_url}/dashboard/reactive_repairs?fiscal_year=2025&lang=en&per_page=20")
    assert page.locator("h1").inner_text() == "Reactive repairs after sudden failure"
    assert page.locator("#records-table tbody tr").count() == 20
    assert page.locator("#records-table tbody tr td:nth-child(5)").first.inner_text() in (
        "Kamakura",
        "Koshigoe",
        "Fukasawa",
        "Ofuna",
        "Tamanawa",
    )  # district names in English too
    page.get_by_role("link", name="Next →").click()
    page.wait_for_url("**page=2**")
    assert "Page 2 of 4" in page.locator(".pager").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(chromium.ARTIFACTS / "dashboard-drilldown-en-tablet.png"), full_page=True)


def test_printable_report(open_page, live_url):
    page = open_page({"width": 794, "height": 1123})  # A4 at 96 dpi
    page.goto(f"{live_url}/dashboard/report?fiscal_year=2025")
    assert page.locator("#report-indicators tbody tr").count() == 8
    page.emulate_media(media="print")
    page.screenshot(path=str(chromium.ARTIFACTS / "dashboard-report.png"), full_page=True)
