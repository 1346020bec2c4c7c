"""Map pages and their endpoints over the scored demo, on SQLite and PostGIS: each figure a map
shows is the one the indicators and the risk run give for the same records."""

from __future__ import annotations

import html
import json
import re

import pytest
import sqlalchemy as sa
from clirun import run

from fm.app import maps
from fm.db import Database

CITY = "139.40,35.25,139.65,35.40"


def _scalar(url: str, sql: str) -> int:
    database = Database(url)
    with database.connect() as connection:
        value = connection.execute(sa.text(sql)).scalar()
    database.dispose()
    return int(value)


def _layer(client, layer: str, query: str) -> dict:
    response = client.get(f"/api/map/{layer}?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_the_city_viewport_holds_every_held_asset(map_client, scored_demo_url):
    held = _scalar(scored_demo_url, "SELECT count(*) FROM assets WHERE status <> 'disposed' AND geom IS NOT NULL")
    data = _layer(map_client, "risk", f"bbox={CITY}&zoom=13")
    assert data["mode"] == "features" and data["total"] == len(data["features"]) == held
    assert {f["geometry"]["type"] for f in data["features"]} == {"Point", "LineString", "Polygon"}


def test_too_many_features_become_clusters_that_count_them_all(map_client, monkeypatch):
    monkeypatch.setattr(maps, "MAX_FEATURES", 100)
    data = _layer(map_client, "risk", f"bbox={CITY}&zoom=13")
    assert data["mode"] == "clusters"
    assert sum(f["properties"]["count"] for f in data["features"]) == data["total"] > 100
    assert all(sum(f["properties"]["classes"].values()) == f["properties"]["count"] for f in data["features"])


def test_filters_match_the_records(map_client, scored_demo_url):
    in_district = _scalar(
        scored_demo_url,
        "SELECT count(*) FROM assets WHERE status <> 'disposed' AND geom IS NOT NULL AND district_id = 2",
    )
    assert _layer(map_client, "risk", f"bbox={CITY}&zoom=13&district=2")["total"] == in_district
    very_high = _scalar(
        scored_demo_url,
        "SELECT count(*) FROM risk_scores s JOIN assets a ON a.id = s.asset_id "
        "WHERE s.risk_class = 'very_high' AND a.geom IS NOT NULL",
    )
    data = _layer(map_client, "risk", f"bbox={CITY}&zoom=13&class=very_high")
    assert data["total"] == very_high > 0 and {f["properties"]["class"] for f in data["features"]} == {"very_high"}
    bridges = _layer(map_client, "risk", f"bbox={CITY}&zoom=13&category=bridge&condition=3,4")
    worn = _scalar(
        scored_demo_url,
        "SELECT count(*) FROM risk_scores s JOIN assets a ON a.id = s.asset_id "
        "WHERE a.category = 'bridge' AND s.state IN (3, 4)",
    )
    assert bridges["total"] == worn > 0
    assert _layer(map_client, "risk", f"bbox={CITY}&zoom=13&category=")["total"] == 0
    # The page's form sends "all" as an empty value: no restriction.
    everything = _layer(map_client, "risk", f"bbox={CITY}&zoom=13")["total"]
    assert _layer(map_client, "risk", f"bbox={CITY}&zoom=13&district=&class=&condition=")["total"] == everything


def test_plan_status_is_the_plan_coverage_indicator(map_client, scored_demo_url):
    data = _layer(map_client, "plans", f"bbox={CITY}&zoom=13&fiscal_year=2025")
    classes = [f["properties"]["class"] for f in data["features"]]
    kpi = json.loads(run(scored_demo_url, "kpi", "--fiscal-year", "2025", "--format", "json").stdout)
    coverage = next(row for row in kpi["indicators"] if row["indicator"] == "plan_coverage")
    assert classes.count("adopted") == coverage["numerator"]
    assert classes.count("adopted") + classes.count("needed") == coverage["denominator"]
    assert classes.count("not_needed") > 0


def test_card_agrees_with_the_risk_explanation(map_client):
    code = _layer(map_client, "risk", f"bbox={CITY}&zoom=13&class=very_high")["features"][0]["properties"]["code"]
    card = map_client.get(f"/api/map/cards/{code}?lang=en").get_json()
    explained = map_client.get(f"/api/risk/{code}?lang=en").get_json()
    assert card["risk_class"] == explained["risk_class"] == "very_high"
    assert card["score"] == round(explained["score"], 3)
    assert card["reasons"] == explained["reasons"][:3]
    assert card["url"] == f"/assets/{code}" and card["last_inspected_on"] <= "2026-04-01"


def test_asset_page_shows_the_card_and_a_map(map_client):
    page = map_client.get("/assets/BL-00001?lang=ja").get_data(as_text=True)
    assert "鎌倉市役所本庁舎" in page and "folium-map" in page and "fmMap.scale" in page
    assert map_client.get("/assets/NO-SUCH").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/maps/risk",
        "/maps/plans",
        "/maps/land?fiscal_year=2025",
        "/maps/districts?indicator=aging_ratio&fiscal_year=2024",
        "/maps/repairs",
        "/maps/risk?lang=en&district=1&class=high",
        "/assets/BL-00001",
    ],
)
def test_pages_load_nothing_from_outside_the_app(map_client, path):
    response = map_client.get(path)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    sources = re.findall(r'<(?:script|img)[^>]+src="([^"]+)"|<link[^>]+href="([^"]+)"', page)
    assert sources and all((s or h).startswith("/static/") for s, h in sources), sources
    assert not re.search(r"https?://[^\"' ]*cdn", page.lower())  # no CDN address anywhere, even in script


