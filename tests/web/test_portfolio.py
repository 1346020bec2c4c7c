"""The portfolio review on the scored Kamakura demo (SQLite, a copy of the one the test process prepares
once): the evaluation's and the card's JSON equal the CLI's, the pages render in Japanese, and in Chromium (no
console error, nothing outside the app, the card printed on one A4 page). The backends matter only below
(tests/io, tests/db)."""

from __future__ import annotations

import json
import re

import chromium
import pytest
from clirun import run
from databases import SCORED_DEMO, prepared_database
from webauth import signed_in

from fm.config import Config
from fm.web import create_app


@pytest.fixture(scope="module")
def demo(tmp_path_factory, request):
    """A copy of the scored demo the test process prepares once."""
    folder = tmp_path_factory.mktemp("portfolio")
    return prepared_database("sqlite", folder, request, *SCORED_DEMO), folder


@pytest.fixture(scope="module")
def client(demo):
    url, folder = demo
    app = create_app(Config(database_url=url, instance_path=folder, secret_key="test"))
    app.config.update(TESTING=True)
    yield signed_in(app, "viewer")
    app.extensions["fm.database"].dispose()


def test_evaluation_json_equals_the_cli_and_finds_a_handful_to_close(demo, client, tmp_path):
    url, _folder = demo
    cli = json.loads(run(url, "portfolio", "evaluate", "--format", "json").output)
    api = client.get("/api/portfolio/evaluation").get_json()
    assert api == cli
    assert {"code", "performance", "use", "quadrant"} <= set(cli[0])
    quadrants = [row["quadrant"] for row in cli]
    assert 5 <= quadrants.count("consider_closing") <= 25
    assert set(quadrants) == {"keep", "improve", "repurpose_merge", "consider_closing"}
    closing = json.loads(run(url, "portfolio", "evaluate", "--quadrant", "consider_closing", "--format", "json").output)
    assert [r["code"] for r in closing] == [r["code"] for r in cli if r["quadrant"] == "consider_closing"]
    bad = tmp_path / "bad.toml"
    bad.write_text("[thresholds]\nuse = 150\n", encoding="utf-8")
    refused = run(url, "portfolio", "evaluate", "--settings", str(bad))
    assert refused.exit_code == 1 and "'thresholds.use' must be a number from 0 to 100, got 150" in refused.output


def test_card_json_equals_the_cli_for_a_building_and_a_service(demo, client):
    url, _folder = demo
    for code, extra in (("BL-00036", ()), ("SV-00001", ("--service",))):
        cli = json.loads(run(url, "portfolio", "card", code, "--format", "json", *extra).output)
        api = client.get(f"/api/portfolio/cards/{code}" + ("?service=1" if extra else "")).get_json()
        assert api == cli
    building = client.get("/api/portfolio/cards/BL-00036").get_json()
    assert [s["kind"] for s in building["services"]] == ["child_care", "youth"]  # a 子どもの家 and a 子ども会館
    assert [y["fiscal_year"] for y in building["years"]] == [2021, 2022, 2023, 2024, 2025]
    last = building["years"][-1]
    assert last["cost_per_user"] == (2 * last["operating_cost"] + last["users"]) // (2 * last["users"])
    assert 0 < building["renewal"]["next_10_years"] <= building["renewal"]["next_40_years"]
    people = building["district"]["population"]  # 鎌倉: counted FY2024, then projected to 2050
    assert building["district"]["code"] == "kamakura" and people[0]["total"] == 46_193 and not people[0]["projected"]
    assert people[-1]["fiscal_year"] == 2050 and people[-1]["projected"]
    service = client.get("/api/portfolio/cards/SV-00001?service=1").get_json()
    assert [b["code"] for b in service["buildings"]] == ["BL-00001", "BL-00006"]  # one service in two buildings
    missing = client.get("/api/portfolio/cards/NOPE")
    assert missing.status_code == 404 and "NOPE" in missing.get_json()["error"]["message"]


def test_pages_in_japanese(client):
    page = client.get("/portfolio/").get_data(as_text=True)
    assert "<svg" in page and "廃止・統合検討" in page and "用途転換・複合化" in page
    assert 'href="/portfolio/cards/BL-00001"' in page
    card = client.get("/portfolio/cards/BL-00036").get_data(as_text=True)
    assert "施設カルテ" in card and "第一子ども会館" in card
    service = client.get("/portfolio/cards/SV-00001?service=1").get_data(as_text=True)
    assert "BL-00006" in service and "市民サービスコーナー" in service
    earlier = client.get("/portfolio/?fiscal_year=2019").get_data(as_text=True)
    assert '<option value="2019" selected>' in earlier
    english = client.get("/portfolio/?lang=en").get_data(as_text=True)
    assert "Consider closing" in english and "Portfolio review" in english


def test_pages_in_chromium(browser, demo):
    url, folder = demo
    with chromium.live_app(Config(database_url=url, instance_path=folder, secret_key="test")) as base:
        page, outside, errors = chromium.guarded_page(browser, base)
        chromium.sign_in(page, base)
        page.goto(f"{base}/portfolio/")
        nav = page.locator("nav.main")
        assert nav.get_by_text("施設再編").count() == 1
        page.screenshot(path=str(chromium.ARTIFACTS / "portfolio.png"), full_page=True)
        page.locator("svg.scatter a").first.click()
        page.wait_for_url(re.compile(r".*/portfolio/cards/.+"))
        assert "施設カルテ" in page.locator("h1").inner_text()
        page.goto(f"{base}/portfolio/cards/BL-00036")
        page.screenshot(path=str(chromium.ARTIFACTS / "portfolio-card.png"), full_page=True)
        pdf = page.pdf(format="A4", print_background=True)
        assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1  # one A4 page for the council
        page.close()
    assert outside == [] and errors == []
