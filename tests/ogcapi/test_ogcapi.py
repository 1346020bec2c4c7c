"""The OGC API – Features service through Flask's test client: documents, items, filters, paging, errors."""

from __future__ import annotations

import pytest


def get(client, path: str, **query):
    response = client.get(path, query_string=query)
    return response, response.get_json(silent=True)


def test_landing_conformance_collections(viewer):
    response, body = get(viewer, "/ogcapi/", f="json")
    assert response.status_code == 200
    rels = {link["rel"]: link["href"] for link in body["links"]}
    assert rels["service-desc"].endswith("/ogcapi/api")
    _, conformance = get(viewer, "/ogcapi/conformance", f="json")
    assert any(c.endswith("conf/geojson") for c in conformance["conformsTo"])
    _, listing = get(viewer, "/ogcapi/collections", f="json")
    assert [c["id"] for c in listing["collections"]] == [
        "assets",
        "parcels",
        "districts",
        "inspections",
        "work_orders",
        "plans",
    ]
    assets = listing["collections"][0]
    west, south, east, north = assets["extent"]["spatial"]["bbox"][0]
    assert 139.5 < west <= 139.52 and 35.3 < north < 35.4
    assert assets["extent"]["temporal"]["interval"][0][0].startswith("19")


def test_extents_of_the_collections_placed_at_assets(viewer):
    """Inspections, work orders and plans take the box of just the assets their features are at (the plan covers
    B-001 and B-002 only), not the box of every asset."""
    from shapely import box as make_box
    from shapely.geometry import shape
    from shapely.ops import unary_union

    everything = get(viewer, "/ogcapi/collections/assets", f="json")[1]["extent"]["spatial"]["bbox"][0]
    smaller = 0
    for name in ("inspections", "work_orders", "plans"):
        extent = get(viewer, f"/ogcapi/collections/{name}", f="json")[1]["extent"]["spatial"]["bbox"][0]
        items = get(viewer, f"/ogcapi/collections/{name}/items", f="json", limit=1000)[1]["features"]
        assert items, name
        expected = unary_union([shape(f["geometry"]) for f in items]).bounds
        assert extent == pytest.approx(expected, abs=3e-5), name  # float32 in SQLite's R*Tree, rounded outward
        smaller += make_box(*extent).area < make_box(*everything).area - 1e-9
    assert smaller >= 1  # at least the plan's box is strictly inside all assets'


def test_plan_status_is_the_plan_coverage_indicators(sample_url, viewer):
    """The assets' plan_status (SQL, per page) says what the plan coverage indicator's own rule says, and it can
    be filtered on."""
    from datetime import date

    import sqlalchemy as sa

    from fm.app.maps import plan_status
    from fm.db import Database
    from fm.domain.fiscal import fiscal_year
    from fm.io import store

    database = Database(sample_url)
    flag = sa.text("UPDATE assets SET needs_individual_plan = :v WHERE code = 'B-001'")
    with database.session() as session:
        session.execute(flag, {"v": True})  # needing a plan and covered by P-001: adopted
    try:
        with database.session() as session:
            assets = store.read_table(session, "assets")
            expected = plan_status(session, assets, fiscal_year=fiscal_year(date.today()))
        items = get(viewer, "/ogcapi/collections/assets/items", f="json", limit=100)[1]["features"]
        served = {f["properties"]["code"]: f["properties"]["plan_status"] for f in items}
        assert served == dict(zip(assets["code"], assets["id"].map(expected), strict=True))
        assert (served["B-001"], served["B-002"], served["S-001"]) == ("adopted", "not_needed", "needed")
        needed = get(viewer, "/ogcapi/collections/assets/items", f="json", plan_status="needed")[1]["features"]
        assert [f["id"] for f in needed] == ["S-001"]
    finally:
        with database.session() as session:
            session.execute(flag, {"v": False})
        database.dispose()


def test_items_page_and_one_item(viewer):
    response, body = get(viewer, "/ogcapi/collections/assets/items", f="json", limit=2)
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    assert response.headers["Content-Crs"] == "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
    assert body["numberMatched"] == 6 and body["numberReturned"] == 2
    assert [f["id"] for f in body["features"]] == ["B-001", "B-002"]
    print(body["features"][0])
    seen = []
    url = "/ogcapi/collections/assets/items?f=json&limit=4"
    while url:
        page = viewer.get(url).get_json()
        seen += [f["id"] for f in page["features"]]
        url = next((link["href"] for link in page["links"] if link["rel"] == "next"), None)
    assert len(seen) == 6 == len(set(seen))
    _, one = get(viewer, "/ogcapi/collections/assets/items/B-001", f="json")
    assert one["properties"]["name"] == "滑川橋" and one["geometry"]["type"] == "Point"


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({"bbox": "1,2,3"}, 400),
        ({"bbox": "139.6,35.3,139.5,35.4"}, 400),
        ({"limit": "0"}, 400),
        ({"limit": str(10**9)}, 400),
        ({"nosuch": "1"}, 400),
        ({"datetime": "2020-13-01"}, 400),
        ({"crs": "EPSG:3857"}, 400),
        ({"bbox-crs": "EPSG:3857", "bbox": "1,2,3,4"}, 400),
        ({"bbox-crs": "EPSG:6677", "bbox": "-1e300,-1e300,1e300,1e300"}, 400),
        ({"bbox": "nan,1,2,3"}, 400),
        ({"offset": "-1"}, 400),
        ({"limit": "ten"}, 400),
    ],
)
def test_bad_parameters(viewer, query, status):
    response, body = get(viewer, "/ogcapi/collections/assets/items", f="json", **query)
    assert response.status_code == status
    assert body["code"] == "InvalidParameterValue" and body["description"]


