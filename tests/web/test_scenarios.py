"""Portfolio scenarios on the scored Kamakura demo (SQLite, a copy of the one the test process prepares once):
made, filled, shown, compared and exported through the pages; JSON equal to the CLI's; bad actions refused with
nothing written; adoption by the roles allowed to, once, into disposals and work orders; pages in Chromium. The
figures themselves are checked against fm's functions in tests/unit/test_portfolio_scenario.py."""

from __future__ import annotations

import html
import io
import json

import chromium
import openpyxl
import pytest
import sqlalchemy as sa
from clirun import run
from databases import SCORED_DEMO, prepared_database
from webauth import signed_in

from fm.config import Config
from fm.web import create_app

NAME = "町内会館の集約"


@pytest.fixture(scope="module")
def demo(tmp_path_factory, request):
    folder = tmp_path_factory.mktemp("scenarios")
    return prepared_database("sqlite", folder, request, *SCORED_DEMO), folder


@pytest.fixture(scope="module")
def app(demo):
    url, folder = demo
    app = create_app(Config(database_url=url, instance_path=folder, secret_key="test"))
    app.config.update(TESTING=True)
    yield app
    app.extensions["fm.database"].dispose()


def _count(url: str, sql: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        value = connection.execute(sa.text(sql)).scalar_one()
    engine.dispose()
    return int(value)


def test_a_scenario_from_the_pages_to_its_adoption(demo, app):
    url, _folder = demo
    manager = signed_in(app, "facility_manager")
    made = manager.post("/portfolio/scenarios", data={"name": NAME, "description": '=HYPERLINK("x")'})
    assert made.status_code == 302
    added = manager.post(
        f"/portfolio/scenarios/{NAME}/actions",
        data={"action": "close", "building": "BL-00101", "fiscal_year": "2027", "works_cost": "20,000,000"},
    )
    assert added.status_code == 302, added.get_data(as_text=True)
    merge = {"action": "merge", "building": "BL-00102", "fiscal_year": "2028", "target": "BL-00017"}
    assert manager.post(f"/portfolio/scenarios/{NAME}/actions", data=merge).status_code == 302  # a school's spare room
    convert = ("convert", "BL-00115", "--year", "2028", "--use", "elderly_care", "--notes", "=1+1")
    assert run(url, "portfolio", "scenario", "add", NAME, *convert).exit_code == 0
    # refused, naming the action, the building and the field; nothing written
    before = _count(url, "SELECT count(*) FROM scenario_actions")
    for data, message in (
        (
            {"action": "close", "building": "BL-00101", "fiscal_year": "2029"},
            "BL-00101 is closed twice (actions 1 and 4)",
        ),
        (
            {"action": "merge", "building": "BL-00102", "fiscal_year": "2028", "target": "BL-00103"},
            "target: BL-00103 has 0.0 m² free",
        ),
        (
            {"action": "merge", "building": "BL-00102", "fiscal_year": "2028", "target": "BL-00101"},
            "BL-00101 is itself closed (action 1)",
        ),
        (
            {"action": "close", "building": "BL-99999", "fiscal_year": "2027"},
            "no held building has the code 'BL-99999'",
        ),
        (
            {"action": "sell", "building": "BL-00102", "fiscal_year": "2020", "parcel": "LP-0001"},
            "fiscal_year: 2020 is in the past",
        ),
    ):
        refused = manager.post(f"/portfolio/scenarios/{NAME}/actions", data=data)
        assert refused.status_code == 400 and message in html.unescape(refused.get_data(as_text=True)), message
    assert _count(url, "SELECT count(*) FROM scenario_actions") == before == 3

    page = manager.get(f"/portfolio/scenarios/{NAME}").get_data(as_text=True)
    assert "雪ノ下町内会館" in page and "何もしない" in page and "用途転換" in page
    viewer = signed_in(app, "viewer")
    api = viewer.get(f"/api/portfolio/scenarios/{NAME}").get_json()
    assert api == json.loads(run(url, "portfolio", "scenario", "show", NAME, "--format", "json").output)
    figures = {f["key"]: f for f in api["comparison"]["figures"]}
    # 雪ノ下町内会館 closed, 山ノ内町内会館 merged into 富士塚小学校; the converted one kept
    assert figures["floor_area_m2"]["differences"] == [-394.2]
    assert figures["works_cost"]["scenarios"] == [20_000_000]
    assert figures["renewal_40_years"]["differences"][0] < 0
    compared = viewer.get(f"/api/portfolio/scenarios/compare?name={NAME}").get_json()
    assert compared == json.loads(run(url, "portfolio", "scenario", "compare", NAME, "--format", "json").output)
    assert [s["name"] for s in viewer.get("/api/portfolio/scenarios").get_json()] == [NAME]

    book = openpyxl.load_workbook(io.BytesIO(viewer.get(f"/portfolio/scenarios/export.xlsx?name={NAME}").data))
    assert book.sheetnames[:2] == ["比較", "年度別"]
    rows = list(book["比較"].iter_rows(values_only=True))
    assert rows[0] == ("指標", "何もしない", NAME)
    assert dict((r[0], r[2]) for r in rows[1:])["解体・改修工事（円）"] == 20_000_000

    actions = list(book[f"1. {NAME}"].iter_rows(values_only=True))
    assert actions[3][actions[0].index("notes")] == "'=1+1"  # a formula typed in stays text

    # adoption: not by a viewer, an engineer or finance; once by a facility manager
    for role in ("viewer", "engineer", "finance"):
        assert signed_in(app, role).post(f"/portfolio/scenarios/{NAME}/adopt").status_code == 403
    unconfirmed = manager.post(f"/portfolio/scenarios/{NAME}/adopt")
    assert unconfirmed.status_code == 400 and "Tick the box" not in unconfirmed.get_data(as_text=True)  # Japanese
    adopted = manager.post(f"/portfolio/scenarios/{NAME}/adopt", data={"confirm": "1"})
    assert adopted.status_code == 302
    assert _count(url, "SELECT count(*) FROM assets WHERE code = 'BL-00101' AND disposed_on = '2027-04-01'") == 1
    assert _count(url, "SELECT count(*) FROM work_orders WHERE code LIKE 'SCN-%' AND planned_cost = 20000000") == 1
    assert _count(url, "SELECT count(*) FROM audit_log WHERE table_name = 'portfolio_scenarios'") == 2
    again = manager.post(f"/portfolio/scenarios/{NAME}/adopt", data={"confirm": "1"})
    assert again.status_code == 409 and "adopted already" in html.unescape(again.get_data(as_text=True))
    assert _count(url, "SELECT count(*) FROM work_orders WHERE code LIKE 'SCN-%'") == 1
    assert manager.post(f"/portfolio/scenarios/{NAME}/delete").status_code == 409


def test_pages_in_chromium(browser, demo, app):
    url, folder = demo
    signed_in(app, "facility_manager").post("/portfolio/scenarios", data={"name": "案B"})
    assert run(url, "portfolio", "scenario", "create", "案C").exit_code == 0
    assert run(url, "portfolio", "scenario", "add", "案C", "close", "BL-00221", "--year", "2028").exit_code == 0
    with chromium.live_app(Config(database_url=url, instance_path=folder, secret_key="test")) as base:
        page, outside, errors = chromium.guarded_page(browser, base)
        chromium.sign_in(page, base, role="facility_manager")
        page.goto(f"{base}/portfolio/cards/BL-00201")
        page.get_by_text("シナリオに追加").click()
        page.wait_for_url("**/portfolio/scenarios?building=BL-00201")
        page.screenshot(path=str(chromium.ARTIFACTS / "scenarios.png"), full_page=True)
        page.get_by_role("link", name="案B").click()
        assert page.locator("input[name=building]").input_value() == "BL-00201"  # from the card
        page.fill("input[name=fiscal_year]", "2027")
        page.get_by_role("button", name="追加").click()
        assert page.locator("#scenario-actions").get_by_text("佐助公衆トイレ").count() == 1
        assert "何もしない" in page.content()
        page.screenshot(path=str(chromium.ARTIFACTS / "scenario.png"), full_page=True)
        page.goto(f"{base}/portfolio/scenarios/compare?name=案B&name=案C")
        page.screenshot(path=str(chromium.ARTIFACTS / "scenarios-compare.png"), full_page=True)
        page.close()
    assert outside == [] and errors == []


def test_a_scenario_proposed_by_fm_closes_the_sites_the_optimiser_drops(demo, app):
    url, _folder = demo
    optimum = json.loads(run(url, "portfolio", "optimise", "library", "--distance", "2500", "--format", "json").output)
    assert optimum["close"], "the demo's libraries within 2.5 km: the optimiser drops at least one"
    made = run(url, "portfolio", "scenario", "propose", "library", "--distance", "2500", "--year", "2028")
    assert made.exit_code == 0, made.output
    shown = json.loads(run(url, "portfolio", "scenario", "show", "fm: library 2,500 m", "--format", "json").output)
    assert [(a["action"], a["building"], a["fiscal_year"]) for a in shown["actions"]] == [
        ("close", code, 2028) for code in optimum["close"]
    ]
    assert f"saving {optimum['saving']:,} yen" in shown["scenario"]["description"]
    manager = signed_in(app, "facility_manager")
    proposed = manager.post("/portfolio/scenarios/propose", data={"kind": "library", "distance": "3000"})
    assert proposed.status_code == 302 and proposed.headers["Location"].endswith(
        "/portfolio/scenarios/fm:%20library%203,000%20m"
    )
    refused = manager.post("/portfolio/scenarios/propose", data={"kind": "library", "distance": "-5"})
    assert refused.status_code == 400
