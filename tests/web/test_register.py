"""The asset register and the asset page over the scored demo, on SQLite and PostGIS.

Counts are checked against the same records read whole into pandas; the plan status
against the plans map's own function (the plan-coverage indicator's records); the
depreciation schedule against the aging-ratio indicator's records.
"""

from __future__ import annotations

import html
import io
import re
from datetime import date

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa
from databases import SCORED_DEMO, prepared_database
from webauth import signed_in

from fm.app import asset_page, maps
from fm.app.kpi import kpi_data
from fm.config import Config
from fm.db import Database
from fm.domain.fiscal import fiscal_year
from fm.domain.kpi import measure
from fm.domain.risk.config import load_config
from fm.io import risk as risk_store
from fm.io import store
from fm.model import Asset

NO_DATA = "ZZ-100%_なし"  # added after scoring: unscored, never inspected, no acquisition data, no place


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgis", marks=pytest.mark.postgis)])
def demo(request: pytest.FixtureRequest, tmp_path_factory) -> str:
    """The demo, scored once, plus one bare asset: read only by every test here."""
    url = prepared_database(request.param, tmp_path_factory.mktemp("register"), request, *SCORED_DEMO)
    database = Database(url)
    with database.session() as session:
        session.execute(sa.insert(Asset).values(code=NO_DATA, name="名称未設定の施設", category="park"))
    database.dispose()
    return url


@pytest.fixture(scope="module")
def client(demo: str, tmp_path_factory):
    from fm.web import create_app

    app = create_app(
        Config(database_url=demo, instance_path=tmp_path_factory.mktemp("instance"), secret_key="test", basemap="none")
    )
    app.config.update(TESTING=True)
    yield signed_in(app, "viewer")
    app.extensions["fm.database"].dispose()


@pytest.fixture(scope="module")
def app_of(client):
    return client.application


@pytest.fixture(scope="module")
def frame(demo: str) -> pd.DataFrame:
    """Every asset with its latest risk class and plan status, computed in pandas."""
    database = Database(demo)
    with database.session() as session:
        assets = store.read_assets(
            session,
            columns=(
                "id",
                "code",
                "name",
                "category",
                "district_id",
                "status",
                "year_built",
                "needs_individual_plan",
                "acquisition_date",
                "disposed_on",
            ),
        )
        _, scores = risk_store.read_latest(session)
        plan = maps.plan_status(session, assets, fiscal_year=fiscal_year(date.today()))
        categories = store.read_categories(session)
    database.dispose()
    assets["risk_class"] = assets["id"].map(scores.set_index("id")["risk_class"]).fillna("unscored")
    assets["risk_score"] = assets["id"].map(scores.set_index("id")["score"])
    assets["plan_status"] = assets["id"].map(plan)
    assets["category_order"] = assets["category"].map(categories.set_index("code")["sort_order"])
    return assets


