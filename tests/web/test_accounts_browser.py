"""Sign-in, the admin and the finance pages in headless Chromium, in Japanese and English: no console
error (a Content-Security-Policy violation is one), nothing loaded from outside, screenshots to look at."""

from __future__ import annotations

import chromium
import pytest
from databases import DEMO, prepared_database

from fm.config import Config

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_url(tmp_path_factory, request):
    folder = tmp_path_factory.mktemp("accounts")
    url = prepared_database("sqlite", folder, request, *DEMO)
    with chromium.live_app(Config(database_url=url, instance_path=folder, secret_key="test", basemap="none")) as base:
        yield base


@pytest.fixture
def page(browser, live_url):
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.errors, page.outside = [], []
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.route(
        "**/*",
        lambda r: (
            r.continue_() if r.request.url.startswith(live_url) else (page.outside.append(r.request.url), r.abort())
        ),
    )
    yield page
    assert page.errors == [] and page.outside == []
    page.close()


def _shot(page, name: str) -> None:
    chromium.ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(chromium.ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_sign_in_page_and_a_wrong_password(page, live_url, lang):
    page.goto(f"{live_url}/dashboard?lang={lang}")
    assert "/sign-in" in page.url
    page.fill("#username", "demo-admin")
    page.fill("#password", "not the password")
    page.click("section.sign-in button[type=submit]")
    expected = "ユーザー名またはパスワードが違います。" if lang == "ja" else "Wrong username or password."
    assert page.locator(".error-message").inner_text() == expected
    _shot(page, f"sign-in-{lang}")


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_admin_pages(page, live_url, lang):
    chromium.sign_in(page, live_url, role="admin")
    page.goto(f"{live_url}/admin/users?lang={lang}")
    assert page.locator("#accounts tbody tr, #accounts tr").count() >= 6
    _shot(page, f"admin-users-{lang}")
    page.goto(f"{live_url}/admin/audit?lang={lang}")
    assert page.locator("table.audit").count() == 1
    _shot(page, f"admin-audit-{lang}")
    page.locator("header .account button.link").click()
    page.wait_for_url("**/sign-in")


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_finance_pages(page, live_url, lang):
    chromium.sign_in(page, live_url, role="finance")
    page.goto(f"{live_url}/finance/budgets?fiscal_year=2024&lang={lang}")
    assert page.locator("#budgets input.amount").count() > 0
    _shot(page, f"finance-budgets-{lang}")
    page.goto(f"{live_url}/finance/targets?lang={lang}")
    _shot(page, f"finance-targets-{lang}")
