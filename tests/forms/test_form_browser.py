"""The forms in headless Chromium (Debian's chromium): draw a polygon and a point with Leaflet-Geoman, type
WKT and see the map follow, see a bad geometry's message next to the field, and screenshot every form and
page in Japanese and English at desktop and tablet width (test-artifacts/forms-*.png).

Every request outside the app is refused and counted (the basemap is ``none``), and no console error may occur.
"""

from __future__ import annotations

import chromium
import pytest
import shapely
import sqlalchemy as sa
from databases import new_database
from formsample import seed

from fm.config import Config
from fm.db import Database

pytestmark = pytest.mark.browser
SIZES = {"desktop": (1366, 768), "tablet": (820, 1180)}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("forms-browser")
    url = new_database("sqlite", folder)
    seed(url)
    config = Config(database_url=url, instance_path=folder, secret_key="test", basemap="none")
    with chromium.live_app(config) as base:
        yield base, url


@pytest.fixture(scope="module")
def accounts(browser, served):
    """A browser context per role, signed in once (sign-in is rate-limited per address)."""
    base, _url = served
    contexts = {}
    for role in ("facility_manager", "engineer", "viewer"):
        contexts[role] = browser.new_context()
        page = contexts[role].new_page()
        chromium.sign_in(page, base, role=role)
        page.close()
    yield contexts
    for context in contexts.values():
        context.close()


class Visit:
    """A page signed in with ``role``: console errors and requests outside the app are recorded."""

    def __init__(self, accounts, base: str, role: str, size=SIZES["desktop"]) -> None:
        self.page = accounts[role].new_page()
        self.page.set_viewport_size({"width": size[0], "height": size[1]})
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.page.on(
            "console",
            lambda m: (
                m.type == "error"
                and not m.location.get("url", "").endswith("/favicon.ico")
                and self.errors.append(m.text)
            ),
        )  # the app has no icon: Chromium's asking is no error
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base) else self._refuse(r))

    def _refuse(self, route) -> None:
        self.outside.append(route.request.url)
        route.abort()

    def clean(self) -> None:
        assert self.errors == [] and self.outside == []
        self.page.close()


def stored(url: str, sql: str):
    database = Database(url)
    with database.session() as session:
        value = session.execute(sa.text(sql)).scalar()
    database.dispose()
    return value


def map_ready(page) -> None:
    chromium.wait_until(page, "document.documentElement.getAttribute('data-fm-form-map') === 'ready'")


def tool(page, name: str) -> None:
    """Click a Leaflet-Geoman toolbar button (polygon, circle-marker, …)."""
    page.locator(f".leaflet-pm-toolbar .leaflet-pm-icon-{name}").click()


def test_draw_a_parcel_polygon_with_geoman_and_save(accounts, served):
    base, url = served
    visit = Visit(accounts, base, "facility_manager")
    page = visit.page
    page.goto(f"{base}/parcels/new?lang=en")
    map_ready(page)
    page.fill("#code", "LP-100")
    page.fill("#name", "描いた土地")
    box = page.locator("#form-map").bounding_box()
    corners = [(0.45, 0.5), (0.8, 0.5), (0.8, 0.85), (0.45, 0.85)]  # below the toolbar's row of actions
    tool(page, "polygon")
    for fx, fy in corners:
        page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
        page.wait_for_timeout(100)
    page.mouse.click(box["x"] + corners[0][0] * box["width"], box["y"] + corners[0][1] * box["height"])  # close it
    chromium.wait_until(page, "document.getElementById('geometry').value.startsWith('POLYGON')")
    page.screenshot(path=str(chromium.ARTIFACTS / "forms-parcel-drawn-en.png"))
    with page.expect_navigation():
        page.click(".actions button[type=submit]")
    assert page.url.endswith("/parcels/LP-100") and "Saved the land parcel LP-100." in page.content()
    geom = shapely.from_wkb(bytes(stored(url, "SELECT geom FROM land_parcels WHERE code = 'LP-100'")))
    assert geom.geom_type == "MultiPolygon" and len(geom.geoms[0].exterior.coords) == 5 and geom.is_valid
    assert 139.5 < geom.centroid.x < 139.6 and 35.2 < geom.centroid.y < 35.4  # around the map's centre
    visit.clean()