def test_land_map_total_is_the_indicator(map_client):
    page = map_client.get("/maps/land?fiscal_year=2025&lang=ja").get_data(as_text=True)
    assert "計 9,039.08 m²" in page  # the published FY2025 figure, from the indicator's own records


def test_district_figures_add_up_to_the_city(scored_demo_url):
    database = Database(scored_demo_url)
    with database.session() as session:
        repairs = maps.district_indicator(session, "reactive_repairs", fiscal_year=2024)
        aging = maps.district_indicator(session, "aging_ratio", fiscal_year=2024)
        points = maps.repair_points(session, first=2020, last=2024)
    database.dispose()
    kpi = json.loads(run(scored_demo_url, "kpi", "--format", "json").stdout)["indicators"]
    by_year = {(r["indicator"], r["fiscal_year"]): r for r in kpi}
    assert repairs["numerator"].sum() == by_year[("reactive_repairs", 2024)]["numerator"]
    # whole yen, added up exactly: the districts' yen add up to the city's, to the yen
    assert sum(aging["numerator"]) == by_year[("aging_ratio", 2024)]["numerator"]
    assert sum(aging["denominator"]) == by_year[("aging_ratio", 2024)]["denominator"]
    assert len(points) == sum(by_year[("reactive_repairs", y)]["numerator"] for y in range(2020, 2025))


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/api/map/risk?zoom=13", 400, "bbox is required"),
        (f"/api/map/risk?bbox={CITY}&zoom=abc", 400, "zoom must be a whole number"),
        ("/api/map/risk?bbox=35.3,139.5,35.4,139.6&zoom=13", 400, "swapped"),
        (f"/api/map/risk?bbox={CITY}&zoom=13&category=castle", 400, "category: unknown value 'castle'"),
        (f"/api/map/risk?bbox={CITY}&zoom=13&district=99", 400, "district: unknown value '99'"),
        (f"/api/map/risk?bbox={CITY}&zoom=13&class=awful", 400, "class: unknown value 'awful'"),
        (f"/api/map/risk?bbox={CITY}&zoom=13&condition=0", 400, "condition: unknown value '0'"),
        (f"/api/map/plans?bbox={CITY}&zoom=13&category=road", 400, "category: unknown value 'road'"),
        (f"/api/map/plans?bbox={CITY}&zoom=13&fiscal_year=20x5", 400, "fiscal_year must be a year"),
        (f"/api/map/parcels?bbox={CITY}&zoom=13", 404, "no map layer 'parcels'"),
        ("/api/map/cards/NO-SUCH", 404, "no asset with code 'NO-SUCH'"),
        ("/maps/treasure", 404, "no map 'treasure'"),
        ("/maps/districts?indicator=happiness", 400, "unknown district indicator 'happiness'"),
        ("/maps/repairs?years=0", 400, "years must be a whole number from 1 to 50"),
        ("/maps/repairs?years=%C2%B2", 400, "years must be a whole number from 1 to 50"),
        (f"/api/map/plans?bbox={CITY}&zoom=13&fiscal_year=%C2%B2%C2%B2%C2%B2%C2%B2", 400, "fiscal_year must be a year"),
    ],
)
def test_bad_parameters_get_a_message_not_a_500(map_client, path, status, message):
    response = map_client.get(path)
    assert response.status_code == status
    assert message in html.unescape(response.get_data(as_text=True))