def _api(client, query: str) -> dict:
    response = client.get(f"/api/assets?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def _csv(client, query: str) -> pd.DataFrame:
    response = client.get(f"/assets?format=csv&{query}")
    assert response.status_code == 200
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf") and b"\r\n" in body
    return pd.read_csv(
        io.BytesIO(body),
        encoding="utf-8-sig",
        dtype={"code": str, "name": str},
        keep_default_na=False,
        na_values={"risk_score": [""], "year_built": [""]},
    )


FILTERS = [
    ("", lambda f: f.index == f.index),
    ("category=bridge", lambda f: f["category"] == "bridge"),
    ("category=bridge,road&district=2", lambda f: f["category"].isin(["bridge", "road"]) & (f["district_id"] == 2)),
    ("status=closed,disposed", lambda f: f["status"].isin(["closed", "disposed"])),
    ("risk=very_high", lambda f: f["risk_class"] == "very_high"),
    ("risk=unscored", lambda f: f["risk_class"] == "unscored"),
    ("risk=high,low&category=school", lambda f: f["risk_class"].isin(["high", "low"]) & (f["category"] == "school")),
    ("plan=adopted", lambda f: f["plan_status"] == "adopted"),
    ("plan=needed", lambda f: f["plan_status"] == "needed"),
    ("plan=not_needed&district=1", lambda f: (f["plan_status"] == "not_needed") & (f["district_id"] == 1)),
    (
        "category=bridge&district=4&risk=very_high,high",
        lambda f: (f["category"] == "bridge") & (f["district_id"] == 4) & f["risk_class"].isin(["very_high", "high"]),
    ),
    ("district=&risk=&plan=", lambda f: f.index == f.index),  # a form's "all"
]


@pytest.mark.parametrize(("query", "keep"), FILTERS, ids=[q or "all" for q, _ in FILTERS])
def test_filters_count_what_pandas_counts(client, frame, query, keep):
    expected = frame[keep(frame)]
    data = _api(client, query)
    assert data["total"] == len(expected)
    assert {row["code"] for row in data["assets"]} <= set(expected["code"])
    if len(expected) <= 200:
        assert set(_csv(client, query)["code"]) == set(expected["code"])


def test_plan_status_counts_are_the_indicators(client, demo):
    kpi = measure("plan_coverage", _kpi(demo), fiscal_year=fiscal_year(date.today()))
    adopted, needed = _api(client, "plan=adopted")["total"], _api(client, "plan=needed")["total"]
    assert adopted == kpi.numerator and adopted + needed == kpi.denominator
    assert adopted > 0 and needed > 0


@pytest.mark.parametrize("search", ["橋", "br-0002", "小学校", "SW-0000", "%", "_"])
def test_search_by_name_or_code(client, frame, search):
    from urllib.parse import quote

    # any case; % and _ are letters here, not wildcards (only the bare asset has them)
    wanted = search.lower()
    expected = frame[
        frame["name"].str.lower().str.contains(wanted, regex=False)
        | frame["code"].str.lower().str.contains(wanted, regex=False)
    ]
    found = _csv(client, f"q={quote(search)}")
    assert len(expected) > 0 and sorted(found["code"]) == sorted(expected["code"])
    assert _api(client, f"q={quote(search)}")["total"] == len(expected)
    if search in "%_":
        assert found["code"].tolist() == [NO_DATA]


def test_full_width_search_finds_ascii_codes(client):
    from urllib.parse import quote

    assert _csv(client, f"q={quote('ｂｒ－０００２')}")["code"].tolist() == _csv(client, "q=BR-0002")["code"].tolist()
    assert _api(client, f"q={quote('（第2）')}")["total"] > 0  # names keep their full-width brackets


SORTS = [
    ("code", "asc", ["code"], [True]),
    ("name", "asc", ["name", "code"], [True, True]),
    ("name", "desc", ["name", "code"], [False, True]),
    ("year_built", "desc", ["year_built", "code"], [False, True]),
    ("risk", "desc", ["risk_score", "code"], [False, True]),
    ("risk", "asc", ["risk_score", "code"], [True, True]),
    ("category", "asc", ["category_order", "category", "code"], [True, True, True]),
    ("district", "desc", ["district_id", "code"], [False, True]),
]


@pytest.mark.parametrize(("sort", "order", "by", "ascending"), SORTS, ids=[f"{s}-{o}" for s, o, _, _ in SORTS])
def test_sort_orders_every_row(client, frame, sort, order, by, ascending):
    listed = _csv(client, f"sort={sort}&order={order}")
    # Missing values last whatever the order; ties by code.
    expected = frame.sort_values("code").sort_values(by, ascending=ascending, na_position="last", kind="mergesort")
    assert listed["code"].tolist() == expected["code"].tolist()
    first_page = _api(client, f"sort={sort}&order={order}&per_page=25")["assets"]
    assert [row["code"] for row in first_page] == expected["code"].head(25).tolist()


def test_plan_and_status_sort_groups_in_their_order(client):
    plans = _csv(client, "sort=plan_status")["plan_status"].tolist()
    assert plans == sorted(plans, key=["needed", "adopted", "not_needed"].index)
    statuses = _csv(client, "sort=status&order=desc")["status"].tolist()
    assert statuses == sorted(statuses, key=["disposed", "closed", "in_service"].index)


def test_paging_covers_every_row_once(client, frame):
    seen: list[str] = []
    first = _api(client, "sort=risk&per_page=200&category=school,road,bridge")
    for number in range(1, first["pages"] + 1):
        seen += [
            row["code"]
            for row in _api(client, f"sort=risk&per_page=200&category=school,road,bridge&page={number}")["assets"]
        ]
    expected = frame[frame["category"].isin(["school", "road", "bridge"])]
    assert len(seen) == len(set(seen)) == first["total"] == len(expected)
    assert set(seen) == set(expected["code"])
    assert first["pages"] == -(-len(expected) // 200)


def test_pages_hold_the_rows_of_the_whole_list(client):
    """A page's rows are read by id with their plan status looked up for them alone (fm.io.register.read): every
    page, one after the other, gives the whole list's rows (read at once, for the download), each column alike."""
    whole = _csv(client, "sort=plan_status")
    columns = ["code", "plan_status", "risk_class", "category", "status"]
    pages = _api(client, "sort=plan_status&per_page=200")["pages"]
    rows = [
        [row[column] for column in columns]
        for number in range(1, pages + 1)
        for row in _api(client, f"sort=plan_status&per_page=200&page={number}")["assets"]
    ]
    assert rows == whole[columns].values.tolist()
    assert {"adopted", "needed", "not_needed"} == set(whole["plan_status"])


def test_downloads_hold_every_row_of_the_filtered_list(client):
    query = "category=bridge,tunnel&sort=risk"
    total = _api(client, query)["total"]
    listed = _csv(client, query)
    response = client.get(f"/assets?format=xlsx&{query}")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == list(listed.columns)
    assert [r[0] for r in rows[1:]] == listed["code"].tolist()
    assert len(listed) == len(rows) - 1 == total > 50  # every page, not the first
    assert set(listed["category"]) == {"bridge", "tunnel"}


def test_page_shows_total_rows_links_and_keeps_the_filters(client):
    page = client.get("/assets?lang=ja&category=bridge&risk=very_high&sort=year_built").get_data(as_text=True)
    total = _api(client, "category=bridge&risk=very_high")["total"]
    assert f"{total:,} 件" in page
    assert 'href="/assets/BR-' in page
    assert 'href="/assets?format=csv&amp;category=bridge&amp;risk=very_high&amp;sort=year_built"' in page
    assert '<option value="bridge" selected>' in page and '<option value="very_high" selected>' in page
    nothing = _api(client, "q=no-such-asset")
    assert nothing["total"] == 0 and nothing["assets"] == [] and nothing["pages"] == 1
    assert "No asset matches." in client.get("/assets?q=no-such-asset&lang=en").get_data(as_text=True)
    choices = _api(client, "lang=en")["choices"]
    assert {"value": "bridge", "label": "Bridge"} in choices["category"]
    assert [d["value"] for d in choices["district"]] == [1, 2, 3, 4, 5] and "unscored" in choices["risk"]
    english = client.get("/assets?lang=en&per_page=25&page=2").get_data(as_text=True)
    assert "Asset register" in english and "Page 2 of" in english
    assert 'href="/assets?page=3&amp;per_page=25"' in english and 'rel="prev"' in english


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("category=castle", "category: unknown value 'castle'"),
        ("district=99", "district: unknown value '99'"),
        ("district=abc", "district: unknown value 'abc'"),
        ("status=sold", "status: unknown value 'sold'"),
        ("risk=awful", "risk: unknown value 'awful'"),
        ("plan=maybe", "plan: unknown value 'maybe'"),
        ("sort=colour", "sort must be one of code, name"),
        ("order=up", "order must be one of asc, desc"),
        ("page=0", "page must be a whole number"),
        ("page=%C2%B2", "page must be a whole number"),
        ("page=999", "page 999 does not exist"),
        ("per_page=7", "per_page must be one of 25, 50, 100, 200"),
        ("q=" + "x" * 101, "q: a search of at most 100 characters"),
    ],
)
def test_bad_parameters_get_400_naming_them(client, query, message):
    for path in (f"/assets?{query}", f"/api/assets?{query}"):
        response = client.get(path)
        assert response.status_code == 400, path
        assert message in html.unescape(response.get_data(as_text=True)), path
    assert message in client.get(f"/api/assets?{query}").get_json()["error"]["message"]


