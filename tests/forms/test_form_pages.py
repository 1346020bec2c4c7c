"""The forms through the web app: each role's forms, messages next to their fields in Japanese and English,
nothing written on a bad value, two people saving the same record, and the parcel and plan pages."""

from __future__ import annotations

import html
import re

import geopandas as gpd
import pytest
import sqlalchemy as sa
from formsample import PARCEL, contents, seed
from test_forms_usecase import NEW

from fm.db import Database


@pytest.fixture
def url(db_url: str) -> str:
    seed(db_url)
    return db_url


def field(page: str, name: str) -> str:
    """The part of a form page that shows the field ``name``: its input and its messages."""
    start = page.index(f'data-field="{name}"')
    ends = [i for i in (page.find('data-field="', start + 10), page.find("</form>", start)) if i > 0]
    return html.unescape(page[start : min(ends)])


def scalar(url: str, sql: str):
    database = Database(url)
    with database.connect() as connection:
        value = connection.execute(sa.text(sql)).scalar()
    database.dispose()
    return value


ROLES = {
    "assets": "facility_manager",
    "parcels": "facility_manager",
    "plans": "facility_manager",
    "inspections": "engineer",
    "work_orders": "engineer",
}
NEW_URLS = {
    "assets": "/assets/new",
    "parcels": "/parcels/new",
    "plans": "/plans/new",
    "inspections": "/assets/B-002/inspections/new",
    "work_orders": "/assets/R-001/work-orders/new",
}
EDIT_URLS = {
    "assets": "/assets/S-001/edit",
    "parcels": "/parcels/LP-001/edit",
    "plans": "/plans/PL-001/edit",
    "inspections": "/inspections/1/edit",
    "work_orders": "/work-orders/W-001/edit",
}
PAGES = {
    "assets": "/assets/N-001",
    "parcels": "/parcels/LP-009",
    "plans": "/plans/PL-002",
    "inspections": "/assets/B-002",
    "work_orders": "/assets/R-001",
}


@pytest.mark.parametrize("form", NEW)
def test_a_new_record_saved_from_its_form_goes_to_its_page(url, client_as, form):
    client = client_as(ROLES[form])
    assert client.get(NEW_URLS[form]).status_code == 200
    before = scalar(url, "SELECT count(*) FROM audit_log")
    response = client.post(NEW_URLS[form] + "?lang=en", data=NEW[form][0])
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"] == PAGES[form]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Saved the" in page
    assert scalar(url, "SELECT count(*) FROM audit_log") == before + 1


@pytest.mark.parametrize("form", EDIT_URLS)
def test_an_edit_form_shows_the_stored_record_and_its_version(url, client_as, form):
    page = client_as(ROLES[form]).get(EDIT_URLS[form]).get_data(as_text=True)
    assert '<input type="hidden" name="version" value="1">' in page
    expected = {
        "assets": ("name", "第一小学校"),
        "parcels": ("current_use", "資材置場"),
        "plans": ("asset_codes", "B-001\nB-002"),
        "inspections": ("soundness", 'value="2" selected'),
        "work_orders": ("cause", 'value="sudden_failure" selected'),
    }[form]
    assert expected[1] in field(page, expected[0])


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("ja", ("負の値は入力できません", "日本の範囲外です。経度と緯度が逆になっているようです", "名称")),
        ("en", ("must not be negative", "outside Japan: longitude and latitude look swapped", "Name")),
    ],
)
def test_each_message_is_shown_next_to_its_field_and_nothing_is_written(url, client_as, lang, expected):
    client = client_as("facility_manager")
    before = contents(url)
    values = {**NEW["assets"][0], "acquisition_cost": "-5", "geometry": "35.32, 139.55", "name": ""}
    response = client.post(f"/assets/new?lang={lang}", data=values)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert expected[0] in field(page, "acquisition_cost") and expected[0] not in field(page, "name")
    assert expected[1] in field(page, "geometry")
    assert expected[2] in field(page, "name") and 'aria-invalid="true"' in field(page, "name")
    assert 'value="-5"' in field(page, "acquisition_cost")  # the user's values are shown again
    assert contents(url) == before


def test_a_reactive_work_order_without_cause_is_refused_in_japanese(url, client_as):
    client = client_as("engineer")
    before = contents(url)
    response = client.post("/assets/R-001/work-orders/new", data={**NEW["work_orders"][0], "cause": ""})
    assert response.status_code == 400
    assert "事後保全の工事には原因（突発的な故障など）が必要です" in field(response.get_data(as_text=True), "cause")
    assert contents(url) == before


