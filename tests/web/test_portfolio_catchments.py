"""Catchments and the optimiser on the Kamakura demo (SQLite, a copy of the one the test process prepares once):
JSON equal to the CLI's, bad parameters refused naming the field, the page in Japanese and in Chromium (no console
error, nothing outside the app). The formulas are checked by hand in tests/unit/test_portfolio_catchment.py and
test_portfolio_location.py; the backends matter only below (tests/io, tests/db)."""

from __future__ import annotations

import json
import re

import chromium
import pytest
from axe_playwright_python.base import AXE_SCRIPT
from clirun import run
from databases import DEMO, prepared_database
from webauth import signed_in

from fm.config import Config
from fm.web import create_app

TOTAL = 172_938  # the demo's population in FY2024 (docs/portfolio.md)


@pytest.fixture(scope="module")
def demo(tmp_path_factory, request):
    folder = tmp_path_factory.mktemp("catchments")
    return prepared_database("sqlite", folder, request, *DEMO), folder


@pytest.fixture(scope="module")
def client(demo):
    url, folder = demo
    app = create_app(Config(database_url=url, instance_path=folder, secret_key="test"))
    app.config.update(TESTING=True)
    yield signed_in(app, "viewer")
    app.extensions["fm.database"].dispose()


def test_catchment_json_equals_the_cli(demo, client):
    url, _folder = demo
    cli = json.loads(
        run(
            url, "portfolio", "catchment", "library", "--distance", "2000", "--close", "BL-00056", "--format", "json"
        ).output
    )
    api = client.get("/api/portfolio/catchments?kind=library&distance=2000&close=BL-00056").get_json()
    assert api == cli
    assert cli["fiscal_year"] == 2024 and cli["method"] == "straight"
    assert sum(s["population"] for s in cli["sites"]) == TOTAL == cli["summary"]["population"]
    kamakura = next(a for a in cli["areas"] if a["code"] == "kamakura")
    assert kamakura["nearest"] == "BL-00056"  # 中央図書館 serves 鎌倉
    losing = [a["code"] for a in cli["areas"] if a["loses"]]
    assert cli["summary"]["losing_population"] == sum(a["population"] for a in cli["areas"] if a["loses"])
    assert all(a["nearest"] == "BL-00056" for a in cli["areas"] if a["code"] in losing)
    cells = client.get("/api/portfolio/catchments?kind=library&cell=1000&network=1&fiscal_year=2040").get_json()
    assert cells["method"] == "network" and cells["fiscal_year"] == 2040 and len(cells["areas"]) > 30
    assert sum(a["population"] for a in cells["areas"]) == cells["summary"]["population"] < TOTAL  # projected


def test_optimise_json_equals_the_cli(demo, client):
    url, _folder = demo
    cli = json.loads(run(url, "portfolio", "optimise", "library", "--distance", "4000", "--format", "json").output)
    api = client.get("/api/portfolio/optimise?kind=library&distance=4000").get_json()
    assert api == cli
    kept = json.loads(
        run(
            url, "portfolio", "optimise", "library", "--distance", "4000", "--keep", "BL-00002", "--format", "json"
        ).output
    )
    assert kept == client.get("/api/portfolio/optimise?kind=library&distance=4000&keep=BL-00002").get_json()
    assert "BL-00002" in kept["keep"] and kept["fixed"] == ["BL-00002"] and kept["cost"] >= cli["cost"]
    assert cli["optimal"] and cli["uncovered"] == [] and cli["keep"]
    by_code = {s["code"]: s for s in cli["sites"]}
    assert cli["cost"] == sum(by_code[c]["cost"] for c in cli["keep"])
    assert cli["saving"] == sum(by_code[c]["cost"] for c in cli["close"])
    assert all(s["cost"] == s["operating"] + s["renewal"] and s["renewal"] > 0 for s in cli["sites"])
    assert all(a["covered"] for a in cli["areas"])
    table = run(url, "portfolio", "optimise", "library", "--distance", "4000")
    assert table.exit_code == 0 and f"saving ¥{cli['saving']:,}" in table.output


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("kind=swimming&distance=100", "kind: 'swimming' is not a kind of service"),
        ("kind=library&distance=-5", "distance: must be a number of metres, 0 or more"),
        ("kind=library&distance=far", "distance: must be a number of metres"),
        ("kind=library&distance=100&close=BL-99999", "close: 'BL-99999' is not one of these sites"),
        ("kind=library&fiscal_year=2031", "fiscal_year: there is no population for FY2031"),
        ("kind=library&cell=10", "cell: must be a number of metres (50 or more)"),
    ],
)
def test_bad_parameters_are_refused_naming_the_field(client, query, message):
    answer = client.get(f"/api/portfolio/catchments?{query}")
    assert answer.status_code == 400 and message in answer.get_json()["error"]["message"]


