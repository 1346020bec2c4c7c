"""The dashboard on the demo data, on SQLite and PostGIS: cards equal fm kpi, lists add up, exports, errors."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from datetime import datetime

import openpyxl
import pytest
from clirun import run
from sample import add_sample

from fm.db import Database
from fm.domain.kpi import INDICATORS
from fm.domain.kpi.breakdown import DIMENSIONS

YEAR = 2025


def _counted(indicator: str, rows: list[dict]) -> float:
    """The indicator's numerator worked out from the rows of its list, the way its definition counts."""
    if indicator == "plan_coverage":
        return sum(1 for row in rows if row["covered"] in (True, "True"))
    if indicator == "underused_land":
        return sum(float(row["area_m2"]) for row in rows)
    if indicator == "aging_ratio":
        return sum(int(row["accumulated_depreciation"]) for row in rows)
    if indicator == "execution_rate":
        return sum(int(row["executed_amount"]) for row in rows)
    if indicator == "preventive_share":
        return sum(int(row["actual_cost"]) for row in rows if row["kind"] == "preventive")
    if indicator in ("measures_started", "measures_completed"):
        flag = indicator.removeprefix("measures_")
        return sum(1 for row in rows if row[flag] in (True, "True"))
    return len(rows)  # reactive_repairs


def _cell(value: object) -> str:
    """A spreadsheet cell or a CSV field as comparable text (dates without time, numbers without noise)."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return value
    if isinstance(value, bool):
        return str(value)
    return f"{float(value):.6f}"


def test_cards_and_trends_are_fm_kpi(demo_url, client):
    cli = run(demo_url, "kpi", "--format", "json")
    assert cli.stdout == client.get("/api/kpi").get_data(as_text=True) + "\n"
    report = json.loads(cli.stdout)
    trends = client.get("/api/kpi/trends").get_json()
    assert trends["fiscal_years"] == report["fiscal_years"]
    for trend in trends["indicators"]:
        rows = [r for r in report["indicators"] if r["indicator"] == trend["indicator"]]
        assert [p["value"] for p in trend["series"]] == [r["value"] for r in rows]
    assert {t["indicator"]: t["published"]["value"] for t in trends["indicators"] if t["published"]} == {
        "plan_coverage": 52.3,
        "underused_land": 9039.08,
        "aging_ratio": 67.7,
        "execution_rate": 48.0,
    }
    for year in (2024, YEAR):
        page = client.get(f"/dashboard?fiscal_year={year}").get_data(as_text=True)
        charts = page.count("<svg") - page.count('<svg viewBox="0 0 100 1"')  # less the table's bars (SVG, for the CSP)
        assert charts == 10  # a trend per indicator, the aging ratio by category, the renewal
        kpi = json.loads(run(demo_url, "kpi", "--fiscal-year", str(year), "--format", "json").stdout)
        for row in kpi["indicators"]:
            card = re.search(rf'id="card-{row["indicator"]}".*?<p class="figure">(.*?)</p>', page, re.S).group(1)
            assert card.startswith(f"{row['value']:,.{row['decimals']}f} "), (row["indicator"], card)


def test_lists_add_up_to_the_indicator_and_export(demo_url, client):
    kpi = {r["indicator"]: r for r in client.get(f"/api/kpi?fiscal_year={YEAR}").get_json()["indicators"]}
    for indicator in INDICATORS:
        first = client.get(f"/api/kpi/{indicator}/list?fiscal_year={YEAR}&per_page=500").get_json()
        assert first["numerator"] == pytest.approx(kpi[indicator]["numerator"])
        assert first["denominator"] == kpi[indicator]["denominator"]
        text = client.get(f"/dashboard/{indicator}/records.csv?fiscal_year={YEAR}").get_data().decode("utf-8-sig")
        exported = list(csv.DictReader(io.StringIO(text)))
        assert len(exported) == first["records"]
        assert _counted(indicator, exported) == pytest.approx(kpi[indicator]["numerator"])
        key = "plan_code" if indicator == "execution_rate" else "code"
        assert [row[key] for row in exported[:500]] == [row[key] for row in first["rows"]]
        book = openpyxl.load_workbook(
            io.BytesIO(client.get(f"/dashboard/{indicator}/records.xlsx?fiscal_year={YEAR}").get_data()), read_only=True
        )
        sheet = list(book.active.values)
        assert list(sheet[0]) == text.splitlines()[0].split(",")
        assert [[_cell(v) for v in line] for line in sheet[1:]] == [
            [_cell(v) for v in row.values()] for row in exported
        ]
        for by in DIMENSIONS[indicator]:
            groups = client.get(f"/api/kpi/{indicator}/breakdown?fiscal_year={YEAR}&by={by}").get_json()["groups"]
            assert sum(g["numerator"] for g in groups) == pytest.approx(kpi[indicator]["numerator"], abs=0.05)
            assert sum(g["records"] for g in groups) == len(exported)


def test_pages_of_a_list_make_the_whole_list(demo_url, client):
    whole = client.get(f"/api/kpi/reactive_repairs/list?fiscal_year={YEAR}&per_page=500").get_json()
    pages = [
        client.get(f"/api/kpi/reactive_repairs/list?fiscal_year={YEAR}&per_page=25&page={n}").get_json()
        for n in (1, 2, 3)
    ]
    assert [p["pages"] for p in pages] == [3, 3, 3] and whole["records"] == 68
    assert [row for p in pages for row in p["rows"]] == whole["rows"]
    assert _counted("reactive_repairs", whole["rows"]) == whole["numerator"] == 68


def test_a_bar_drills_down_to_its_records(demo_url, client):
    groups = client.get(f"/api/kpi/aging_ratio/breakdown?fiscal_year={YEAR}&by=category").get_json()["groups"]
    bridge = next(g for g in groups if g["key"] == "bridge")
    listing = client.get(f"/api/kpi/aging_ratio/list?fiscal_year={YEAR}&category=bridge").get_json()
    assert (listing["records"], listing["numerator"], listing["denominator"], listing["value"]) == (
        bridge["records"],
        bridge["numerator"],
        bridge["denominator"],
        bridge["value"],
    )
    assert listing["sort"] == "accumulated_depreciation" and listing["order"] == "desc"
    costs = [row["accumulated_depreciation"] for row in listing["rows"]]
    assert costs == sorted(costs, reverse=True)
    page = client.get(
        f"/dashboard/aging_ratio?fiscal_year={YEAR}&category=bridge&sort=acquisition_cost&order=asc&page=2"
    ).get_data(as_text=True)
    assert 'href="/assets/BR-' in page and "2／3ページ" in page and "区分別: 橋梁" in page


def _record_links(page: str) -> list[str]:
    """The links in the rows of a page's drill-down list."""
    rows = re.search(r'<table class="counts records" id="records-table">.*?<tbody>(.*?)</tbody>', page, re.S)
    return [html.unescape(href) for href in re.findall(r'href="([^"]*)"', rows.group(1))]