def test_completing_a_work_order_records_the_condition_after_it_on_the_asset_scale(url, client_as):
    client = client_as("engineer")
    page = client.get("/work-orders/W-001/edit").get_data(as_text=True)  # a repair of bridge B-001, done
    choices = re.findall(r'<option value="(\d)">([^<]+)</option>', field(page, "state_after"))
    assert choices == [("1", "Ⅰ"), ("2", "Ⅱ"), ("3", "Ⅲ"), ("4", "Ⅳ")]
    assert "工事後の状態" in field(page, "state_after")
    values = dict(re.findall(r'name="(\w+)"[^>]*value="([^"]*)"', page))
    selected = dict(re.findall(r'<select name="(\w+)"[^>]*>.*?<option value="([^"]*)" selected', page, re.S))
    form = {**values, **selected, "state_after": "5"}
    refused = client.post("/work-orders/W-001/edit", data=form)
    assert refused.status_code == 400
    assert "資産 B-001 は" in field(refused.get_data(as_text=True), "state_after")
    assert client.post("/work-orders/W-001/edit", data={**form, "state_after": "2"}).status_code == 302
    assert scalar(url, "SELECT state_after FROM work_orders WHERE code = 'W-001'") == 2
    asset = client.get("/assets/B-001").get_data(as_text=True)
    row = asset[asset.index('id="work-order-table"') :].split("</tr>")[1]
    assert '<td class="level">Ⅱ</td>' in row


def test_the_second_of_two_people_saving_the_same_record_gets_409_and_the_first_is_kept(url, client_as):
    first, second = client_as("facility_manager", "sato"), client_as("facility_manager", "suzuki")
    for client in (first, second):
        assert 'name="version" value="1"' in client.get("/assets/S-001/edit").get_data(as_text=True)
    form = {
        "code": "S-001",
        "name": "第一小学校",
        "category": "school",
        "district": "kamakura",
        "status": "in_service",
        "geometry": "POINT (139.55 35.32)",
        "version": "1",
    }
    assert first.post("/assets/S-001/edit", data={**form, "structure": "RC"}).status_code == 302
    refused = second.post("/assets/S-001/edit?lang=en", data={**form, "structure": "SRC", "notes": "耐震補強済み"})
    assert refused.status_code == 409
    page = refused.get_data(as_text=True)
    assert "Changed by sato at" in page and "(JST)" in page and "your changes were not saved" in page
    assert 'value="SRC"' in field(page, "structure") and "耐震補強済み" in field(page, "notes")
    assert "RC" in field(page, "structure").split("Saved by the other person:")[1]
    for unchanged in ("is_evacuation_shelter", "on_emergency_road", "name"):
        assert "Saved by the other person" not in field(page, unchanged), unchanged  # stored false = unticked
    assert 'name="version" value="2"' in page
    assert scalar(url, "SELECT structure FROM assets WHERE code = 'S-001'") == "RC"
    assert scalar(url, "SELECT notes FROM assets WHERE code = 'S-001'") is None


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("viewer", "/assets/new"),
        ("engineer", "/parcels/new"),
        ("finance", "/plans/new"),
        ("facility_manager", "/assets/B-001/inspections/new"),
        ("viewer", "/work-orders/W-001/edit"),
    ],
)
def test_a_role_that_may_not_write_gets_403_and_nothing_changes(url, client_as, role, path):
    client = client_as(role)
    before = contents(url)
    assert client.get(path).status_code == 403
    assert client.post(path, data={"code": "X-1", "name": "x", "category": "school"}).status_code == 403
    assert contents(url) == before


def test_the_parcel_page(url, client):
    page = client.get("/parcels/LP-001?lang=en").get_data(as_text=True)
    area = float(re.search(r'id="area">([\d,.]+) m²', page).group(1).replace(",", ""))
    assert 1_150 < area < 1_270  # 0.0004° × 0.0003° at 35.33°N: about 36.3 m × 33.3 m
    assert area == round(float(gpd.GeoSeries([PARCEL], crs=4326).to_crs(6677).area.iloc[0]), 1)
    uses = page[page.index('id="uses"') : page.index("</table>", page.index('id="uses"'))]
    assert uses.index("2021-11-22") < uses.index("2002-01-15") and "Underused" in uses and "now" in uses
    assert "/parcels/LP-001/edit" not in page  # a viewer
    assert 'nonce="' in page and "L.map" not in page.split("<script")[0]


def test_the_parcel_page_links_to_its_form_for_those_who_may_edit(url, client_as):
    assert "/parcels/LP-001/edit" in client_as("facility_manager").get("/parcels/LP-001").get_data(as_text=True)


def test_the_plan_page(url, client):
    page = client.get("/plans/PL-001?lang=en").get_data(as_text=True)
    assets = page[page.index('id="assets"') : page.index("</table>", page.index('id="assets"'))]
    assert 'href="/assets/B-001"' in assets and 'href="/assets/B-002"' in assets and "Bridge" in assets
    assert "80.0 %" in page and "FY2020 – FY2029" in page and "8,500,000" in page
    assert "支承取替" in page and "whole plan" in page
    ja = client.get("/plans/PL-001?lang=ja").get_data(as_text=True)
    assert "2020年度 – 2029年度" in ja and "執行率" in ja


def test_unknown_records_are_404(url, client, client_as):
    assert client.get("/parcels/NOPE").status_code == 404
    assert client.get("/plans/NOPE").status_code == 404
    assert client_as("facility_manager").get("/assets/NOPE/edit").status_code == 404
    assert client_as("engineer").get("/inspections/999/edit").status_code == 404


def test_the_asset_picker_finds_by_code_or_name(url, client):
    assert [a["code"] for a in client.get("/forms/assets.json?q=B-00").get_json()] == ["B-001", "B-002"]
    assert client.get("/forms/assets.json?q=図書").get_json() == [{"code": "L-001", "name": "中央図書館"}]
    assert client.get("/forms/assets.json?q=%25").get_json() == []