def test_bad_parameters_in_the_cli(demo):
    url, _folder = demo
    refused = run(url, "portfolio", "optimise", "swimming", "--distance", "100")
    assert refused.exit_code == 1 and "kind: 'swimming' is not a kind of service" in refused.output
    refused = run(url, "portfolio", "catchment", "library", "--distance", "-1")
    assert refused.exit_code == 1 and "distance: must be a number of metres, 0 or more" in refused.output


def test_page_in_japanese_linked_from_the_portfolio(client):
    assert 'href="/portfolio/catchments"' in client.get("/portfolio/").get_data(as_text=True)
    page = client.get("/portfolio/catchments?kind=library&distance=2000&close=BL-00056&optimise=1")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "利用圏" in text and "中央図書館" in text and "最小費用で残す施設" in text
    assert "leaflet" in text and 'class="loses"' in text


@pytest.mark.browser
def test_page_in_chromium(browser, demo):
    url, folder = demo
    config = Config(database_url=url, instance_path=folder, secret_key="test", basemap="none")
    with chromium.live_app(config) as base:
        page, outside, errors = chromium.guarded_page(browser, base)
        chromium.sign_in(page, base)
        page.goto(f"{base}/portfolio/")
        page.get_by_role("link", name="利用圏").first.click()
        page.wait_for_url("**/portfolio/catchments")
        page.goto(f"{base}/portfolio/catchments?kind=community_centre&distance=1000&cell=500&close=BL-00102&optimise=1")
        page.wait_for_selector(".leaflet-overlay-pane canvas")  # areas and sites drawn on Leaflet's canvas
        assert "利用圏" in page.locator(".leaflet-control-container").inner_text()  # the legend
        assert "閉じる" in page.locator("#optimum").inner_text()  # the optimiser's proposal
        page.evaluate(AXE_SCRIPT)
        options = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
        violations = page.evaluate("options => axe.run(document, options)", options)["violations"]
        assert [v["id"] for v in violations] == []
        page.screenshot(path=str(chromium.ARTIFACTS / "portfolio-catchments.png"))
        page.goto(f"{base}/portfolio/catchments?kind=library&distance=2000&close=BL-00056&lang=en")
        assert "If BL-00056 closed, 46,193 people would have no site" in page.locator("main").inner_text()
        page.screenshot(path=str(chromium.ARTIFACTS / "portfolio-catchments-closed.png"), full_page=True)
        page.close()
    assert outside == [] and errors == []


@pytest.mark.postgis
def test_the_same_answers_on_postgis(demo, tmp_path_factory, request):
    """Sites, districts and the road lines read from PostGIS give the same catchments and optimum as from SQLite."""
    url, _folder = demo
    postgis = prepared_database("postgis", tmp_path_factory.mktemp("catchments-pg"), request, *DEMO)
    for command in (
        ("catchment", "library", "--distance", "2000", "--network", "--cell", "1000", "--close", "BL-00056"),
        ("optimise", "school", "--distance", "2000", "--network"),
    ):
        answers = [json.loads(run(u, "portfolio", *command, "--format", "json").output) for u in (url, postgis)]
        assert answers[0] == answers[1]


def test_the_page_offers_the_kinds_housed_and_drops_a_closure_of_another_kind(client):
    text = client.get("/portfolio/catchments?kind=school&close=BL-00056&distance=2000").get_data(as_text=True)
    assert '<option value="school" selected>' in text and 'value="health"' in text
    assert 'value="fire"' in text and "閉じると" not in text  # 中央図書館 is no school: no closure shown


def test_the_map_as_a_standalone_file(demo, tmp_path):
    url, _folder = demo
    out = tmp_path / "catchments.html"
    done = run(
        url,
        "portfolio",
        "catchment",
        "library",
        "--distance",
        "2000",
        "--close",
        "BL-00056",
        "--map",
        str(out),
        "--basemap",
        "none",
    )
    assert done.exit_code == 0 and f"wrote {out}" in done.output
    html = out.read_text(encoding="utf-8")
    assert "利用圏 · library · FY2024 · 2,000 m" in html and "中央図書館" in html
    assert "L.map(" in html  # Leaflet inlined: no script or stylesheet is fetched
    assert re.search(r'<(script|link)[^>]+(src|href)="https?:', html) is None