@pytest.mark.parametrize(
    "path",
    [
        f"/dashboard/aging_ratio?fiscal_year={YEAR}&category=bridge&page=2",
        f"/dashboard/reactive_repairs?fiscal_year={YEAR}",
        f"/dashboard/underused_land?fiscal_year={YEAR}",
    ],
)
def test_every_link_of_a_list_opens_a_page(demo_url, client, path):
    page = client.get(path).get_data(as_text=True)
    assert "records-table" in page and 'class="empty"' not in page  # the list has rows
    links = _record_links(page)
    assert all(client.get(link).status_code == 200 for link in sorted(set(links))), links
    if "underused_land" in path:
        assert links == []  # parcels have no page yet: their codes are shown without a link
    else:
        assert links and all(link.startswith("/assets/") for link in links)
        # Links are built by the app, so they keep the prefix it is mounted under.
        prefixed = client.get(path, environ_overrides={"SCRIPT_NAME": "/fm"}).get_data(as_text=True)
        assert _record_links(prefixed) == ["/fm" + link for link in links]


@pytest.fixture
def sample(db_url: str) -> None:
    """The six-asset sample: its one completed work order makes FY2020 the one fiscal year with data."""
    database = Database(db_url)
    with database.session() as session:
        add_sample(session)
    database.dispose()


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/dashboard?fiscal_year=1999", 404, "no data for fiscal year 1999"),
        ("/dashboard/happiness", 404, "unknown indicator 'happiness'"),
        ("/dashboard/aging_ratio?fiscal_year=2020&page=99", 404, "page 99 does not exist"),
        ("/dashboard/aging_ratio?fiscal_year=2020&page=0", 400, "page must be a whole number"),
        ("/dashboard/aging_ratio/records.pdf?fiscal_year=2020", 404, "download as csv or xlsx"),
        ("/api/kpi/happiness/list?fiscal_year=2020", 404, "unknown indicator 'happiness'"),
        ("/api/kpi/aging_ratio/list?fiscal_year=1999", 404, "no data for fiscal year 1999"),
        ("/api/kpi/aging_ratio/list?fiscal_year=2020&page=2", 404, "page 2 does not exist"),
        ("/api/kpi/aging_ratio/list?fiscal_year=2020&sort=password", 400, "sort must be one of"),
        ("/api/kpi/aging_ratio/list?fiscal_year=2020&order=up", 400, "order must be asc or desc"),
        ("/api/kpi/aging_ratio/list?fiscal_year=2020&per_page=100000", 400, "per_page must be a whole number"),
        (
            "/api/kpi/aging_ratio/list?fiscal_year=2020&plan=IP-001",
            400,
            "aging_ratio is grouped by category or district",
        ),
        ("/api/kpi/aging_ratio/list", 400, "fiscal_year is required"),
        ("/api/kpi/aging_ratio/breakdown?fiscal_year=2020&by=plan", 400, "by must be category or district"),
        ("/api/kpi/aging_ratio/whatif?fiscal_year=2020&years=0", 400, "years must be a whole number from 1 to 50"),
        ("/api/kpi/aging_ratio/whatif?fiscal_year=abc", 400, "fiscal_year must be a year"),
        ("/api/renewal?start=20", 400, "start must be a year"),
    ],
)
def test_bad_parameters_say_what_is_wrong(sample, client, path, status, message):
    response = client.get(path)
    assert response.status_code == status
    text = (
        response.get_json()["error"]["message"]
        if path.startswith("/api/")
        else html.unescape(response.get_data(as_text=True))
    )
    assert message in text


def test_whatif_and_renewal_equal_the_cli(demo_url, client):
    cli = run(demo_url, "whatif", "--fiscal-year", str(YEAR), "--format", "json").stdout
    assert cli == client.get(f"/api/kpi/aging_ratio/whatif?fiscal_year={YEAR}").get_data(as_text=True) + "\n"
    assert len(json.loads(cli)["years"]) == 10
    renewal = run(demo_url, "renewal", "--start", "2027", "--format", "json").stdout
    assert renewal == client.get("/api/renewal?start=2027").get_data(as_text=True) + "\n"


def test_empty_register(client):
    page = client.get("/dashboard")
    assert page.status_code == 200 and "データのある年度がまだありません" in page.get_data(as_text=True)
    assert client.get("/dashboard/aging_ratio").status_code == 404