def test_bad_language_of_the_api_is_400(client):
    response = client.get("/api/assets?lang=fr")
    assert response.status_code == 400 and "lang must be ja or en" in response.get_json()["error"]["message"]


def test_bad_download_format_is_400(client):
    response = client.get("/assets?format=pdf")
    assert response.status_code == 400 and "format must be csv or xlsx" in response.get_data(as_text=True)
    assert client.get("/assets?format=csv&risk=awful").status_code == 400


# The asset page ---------------------------------------------------------------------------------


def _kpi(url: str):
    database = Database(url)
    with database.session() as session:
        data = kpi_data(session)
    database.dispose()
    return data


def _busy_asset(url: str) -> str:
    """A demo asset with inspections, work orders and a plan work of its own."""
    database = Database(url)
    with database.connect() as connection:
        code = connection.execute(
            sa.text(
                "SELECT a.code FROM assets a WHERE EXISTS (SELECT 1 FROM inspections i WHERE i.asset_id = a.id) "
                "AND EXISTS (SELECT 1 FROM work_orders w WHERE w.asset_id = a.id) "
                "AND EXISTS (SELECT 1 FROM plan_works p WHERE p.asset_id = a.id) ORDER BY a.code LIMIT 1"
            )
        ).scalar_one()
    database.dispose()
    return code


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_asset_page_shows_every_section(client, demo, lang):
    code = _busy_asset(demo)
    response = client.get(f"/assets/{code}?lang={lang}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for part in (
        'id="attributes"',
        'id="card"',
        'id="inspection-table"',
        'id="condition-chart"',
        'id="work-order-table"',
        'id="plans"',
        'id="depreciation-table"',
        'id="depreciation-now"',
        "folium-map",
        'href="/assets"',
    ):
        assert part in page, part
    words = {"ja": ("取得価額", "円", "年度", "点検"), "en": ("Acquisition cost", "yen", "FY", "Inspections")}[lang]
    assert all(word in page for word in words)
    database = Database(demo)
    with database.connect() as connection:
        counts = connection.execute(
            sa.text(
                "SELECT (SELECT count(*) FROM inspections i WHERE i.asset_id = a.id), "
                "(SELECT count(*) FROM work_orders w WHERE w.asset_id = a.id) FROM assets a WHERE a.code = :code"
            ),
            {"code": code},
        ).one()
    database.dispose()
    inspections = re.search(r'id="inspection-table".*?</table>', page, re.S).group(0)
    work = re.search(r'id="work-order-table".*?</table>', page, re.S).group(0)
    assert inspections.count("<tr>") - 1 == counts[0] and work.count("<tr class=") == counts[1]
    assert page.count('<circle class="dot') == counts[0]


