"""The schedule and the upload preview in headless Chromium, in Japanese and English, with screenshots.

Every request outside the app is refused and counted, and no console error is allowed.
"""

from __future__ import annotations

import time

import chromium
import pytest
from databases import new_database
from playwright.sync_api import expect
from test_schedule import seed
from test_upload import BAD_ROWS, GOOD

from fm.config import Config

pytestmark = pytest.mark.browser
SIZES = {"desktop": {"width": 1366, "height": 768}, "tablet": {"width": 800, "height": 1100}}


@pytest.fixture(scope="module")
def live_url(tmp_path_factory):
    folder = tmp_path_factory.mktemp("schedule-browser")
    url = new_database("sqlite", folder)
    seed(url)
    with chromium.live_app(Config(database_url=url, instance_path=folder, secret_key="test")) as base:
        yield base


class Visit:
    """A page with its console errors and every request outside the app (refused)."""

    def __init__(self, browser, base: str, size: str = "desktop") -> None:
        self.page = browser.new_page(viewport=SIZES[size])
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base) else self._refuse(r))

    def _refuse(self, route) -> None:
        self.outside.append(route.request.url)
        route.abort()

    def unexpected(self, *statuses: int) -> list[str]:
        """Console errors other than one per page answered, on purpose, with one of ``statuses``
        (Chromium logs a form sent back with its errors as a failed resource)."""
        expected = [f"status of {status} " for status in statuses]
        found = list(self.errors)
        for words in expected:
            hit = next((e for e in found if words in e), None)
            assert hit is not None, (words, self.errors)
            found.remove(hit)
        return found

    def shot(self, name: str) -> None:
        chromium.ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(chromium.ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("by", ["month", "week"])
def test_schedule_pages(browser, live_url, lang, by):
    visit = Visit(browser, live_url)
    chromium.sign_in(visit.page, live_url, role="engineer")
    visit.page.goto(f"{live_url}/schedule?lang={lang}&by={by}")
    groups = visit.page.locator("section.schedule-group")
    assert groups.first.get_attribute("id") == "group-overdue"
    assert groups.first.locator("tbody tr").count() == 3
    tabs = {"ja": {"month": "月別", "week": "週別"}, "en": {"month": "By month", "week": "By week"}}
    assert visit.page.locator("nav.tabs strong").inner_text() == tabs[lang][by]
    visit.shot(f"schedule-{by}-{lang}")
    assert visit.errors == [] and visit.outside == []
    visit.page.close()


def test_schedule_on_a_tablet_and_closing_a_work_order(browser, live_url):
    visit = Visit(browser, live_url, "tablet")
    chromium.sign_in(visit.page, live_url, role="engineer")
    visit.page.goto(f"{live_url}/schedule?lang=ja")
    visit.shot("schedule-month-ja-tablet")
    row = visit.page.locator("tr.work_order", has_text="W-OLD")
    row.get_by_role("link").last.click()
    visit.page.wait_for_url("**/schedule/work-orders/**")
    visit.page.fill("#actual_cost", "-100")
    visit.page.check("input[name=kind][value=reactive]")
    visit.page.select_option("#cause", "")
    with visit.page.expect_navigation():
        visit.page.click("#done-form button[type=submit]")
    assert visit.page.locator("#error-actual_cost").is_visible()
    assert visit.page.locator("#error-cause").is_visible()
    visit.shot("schedule-close-errors-ja-tablet")
    visit.page.fill("#actual_cost", "1,250,000")
    visit.page.select_option("#cause", "sudden_failure")
    assert visit.page.locator("#state_after option").all_inner_texts()[1:] == ["Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ"]  # a bridge
    visit.page.select_option("#state_after", "2")
    with visit.page.expect_navigation():
        visit.page.click("#done-form button[type=submit]")
    assert "/schedule" in visit.page.url and "W-OLD" in visit.page.locator("ul.flashes").inner_text()
    assert visit.page.locator("tr.work_order", has_text="W-OLD").count() == 0
    assert visit.unexpected(400) == [] and visit.outside == []
    visit.page.close()


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_upload_previews(browser, live_url, tmp_path, lang):
    visit = Visit(browser, live_url)
    chromium.sign_in(visit.page, live_url, role="facility_manager")
    for name, body, state in (("bad.csv", BAD_ROWS, "refused"), ("good.csv", GOOD, "good")):
        path = tmp_path / name
        path.write_text(body, encoding="utf-8")
        visit.page.goto(f"{live_url}/upload?lang={lang}")
        visit.page.check("input[name=kind][value=assets]")
        visit.page.set_input_files("#file", str(path))
        if state == "refused":
            visit.shot(f"upload-form-{lang}")
        with visit.page.expect_navigation():
            visit.page.click("form.upload button[type=submit]")
        if state == "refused":
            assert visit.page.locator("#refused tbody tr").count() >= 3
            assert visit.page.locator("#apply").count() == 0
        else:
            assert visit.page.locator("#count-added").inner_text() == "2"
            assert visit.page.locator("#updated tbody tr").count() == 1
        visit.shot(f"upload-{state}-{lang}")
        with visit.page.expect_navigation():
            visit.page.click("#cancel")
    assert visit.unexpected(422) == [] and visit.outside == []
    visit.page.close()


def test_upload_shows_its_progress_and_the_page_stays_usable(browser, live_url, tmp_path):
    """The form sends the file by XMLHttpRequest and follows the preview's progress (progress.json) until it
    ends. The first answer about the progress is held here, so the page can be looked at meanwhile: no
    navigation is pending then (the preview opens only once it is ready), and every wait is bounded."""
    visit = Visit(browser, live_url)
    visit.page.set_default_timeout(15_000)
    chromium.sign_in(visit.page, live_url, role="facility_manager")
    path = tmp_path / "good.csv"
    path.write_text(GOOD, encoding="utf-8")
    held, answered = [], []

    def hold_first(route) -> None:
        if held:
            answered.append(route.request.url)
            route.continue_()
        else:
            held.append(route)

    visit.page.route("**/progress.json", hold_first)
    visit.page.goto(f"{live_url}/upload?lang=en")
    visit.page.check("input[name=kind][value=assets]")
    visit.page.set_input_files("#file", str(path))
    visit.page.click("form.upload button[type=submit]")
    deadline = time.monotonic() + 15
    while not held:
        assert time.monotonic() < deadline, "the page never asked how far the preview had got"
        visit.page.wait_for_timeout(50)
    expect(visit.page.locator("#upload-stage")).to_have_text("Checking the file (nothing is written)")
    expect(visit.page.locator("#upload-bar")).to_be_visible()
    expect(visit.page.locator("form.upload button[type=submit]")).to_be_disabled()
    expect(visit.page.locator("form.upload")).to_have_attribute("aria-busy", "true")
    assert "/upload?" in visit.page.url  # still the form: the page is usable while the server checks
    visit.page.fill("#part", "still typing")  # and answers
    expect(visit.page.locator("#part")).to_have_value("still typing")
    visit.shot("upload-progress-en")
    visit.page.screenshot(path="/tmp/upload-progress-en.png")
    held[0].continue_()
    visit.page.wait_for_url("**/upload/*", timeout=15_000)
    expect(visit.page.locator("#count-added")).to_have_text("2")
    visit.page.unroute("**/progress.json")
    with visit.page.expect_navigation():
        visit.page.click("#cancel")
    assert visit.errors == [] and visit.outside == []
    visit.page.close()
