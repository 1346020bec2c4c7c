"""Every map in headless Chromium (Debian's chromium): drawn features counted, no console error,
no request leaving the app, screenshots in test-artifacts/ for a person to look at."""

from __future__ import annotations

import contextlib
import re

import chromium
import pytest
from clirun import run

from fm.app import maps
from fm.config import Config
from fm.db import Database

GSI_HOST = "https://cyberjapandata.gsi.go.jp/"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def servers(scored_demo_url, tmp_path_factory):
    """Base URLs of the app with no basemap and with the GSI tiles."""
    folder = tmp_path_factory.mktemp("live")
    with (
        chromium.live_app(
            Config(database_url=scored_demo_url, instance_path=folder, secret_key="test", basemap="none")
        ) as plain,
        chromium.live_app(
            Config(database_url=scored_demo_url, instance_path=folder, secret_key="test", basemap="gsi")
        ) as gsi,
    ):
        yield {"none": plain, "gsi": gsi}


class Visit:
    """A page opened with every request outside ``allowed`` recorded and refused."""

    def __init__(self, browser, allowed: str, width: int = 1280) -> None:
        self.page = browser.new_page(viewport={"width": width, "height": 860})
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self._console(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.route(
            "**/*",
            lambda r: (
                r.continue_()
                if r.request.url.startswith(allowed) or r.request.url.startswith("data:")
                else self._refuse(r)
            ),
        )
        if allowed.startswith("http"):  # an app, not a file
            chromium.sign_in(self.page, allowed)

    def _console(self, text: str) -> None:
        if not (self.outside and "ERR_FAILED" in text):  # refused outside requests report this
            self.errors.append(text)

    def _refuse(self, route) -> None:
        self.outside.append(route.request.url)
        route.abort()

    def open(self, url: str) -> dict:
        self.page.goto(url)
        self.page.wait_for_selector("html[data-fm-map=ready]", timeout=20_000)
        return self.page.evaluate("window.fmMapState")

    def count(self, expression: str) -> int:
        """Evaluate ``expression`` with ``map`` bound to the page's Leaflet map."""
        return self.page.evaluate(
            f"(() => {{ const map = window[document.querySelector('.folium-map').id]; return {expression}; }})()"
        )

    def click_point(self, top: bool = False) -> tuple[str, float]:
        """Zoom to a point asset (with ``top``, near the top edge of the map), click it; return its code
        and its distance from the top."""
        code = self.count(
            "(() => { const l = Object.values(map._layers).find(l => l.feature && "
            "l.feature.geometry.type === 'Point'); map.setView(l.getLatLng(), 17, {animate: false}); "
            + ("map.panBy([0, map.getSize().y / 2 - 30], {animate: false}); " if top else "")
            + "return l.feature.properties.code; })()"
        )
        chromium.wait_until(self.page, "window.fmMapState.requests >= 2 && window.fmMapState.ready")
        self.page.wait_for_timeout(400)
        box = self.page.locator(".folium-map").bounding_box()
        x, y = self.count(
            f"(() => {{ const l = Object.values(map._layers).find(l => l.feature && "
            f"l.feature.properties.code === '{code}'); "
            f"const p = map.latLngToContainerPoint(l.getLatLng()); return [p.x, p.y]; }})()"
        )
        self.page.mouse.click(box["x"] + x, box["y"] + y)
        self.page.locator(".leaflet-popup-content .fm-card").wait_for(timeout=10_000)
        return code, y

    def shot(self, name: str) -> None:
        chromium.ARTIFACTS.mkdir(exist_ok=True)
        self.page.wait_for_timeout(200)
        self.page.screenshot(path=str(chromium.ARTIFACTS / f"map-{name}.png"))


def _held(url: str, where: str = "") -> int:
    import sqlalchemy as sa

    database = Database(url)
    with database.connect() as connection:
        value = connection.execute(
            sa.text(f"SELECT count(*) FROM assets a WHERE status <> 'disposed' AND geom IS NOT NULL {where}")
        ).scalar()
    database.dispose()
    return int(value)


# Drawn features, not counting the district outlines drawn for orientation.
FEATURES = "Object.values(map._layers).filter(l => l.feature && !l._layers && l.options.interactive !== false).length"


def test_risk_map_draws_every_asset(browser, servers, scored_demo_url):
    visit = Visit(browser, servers["none"])
    state = visit.open(f"{servers['none']}/maps/risk?lang=ja")
    assert state["mode"] == "features" and state["drawn"] == _held(scored_demo_url) == visit.count(FEATURES)
    assert "件を表示" in visit.page.locator(".fm-status").inner_text()
    assert visit.page.locator(".fm-legend").inner_text().startswith("リスク")
    visit.shot("risk-ja")
    assert visit.errors == [] and visit.outside == []


def test_popup_shows_the_card(browser, servers):
    visit = Visit(browser, servers["none"])
    visit.open(f"{servers['none']}/maps/risk?lang=en&class=very_high")
    point, _ = visit.click_point()
    text = visit.page.locator(".leaflet-popup-content .fm-card").inner_text()
    assert point in text and "Very high" in text and "Main reasons" in text and "Open the asset page" in text
    visit.shot("risk-popup-en")
    assert visit.errors == [] and visit.outside == []


def test_clusters_when_the_viewport_holds_too_many(browser, servers, monkeypatch):
    monkeypatch.setattr(maps, "MAX_FEATURES", 500)
    visit = Visit(browser, servers["none"])
    state = visit.open(f"{servers['none']}/maps/risk")
    clusters = visit.page.locator(".fm-cluster")
    assert state["mode"] == "clusters" and clusters.count() == state["drawn"] > 1
    visit.shot("risk-clusters")
    zoom = visit.count("map.getZoom()")
    clusters.first.click()
    chromium.wait_until(visit.page, "window.fmMapState.requests >= 2")
    assert visit.count("map.getZoom()") == zoom + 2
    assert visit.errors == [] and visit.outside == []


def test_category_toggle_refetches_without_it(browser, servers, scored_demo_url):
    visit = Visit(browser, servers["none"])
    visit.open(f"{servers['none']}/maps/risk?lang=en")
    visit.page.locator(".leaflet-control-layers").hover()
    visit.page.get_by_label("Sewer pipe").uncheck()
    expected = _held(scored_demo_url, "AND category <> 'sewer_pipe'")
    # The refetch is debounced: wait for its drawing rather than for a fixed time (slow under load).
    with contextlib.suppress(TimeoutError):
        chromium.wait_until(visit.page, f"window.fmMapState.ready && window.fmMapState.drawn === {expected}")
    assert visit.page.evaluate("window.fmMapState.drawn") == expected
    assert visit.errors == [] and visit.outside == []


@pytest.mark.parametrize(
    ("kind", "query", "expected"),
    [
        (
            "plans",
            "",
            "SELECT count(*) FROM assets a JOIN asset_categories c ON c.code = a.category "
            "WHERE a.status <> 'disposed' AND c.asset_group = 'facility'",
        ),
        ("land", "fiscal_year=2025", 45 * 2),  # each parcel's area and its marker
        ("districts", "indicator=plan_coverage&fiscal_year=2025", 5),
    ],
)
def test_other_maps_draw_their_features(browser, servers, scored_demo_url, kind, query, expected):
    visit = Visit(browser, servers["none"])
    state = visit.open(f"{servers['none']}/maps/{kind}?{query}")
    if isinstance(expected, str):
        import sqlalchemy as sa

        database = Database(scored_demo_url)
        with database.connect() as connection:
            expected = connection.execute(sa.text(expected)).scalar()
        database.dispose()
    drawn = visit.count(FEATURES)
    assert drawn == expected and (kind != "plans" or state["drawn"] == expected)
    visit.shot(kind)
    assert visit.errors == [] and visit.outside == []


def test_heat_map_holds_every_repair(browser, servers, scored_demo_url):
    visit = Visit(browser, servers["none"])
    visit.open(f"{servers['none']}/maps/repairs?fiscal_year=2024&years=5")
    database = Database(scored_demo_url)
    with database.session() as session:
        expected = len(maps.repair_points(session, first=2020, last=2024))
    database.dispose()
    assert (
        visit.count("Object.values(map._layers).find(l => l._latlngs && l._heat !== undefined)._latlngs.length")
        == expected
        > 0
    )
    visit.shot("repairs")
    assert visit.errors == [] and visit.outside == []


def test_gsi_tiles_credited_and_the_map_works_without_them(browser, servers, scored_demo_url):
    visit = Visit(browser, servers["gsi"])
    state = visit.open(f"{servers['gsi']}/maps/risk")
    attribution = visit.page.locator(".leaflet-control-attribution")
    assert attribution.is_visible() and "出典：地理院タイル" in attribution.inner_text()
    assert visit.outside and all(url.startswith(GSI_HOST + "xyz/pale/") for url in visit.outside)
    assert state["drawn"] == _held(scored_demo_url)  # tiles unreachable: the assets still show
    visit.page.set_viewport_size({"width": 768, "height": 900})  # a tablet: still on screen
    assert attribution.is_visible()
    visit.shot("risk-gsi-unreachable")
    assert visit.errors == []


def test_exported_file_works_offline(browser, scored_demo_url, tmp_path):
    out = tmp_path / "risk.html"
    result = run(scored_demo_url, "map", "risk", str(out), "--basemap", "none", "--lang", "en")
    assert result.exit_code == 0, result.output
    visit = Visit(browser, "file://")
    state = visit.open(out.as_uri())
    assert state["drawn"] == _held(scored_demo_url) and state["requests"] == 0
    visit.count(
        "(() => { const l = Object.values(map._layers).find(l => l.feature && "
        "l.feature.geometry.type === 'Point'); l.openPopup(); return 0; })()"
    )
    assert "Main reasons" in visit.page.locator(".leaflet-popup-content").inner_text()
    visit.shot("export-risk-en")
    assert visit.errors == [] and visit.outside == []


def test_a_large_exported_file_draws_on_one_canvas_and_finds_cards_by_index(browser, scored_demo_url, tmp_path):
    """Past ``canvas_from`` features (a register of 100,000) a file draws them all on one canvas: every feature
    counted, no Leaflet layer each, a card opened by index and by a click on the point. Here the demo, with
    the threshold at 0."""
    out = tmp_path / "risk.html"
    assert run(scored_demo_url, "map", "risk", str(out), "--basemap", "none", "--lang", "en").exit_code == 0
    html = out.read_text(encoding="utf-8")
    assert html.count('"canvas_from":') == 1
    out.write_text(re.sub(r'"canvas_from":[0-9]+', '"canvas_from":0', html), encoding="utf-8")
    visit = Visit(browser, "file://")
    state = visit.open(out.as_uri())
    assert state["drawn"] == _held(scored_demo_url) and state["requests"] == 0
    assert visit.count("Object.values(map._layers).filter(l => l.feature && l.feature.properties.code).length") == 0
    code = visit.page.evaluate("fmMapState.codes(0)[0]")
    visit.page.evaluate(f"fmMapState.openCard({code!r})")  # the card found by the feature's index
    assert code in visit.page.locator(".leaflet-popup-content .fm-card").inner_text()
    visit.count(
        f"(() => {{ map.closePopup(); const p = fmMapState.pointOf({code!r}), r = map.getContainer()"
        ".getBoundingClientRect(); map.setView(map.containerPointToLatLng([p.x - r.left, p.y - r.top]), 17, "
        "{animate: false}); return 0; })()"
    )
    # A closed popup fades out for 0.2 s and, until it is gone, takes a click where it was.
    visit.page.wait_for_selector(".leaflet-popup", state="detached")
    point = visit.page.evaluate(f"fmMapState.pointOf({code!r})")
    visit.page.mouse.click(point["x"], point["y"])  # found by the click, drawn on the canvas
    card = visit.page.locator(".leaflet-popup-content .fm-card")
    assert code in card.inner_text() and "Main reasons" in card.inner_text()
    visit.shot("export-risk-canvas")
    assert visit.errors == [] and visit.outside == []


def test_filter_form_narrows_the_map(browser, servers, scored_demo_url):
    visit = Visit(browser, servers["none"])
    visit.open(f"{servers['none']}/maps/risk?lang=en")
    visit.page.select_option("select[name=district]", "2")
    visit.page.click("form.filters button")
    visit.page.wait_for_url("**district=2**")
    state = visit.open(visit.page.url)  # the form leaves class and condition empty: all of them
    assert state["drawn"] == _held(scored_demo_url, "AND district_id = 2") > 0
    assert visit.page.locator("select[name=district]").input_value() == "2"
    assert visit.errors == [] and visit.outside == []


def test_a_card_stays_open_when_the_map_pans_to_show_it(browser, servers):
    visit = Visit(browser, servers["none"])
    visit.open(f"{servers['none']}/maps/risk?lang=en&class=very_high")
    code, top = visit.click_point(top=True)
    assert top < 60  # near the top: the card does not fit above it, so Leaflet pans the map
    visit.page.wait_for_timeout(1_500)  # the pan, the viewport request and the redraw are over
    assert code in visit.page.locator(".leaflet-popup-content .fm-card").inner_text()
    assert visit.errors == [] and visit.outside == []


def test_page_category_draws_only_that_layer(browser, servers, scored_demo_url):
    visit = Visit(browser, servers["none"])
    state = visit.open(f"{servers['none']}/maps/risk?category=bridge")
    assert state["drawn"] == _held(scored_demo_url, "AND category = 'bridge'") > 0
    assert visit.errors == [] and visit.outside == []