def test_typed_coordinates_move_the_map_and_a_drawn_point_replaces_them(accounts, served):
    base, url = served
    visit = Visit(accounts, base, "facility_manager")
    page = visit.page
    page.goto(f"{base}/assets/new?lang=ja")
    map_ready(page)
    page.fill("#code", "N-500")
    page.fill("#name", "新しい集会所")
    page.select_option("#category", "community_centre")
    page.fill("#geometry", "139.5601, 35.3201")
    chromium.wait_until(page, "window.fmFormMap.layer !== null && window.fmFormMap.syncs > 0")
    centre = page.evaluate("(() => { const c = window.fmFormMap.map.getCenter(); return [c.lng, c.lat]; })()")
    assert abs(centre[0] - 139.5601) < 1e-3 and abs(centre[1] - 35.3201) < 1e-3  # the map went there
    page.evaluate("window.typedLayer = window.fmFormMap.layer")
    tool(page, "circle-marker")
    box = page.locator("#form-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.6)
    chromium.wait_until(page, "document.getElementById('geometry').value.startsWith('POINT')")
    drawn = shapely.from_wkt(page.input_value("#geometry"))
    assert drawn.x < 139.5601 and drawn.y < 35.3201  # left of and below the typed point
    assert page.evaluate(
        "!window.fmFormMap.map.hasLayer(window.typedLayer) && window.fmFormMap.map.hasLayer(window.fmFormMap.layer)"
    )  # the drawing replaced it
    with page.expect_navigation():
        page.click(".actions button[type=submit]")
    assert page.url.endswith("/assets/N-500")
    saved = shapely.from_wkb(bytes(stored(url, "SELECT geom FROM assets WHERE code = 'N-500'")))
    assert saved.equals_exact(drawn, 1e-7)
    visit.clean()


def test_a_self_intersecting_polygon_is_refused_next_to_the_map(accounts, served):
    base, url = served
    visit = Visit(accounts, base, "facility_manager")
    page = visit.page
    page.goto(f"{base}/parcels/new?lang=ja")
    map_ready(page)
    page.fill("#code", "LP-101")
    page.fill("#geometry", "POLYGON ((139.55 35.32, 139.56 35.33, 139.56 35.32, 139.55 35.33, 139.55 35.32))")
    chromium.wait_until(page, "window.fmFormMap.layer !== null")
    page.click(".actions button[type=submit]")
    page.wait_for_selector("#geometry-error")
    message = page.locator("[data-field=geometry] .field-error").inner_text()
    assert "形状が不正です（Self-intersection" in message
    assert page.input_value("#geometry").startswith("POLYGON ((139.55 35.32")  # kept for correcting
    map_ready(page)
    page.screenshot(path=str(chromium.ARTIFACTS / "forms-parcel-error-ja.png"), full_page=True)
    assert stored(url, "SELECT count(*) FROM land_parcels WHERE code = 'LP-101'") == 0
    assert visit.errors == ["Failed to load resource: the server responded with a status of 400 (BAD REQUEST)"]
    visit.errors.clear()  # the form shown again with its messages is answered 400, which Chromium logs
    visit.clean()


def test_the_plan_form_finds_assets_and_adds_their_codes(accounts, served):
    base, _url = served
    visit = Visit(accounts, base, "facility_manager")
    page = visit.page
    page.goto(f"{base}/plans/PL-001/edit?lang=en")
    page.fill("#asset-search", "図書")
    page.locator("#asset-results li button").first.click()
    assert page.input_value("#asset_codes").split() == ["B-001", "B-002", "L-001"]
    visit.clean()


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_two_tabs_saving_the_same_work_order_the_second_sees_the_conflict(accounts, served, lang):
    base, url = served
    first, second = Visit(accounts, base, "engineer"), Visit(accounts, base, "engineer")
    for visit in (first, second):
        visit.page.goto(f"{base}/work-orders/W-001/edit?lang={lang}")
    first.page.fill("#description", f"一回目の保存 {lang}")
    with first.page.expect_navigation():
        first.page.click(".actions button[type=submit]")
    second.page.fill("#description", f"二回目の保存 {lang}")
    second.page.click(".actions button[type=submit]")
    second.page.wait_for_selector("#form-errors.conflict")
    assert second.page.input_value("#description") == f"二回目の保存 {lang}"
    assert f"一回目の保存 {lang}" in second.page.locator("[data-field=description] .stored-now").inner_text()
    second.page.screenshot(path=str(chromium.ARTIFACTS / f"forms-conflict-{lang}.png"), full_page=True)
    assert stored(url, "SELECT description FROM work_orders WHERE code = 'W-001'") == f"一回目の保存 {lang}"
    assert second.errors == ["Failed to load resource: the server responded with a status of 409 (CONFLICT)"]
    second.errors.clear()  # the refused save is answered 409, which Chromium logs
    first.clean()
    second.clean()


SCREENS = {
    "asset-new": ("facility_manager", "/assets/new"),
    "asset-edit": ("facility_manager", "/assets/P-001/edit"),
    "parcel-edit": ("facility_manager", "/parcels/LP-001/edit"),
    "plan-new": ("facility_manager", "/plans/new"),
    "plan-edit": ("facility_manager", "/plans/PL-001/edit"),
    "inspection-new": ("engineer", "/assets/B-002/inspections/new"),
    "inspection-edit": ("engineer", "/inspections/1/edit"),
    "work-order-new": ("engineer", "/assets/R-001/work-orders/new"),
    "work-order-edit": ("engineer", "/work-orders/W-001/edit"),
    "parcel-page": ("viewer", "/parcels/LP-001"),
    "plan-page": ("facility_manager", "/plans/PL-001"),
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_screenshots_of_every_form_and_page(accounts, served, lang, size):
    base, _url = served
    for name, (role, path) in SCREENS.items():
        visit = Visit(accounts, base, role, SIZES[size])
        visit.page.goto(f"{base}{path}?lang={lang}")
        if visit.page.locator("#form-map").count():
            map_ready(visit.page)
        visit.page.screenshot(path=str(chromium.ARTIFACTS / f"forms-{name}-{lang}-{size}.png"), full_page=True)
        visit.clean()