def test_unknown_format(viewer):
    response = viewer.get("/ogcapi/collections?f=xml")
    assert response.status_code == 400 and response.get_json()["code"] == "InvalidParameterValue"


def test_unknown_collection_and_feature(viewer):
    for path in (
        "/ogcapi/collections/nosuch",
        "/ogcapi/collections/nosuch/items",
        "/ogcapi/collections/assets/items/NOPE",
    ):
        response, body = get(viewer, path, f="json")
        assert response.status_code == 404 and body["code"] == "NotFound"


def test_every_collection_has_its_features(viewer):
    expected = {"assets": 6, "parcels": 1, "districts": 2, "inspections": 2, "work_orders": 1, "plans": 1}
    for name, count in expected.items():
        response, body = get(viewer, f"/ogcapi/collections/{name}/items", f="json", limit=100)
        assert response.status_code == 200, (name, body)
        assert body["numberMatched"] == count == len(body["features"]), name
    _, parcels = get(viewer, "/ogcapi/collections/parcels/items", f="json")
    parcel = parcels["features"][0]["properties"]
    assert parcel["utilisation"] == "unused" and parcel["underused"] is True and 9_000 < parcel["area_m2"] < 11_000
    _, plans = get(viewer, "/ogcapi/collections/plans/items", f="json")
    assert (
        plans["features"][0]["geometry"]["type"] == "MultiPoint"
        and plans["features"][0]["properties"]["assets_covered"] == 2
    )
    _, districts = get(viewer, "/ogcapi/collections/districts/items", f="json")
    assert (
        districts["features"][0]["properties"]["population"] == 45000
        and "plan_coverage" in districts["features"][0]["properties"]
    )


def test_filters_bbox_property_datetime(viewer):
    _, body = get(viewer, "/ogcapi/collections/assets/items", f="json", bbox="139.55,35.31,139.56,35.32", limit=100)
    inside = {f["id"] for f in body["features"]}
    _, everything = get(viewer, "/ogcapi/collections/assets/items", f="json", limit=100)
    from shapely import box
    from shapely.geometry import shape

    window = box(139.55, 35.31, 139.56, 35.32)
    assert inside == {
        f["id"] for f in everything["features"] if f["geometry"] and shape(f["geometry"]).intersects(window)
    }
    assert inside and inside != {f["id"] for f in everything["features"]}
    _, bridges = get(viewer, "/ogcapi/collections/assets/items", f="json", category="bridge", limit=100)
    assert {f["properties"]["category"] for f in bridges["features"]} == {"bridge"} and bridges["numberMatched"] == 2
    _, recent = get(viewer, "/ogcapi/collections/inspections/items", f="json", datetime="2023-01-01/..")
    assert [f["properties"]["inspected_on"] for f in recent["features"]] == ["2023-06-01"]


def test_epsg6677_output_and_bbox(viewer):
    import geopandas as gpd
    from shapely import Point

    response, body = get(
        viewer, "/ogcapi/collections/assets/items/B-001", f="json", crs="http://www.opengis.net/def/crs/EPSG/0/6677"
    )
    assert response.headers["Content-Crs"] == "<http://www.opengis.net/def/crs/EPSG/0/6677>"
    northing, easting = body["geometry"]["coordinates"]
    expected = gpd.GeoSeries([Point(139.5531, 35.3122)], crs="EPSG:4326").to_crs("EPSG:6677")[0]
    assert abs(easting - expected.x) < 0.001 and abs(northing - expected.y) < 0.001
    box6677 = f"{expected.y - 10},{expected.x - 10},{expected.y + 10},{expected.x + 10}"
    _, near = get(viewer, "/ogcapi/collections/assets/items", f="json", bbox=box6677, **{"bbox-crs": "EPSG:6677"})
    assert [f["id"] for f in near["features"]] == ["B-001"]


def test_html_pages(viewer):
    for path in (
        "/ogcapi/",
        "/ogcapi/collections",
        "/ogcapi/collections/assets",
        "/ogcapi/collections/assets/items",
        "/ogcapi/collections/assets/items/B-001",
        "/ogcapi/api",
    ):
        response = viewer.get(path, headers={"Accept": "text/html"})
        assert response.status_code == 200 and response.mimetype == "text/html", path
    assert "滑川橋" in viewer.get("/ogcapi/collections/assets/items?f=html").get_data(as_text=True)


def test_missing_values_are_null(viewer):
    _, body = get(viewer, "/ogcapi/collections/assets/items/B-002", f="json")
    assert body["properties"]["acquisition_cost"] is None and body["properties"]["risk_class"] is None