def test_maps_home_keeps_its_query_whatever_the_keys(map_client):
    for query in ("kind=plans", "endpoint=x&lang=en", ""):
        response = map_client.get(f"/maps?{query}")
        assert response.status_code == 302
        assert response.headers["Location"] == "/maps/risk" + (f"?{query}" if query else "")


def test_codes_with_a_slash_have_a_page_and_a_card(map_app):
    urls = map_app.url_map.bind("localhost")
    assert urls.match("/assets/BR/001") == ("assets.page", {"code": "BR/001"})
    assert urls.match("/api/map/cards/BR/001") == ("map_api.card", {"code": "BR/001"})


def test_exported_cards_belong_to_their_features(scored_demo_url, monkeypatch):
    from fm.domain.risk.config import load_config
    from fm.io import store

    monkeypatch.setattr(store, "MANY_IDS", 100)  # take the path of a large register: every card at once
    database = Database(scored_demo_url)
    with database.session() as session:
        data = maps.layer_features(session, "risk", {"district": "2"}, config=load_config())
    database.dispose()
    assert len(data["features"]) > 100
    assert all(f["properties"]["card"]["code"] == f["properties"]["code"] for f in data["features"])


def test_page_category_starts_with_only_those_layers(map_client):
    page = map_client.get("/maps/risk?category=bridge&lang=en").get_data(as_text=True)
    names = re.findall(r'"([^"]+)" : (feature_group_[0-9a-f]+)', page)
    added = set(re.findall(r"(feature_group_[0-9a-f]+)\.addTo\(", page))
    assert {name for name, group in names if group in added} == {"Bridge"}


def test_the_risk_map_filters_to_the_statutory_duties(map_client, scored_demo_url):
    overdue = json.loads(run(scored_demo_url, "duties", "--overdue", "--format", "json").stdout)
    unmet = json.loads(run(scored_demo_url, "duties", "--state", "none", "--format", "json").stdout)
    unmet += json.loads(run(scored_demo_url, "duties", "--state", "planned", "--format", "json").stdout)
    assert overdue  # the demo has Ⅲ structures past their deadline with no measure
    data = _layer(map_client, "risk", f"bbox={CITY}&zoom=13&duty=overdue")
    assert sorted(f["properties"]["code"] for f in data["features"]) == sorted({d["code"] for d in overdue})
    assert _layer(map_client, "risk", f"bbox={CITY}&zoom=13&duty=unmet")["total"] == len({d["code"] for d in unmet})
    page = map_client.get("/maps/risk?duty=overdue&lang=ja").get_data(as_text=True)
    assert '<option value="overdue" selected>' in page and "判定区分Ⅲ・Ⅳで措置未着手" in page
    bad = map_client.get(f"/api/map/risk?bbox={CITY}&zoom=13&duty=someday")
    assert bad.status_code == 400 and "duty must be unmet or overdue" in bad.get_json()["error"]["message"]
