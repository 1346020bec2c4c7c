"""An engineer's working day in headless Chromium, end to end, against the app the test serves:
sign in, find an asset in the register, record an inspection, schedule a work order and close it from
the schedule, upload a file with an error (refused, nothing written) and then a good one (applied).
Every step is checked in the database too; no console error, nothing loaded from outside the app."""

from __future__ import annotations

from datetime import date, timedelta

import chromium
import pytest
import sqlalchemy as sa
from databases import DEMO, prepared_database
from webauth import PASSWORD, ensure_user

from fm.config import Config
from fm.db import Database

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def served(tmp_path_factory, request):
    folder = tmp_path_factory.mktemp("workday")
    url = prepared_database("sqlite", folder, request, *DEMO)
    ensure_user(url, "yamada", "engineer")
    with chromium.live_app(Config(database_url=url, instance_path=folder, secret_key="test", basemap="none")) as base:
        yield base, url


def _scalar(url: str, sql: str, **params):
    database = Database(url)
    try:
        with database.engine.connect() as connection:
            return connection.execute(sa.text(sql), params).scalar()
    finally:
        database.dispose()


def test_an_engineers_day(browser, served, tmp_path):
    base, url = served
    page = browser.new_page(viewport={"width": 1366, "height": 860})
    errors, outside = [], []
    # The refused upload's preview answers 422 on purpose; Chromium logs any 4xx page as a console error.
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "status of 422" not in m.text else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.route(
        "**/*",
        lambda r: r.continue_() if r.request.url.startswith(base) else (outside.append(r.request.url), r.abort()),
    )
    shot = lambda name: page.screenshot(path=str(chromium.ARTIFACTS / f"workday-{name}.png"), full_page=True)  # noqa: E731
    chromium.ARTIFACTS.mkdir(exist_ok=True)
    code, name = _asset(url)

    # Sign in through the form, landing on the page first asked for.
    page.goto(f"{base}/assets")
    page.fill("#username", "yamada")
    page.fill("#password", PASSWORD)
    page.click("section.sign-in button[type=submit]")
    page.wait_for_url("**/assets")

    # Find the asset by name in the register and open its page.
    page.fill("input[name=q]", name)
    page.locator("#register-filters button[type=submit]").click()
    page.wait_for_url("**q=*")
    page.locator("#register-table").get_by_role("link", name=code, exact=True).click()
    page.wait_for_url(f"**/assets/{code}")
    shot("asset")

    # Record an inspection from the asset page.
    inspections = _scalar(
        url, "SELECT count(*) FROM inspections i JOIN assets a ON a.id = i.asset_id WHERE a.code = :code", code=code
    )
    page.click("#asset-actions >> text=点検を記録")
    page.fill("#inspected_on", date.today().isoformat())
    page.fill("#inspector", "山田")
    measure = "#soundness" if page.locator("#soundness").count() else "#condition_score"
    page.select_option(measure, index=2)
    page.click("form.record-form button[type=submit]")
    page.wait_for_url(f"**/assets/{code}")
    assert (
        _scalar(
            url, "SELECT count(*) FROM inspections i JOIN assets a ON a.id = i.asset_id WHERE a.code = :code", code=code
        )
        == inspections + 1
    )

    # Schedule a work order for next week...
    planned = date.today() + timedelta(days=7)
    page.click("#asset-actions >> text=工事・修繕を登録")
    page.fill("#code", "WO-E2E-1")
    page.select_option("#kind", "preventive")
    page.fill("#description", "伸縮装置の止水")
    page.fill("#planned_on", planned.isoformat())
    page.fill("#planned_cost", "1,200,000")
    page.click("form.record-form button[type=submit]")
    page.wait_for_url(f"**/assets/{code}")
    assert _scalar(url, "SELECT status FROM work_orders WHERE code = 'WO-E2E-1'") == "planned"

    # ... find it on the schedule and close it with the actual date and cost.
    page.goto(f"{base}/schedule?kind=work_order")
    row = page.locator("table.schedule tr", has_text="WO-E2E-1")
    assert row.count() == 1
    shot("schedule")
    row.locator("a.button").click()
    page.fill("#completed_on", date.today().isoformat())
    page.fill("#actual_cost", "1,150,000")
    page.check("#done-form input[name=kind][value=preventive]")
    page.click("#done-form button[type=submit]")
    page.wait_for_load_state()
    assert (
        _scalar(url, "SELECT status || ' ' || actual_cost FROM work_orders WHERE code = 'WO-E2E-1'")
        == "completed 1150000"
    )

    # Upload inspections: a file with a bad row is refused and writes nothing ...
    bad, good = tmp_path / "inspections-bad.csv", tmp_path / "inspections.csv"
    bad.write_text(f"asset_code,inspected_on,soundness\n{code},2025-05-01,V\n", encoding="utf-8")
    good.write_text(f"asset_code,inspected_on,soundness\n{code},2025-05-01,II\n", encoding="utf-8")
    before = _scalar(url, "SELECT count(*) FROM inspections")
    page.goto(f"{base}/upload")
    page.check("input[name=kind][value=inspections]")
    page.set_input_files("#file", str(bad))
    with page.expect_navigation():  # the form's script sends the file and opens the preview once it is ready
        page.click("main form button[type=submit]")
    assert page.locator("#refused").count() == 1 and page.locator("#apply").count() == 0
    assert "V" in page.locator("#refused").inner_text()
    shot("upload-refused")
    assert _scalar(url, "SELECT count(*) FROM inspections") == before

    # ... and a good one is previewed, then applied.
    page.goto(f"{base}/upload")
    page.check("input[name=kind][value=inspections]")
    page.set_input_files("#file", str(good))
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert page.locator("#count-added").inner_text() == "1"
    shot("upload-preview")
    page.click("#apply")
    page.wait_for_load_state()
    assert _scalar(url, "SELECT count(*) FROM inspections") == before + 1
    assert _scalar(url, "SELECT count(*) FROM audit_log WHERE actor = 'yamada' AND source = 'import'") == 1

    assert errors == [] and outside == []
    page.close()


def _asset(url: str) -> tuple[str, str]:
    """A bridge of the demo, whose name finds it in the register."""
    database = Database(url)
    with database.engine.connect() as connection:
        row = connection.execute(
            sa.text(
                "SELECT code, name FROM assets WHERE category = 'bridge' AND status = "
                "'in_service' ORDER BY code LIMIT 1"
            )
        ).one()
    database.dispose()
    return row.code, row.name