def test_risk_reasons_are_the_explanations(client, demo):
    code = _busy_asset(demo)
    explained = client.get(f"/api/risk/{code}?lang=en").get_json()
    page = client.get(f"/assets/{code}?lang=en").get_data(as_text=True)
    listed = re.search(r'<ul class="reasons">(.*?)</ul>', page, re.S).group(1)
    assert re.findall(r"<li>(.*?)</li>", html.unescape(listed)) == explained["reasons"]
    assert f"({explained['score']:.3f})" in page


@pytest.mark.parametrize("convention", ["fiscal-year", "daily"])
def test_depreciation_rows_are_the_aging_ratios_figures(client, demo, convention):
    data = _kpi(demo)
    database = Database(demo)
    today = date.today()
    checked = 0
    with database.session() as session:
        for year in (fiscal_year(today), 2020):
            counted = measure("aging_ratio", data, fiscal_year=year, convention=convention).records.set_index("code")
            for code in ("BL-00001", "BR-00021", "RD-00010", "SW-00003"):
                page = asset_page.asset_page(
                    session, code, config=load_config(), convention=convention, today=date(year + 1, 3, 31)
                )
                rows = page["depreciation"]["rows"]
                last = rows.iloc[-1]
                assert last["fiscal_year"] == year
                assert last["accumulated_depreciation"] == counted.at[code, "accumulated_depreciation"]
                assert last["book_value"] == counted.at[code, "book_value"]
                assert rows["depreciation"].sum() == last["accumulated_depreciation"]
                assert (
                    rows["accumulated_depreciation"] + rows["book_value"] == counted.at[code, "acquisition_cost"]
                ).all()
                checked += 1
    database.dispose()
    assert checked == 8
    # and the page shows the current year's figures
    counted = measure("aging_ratio", data, fiscal_year=fiscal_year(today), convention=convention).records
    row = counted[counted["code"] == "BL-00001"].iloc[0]
    page = client.get(f"/assets/BL-00001?lang=en&convention={convention}").get_data(as_text=True)
    last = re.search(rf'<tr data-fiscal-year="{fiscal_year(today)}">(.*?)</tr>', page, re.S).group(1)
    assert f"{int(row['accumulated_depreciation']):,}" in last and f"{int(row['book_value']):,}" in last


def test_disposed_asset_depreciates_until_its_last_year_held(demo):
    database = Database(demo)
    with database.session() as session:
        disposed = session.execute(
            sa.select(Asset.code, Asset.disposed_on)
            .where(Asset.status == "disposed", Asset.acquisition_date.is_not(None))
            .order_by(Asset.code)
            .limit(1)
        ).one()
        page = asset_page.asset_page(session, disposed.code, config=load_config())
    database.dispose()
    assert page["depreciation"]["rows"]["fiscal_year"].iloc[-1] == fiscal_year(disposed.disposed_on) - 1


def test_never_inspected_asset_renders(client, demo):
    page = client.get("/assets/SW-00001?lang=ja").get_data(as_text=True)
    assert "点検記録がありません" in page and 'id="condition-chart"' not in page
    assert 'id="depreciation-table"' in page


def test_asset_without_acquisition_data_or_place_renders(client):
    from urllib.parse import quote

    response = client.get(f"/assets/{quote(NO_DATA)}?lang=en")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "No acquisition date or cost recorded" in page and "Never inspected" in page
    assert "No location recorded" in page and "Not scored" in page and "folium-map" not in page
    assert "No work orders" in page and "No individual plan covers this asset" in page


def test_unknown_asset_is_404(client):
    response = client.get("/assets/NO-SUCH")
    assert response.status_code == 404 and "no asset with code" in response.get_data(as_text=True)


def test_register_and_asset_pages_need_an_account(app_of):
    anonymous = app_of.test_client()
    for path in ("/assets?category=bridge", "/assets/BL-00001", "/assets?format=csv"):
        response = anonymous.get(path)
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"], path
    assert anonymous.get("/api/assets").status_code == 401
