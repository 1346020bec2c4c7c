"""`fm import plans` / `fm export plans`: individual plans with their assets, works and budget lines as one
workbook (a sheet each, Japanese or English) or a folder of CSV files; typed in or imported, the indicators
they feed come out the same."""

from __future__ import annotations

import json
from datetime import date

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa
from clirun import run
from databases import new_database
from sample import add_sample

from fm.app import finance, forms, kpi
from fm.db import Database
from fm.domain.kpi import measure

YEARS = (2024, 2025, 2026, 2031)
NEEDING = ("B-001", "B-002", "S-001", "L-001")


def sample(url: str) -> None:
    database = Database(url)
    with database.session() as session:
        add_sample(session)
        session.execute(
            sa.text(f"UPDATE assets SET needs_individual_plan = true WHERE code IN {tuple(NEEDING)}")  # noqa: S608
        )
    database.dispose()


def typed(url: str) -> None:
    """Two plans through the web form's use case, their budget lines through the finance page's."""
    database = Database(url)
    with database.session() as session:
        for values in (
            {
                "code": "PL-1",
                "title": "橋梁長寿命化修繕計画",
                "adopted_on": "2024-03-29",
                "period_start_fy": "2024",
                "period_end_fy": "2033",
                "under_infrastructure_plan": "true",
                "asset_codes": "B-001, S-001",
            },
            {"code": "PL-2", "title": "図書館個別施設計画", "period_start_fy": "2025", "asset_codes": "L-001"},
        ):
            saved = forms.submit(session, "plans", values, actor="tanaka", today=date(2026, 6, 1))
            assert isinstance(saved, forms.Saved), saved
        for year, planned, executed in ((2024, "10,000,000", "7,500,000"), (2025, "¥8000000", "8,400,000")):
            finance.set_budget(session, "PL-1", year, planned=planned, executed=executed, actor="sato", via="web")
        finance.set_budget(session, "PL-2", 2025, planned="3,000,000", executed="0", actor="sato", via="web")
    database.dispose()


def indicators(url: str) -> dict[tuple[str, int], object]:
    database = Database(url)
    with database.session() as session:
        data = kpi.kpi_data(session)
        found = {
            (key, year): (found.value, found.numerator, found.denominator, found.records.to_dict("records"))
            for year in YEARS
            for key in ("plan_coverage", "execution_rate")
            for found in [measure(key, data, fiscal_year=year)]
        }
    database.dispose()
    return found


def test_typed_or_imported_the_indicators_agree(db_url, backend, tmp_path, request):
    sample(db_url)
    typed(db_url)
    book, folder = tmp_path / "plans.xlsx", tmp_path / "plans"
    assert run(db_url, "export", "plans", str(book)).exit_code == 0
    assert run(db_url, "export", "plans", str(folder), "--lang", "en").exit_code == 0
    assert openpyxl.load_workbook(book).sheetnames == ["計画", "対象資産", "工事", "予算"]
    assert sorted(p.name for p in folder.iterdir()) == ["assets.csv", "budget.csv", "plans.csv", "works.csv"]
    expected = indicators(db_url)
    assert expected[("plan_coverage", 2024)][:3] == (50.0, 2, 4) and expected[("execution_rate", 2025)][0] == 105.0
    for source in (book, folder):
        place = tmp_path / f"db-{source.suffix or 'csv'}"
        place.mkdir()
        other = new_database(backend, place, request)
        sample(other)
        result = run(other, "import", "plans", str(source), "--format", "json")
        assert result.exit_code == 0, result.output
        done = json.loads(result.stdout)
        assert (done["added"], done["lines"]) == (2, {"assets": 3, "works": 0, "budget": 3})
        assert indicators(other) == expected, source.name
        again = json.loads(run(other, "import", "plans", str(source), "--format", "json").stdout)
        assert (again["added"], again["updated"], again["unchanged"]) == (0, 0, 2)
        back = tmp_path / f"back-{source.name}"
        assert run(other, "export", "plans", str(back), *(["--lang", "en"] if source == folder else [])).exit_code == 0
        if source == book:
            assert _sheets(back) == _sheets(book)
        else:
            for name in ("plans", "assets", "works", "budget"):
                assert (back / f"{name}.csv").read_text() == (folder / f"{name}.csv").read_text()


def _sheets(path) -> dict[str, list]:
    book = openpyxl.load_workbook(path)
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}


def _workbook(path, plans, assets, works, budget) -> None:
    with pd.ExcelWriter(path) as writer:
        for name, rows in (("計画", plans), ("対象資産", assets), ("工事", works), ("予算", budget)):
            if rows:  # a sheet left out leaves those lines as they are
                pd.DataFrame(rows).to_excel(writer, sheet_name=name, index=False)


PLAN = {
    "計画番号": "PL-9",
    "計画名": "学校施設長寿命化計画",
    "策定日": "2025-03-31",
    "計画開始年度": 2025,
    "計画終了年度": 2029,
}


@pytest.mark.parametrize("backend", ["sqlite"])  # the checks are the file's; the writes are the importer's
def test_bad_plans_refused_then_updated_by_code(db_url, tmp_path):
    sample(db_url)
    path = tmp_path / "p.xlsx"
    _workbook(
        path,
        [PLAN],
        [{"計画番号": "PL-9", "資産番号": "S-001"}, {"計画番号": "PL-9", "資産番号": "S-404"}],
        [
            {"計画番号": "PL-9", "年度": 2026, "資産番号": "S-001", "内容": "屋上防水", "事業費（円）": 12_000_000},
            {"計画番号": "PL-9", "年度": 2031, "資産番号": "S-001", "内容": "外壁", "事業費（円）": 9_000_000},
            {"計画番号": "PL-9", "年度": 2027, "資産番号": "B-001", "内容": "塗装", "事業費（円）": 1_000_000},
        ],
        [{"計画番号": "PL-8", "年度": 2026, "計画額（円）": 5_000_000, "執行額（円）": 0}],
    )
    result = run(db_url, "import", "plans", str(path))
    assert result.exit_code == 1
    assert result.output.splitlines()[1:] == [
        "対象資産 row 3, 資産番号: 'S-404' no asset with this code in the database",
    ]
    _workbook(
        path,
        [PLAN],
        [{"計画番号": "PL-9", "資産番号": "S-001"}],
        [
            {"計画番号": "PL-9", "年度": 2026, "資産番号": "S-001", "内容": "屋上防水", "事業費（円）": 12_000_000},
            {"計画番号": "PL-9", "年度": 2031, "資産番号": "S-001", "内容": "外壁", "事業費（円）": 9_000_000},
            {"計画番号": "pl-9", "年度": 2027, "資産番号": "B-001", "内容": "塗装", "事業費（円）": 1_000_000},
        ],
        [{"計画番号": "PL-8", "年度": 2026, "計画額（円）": 5_000_000, "執行額（円）": 0}],
    )
    result = run(db_url, "import", "plans", str(path))
    assert result.exit_code == 1
    assert result.output.splitlines()[1:] == [
        "工事 row 3, 年度: '2031' outside the plan's period, FY2025–FY2029",
        "工事 row 4, 資産番号: 'B-001' plan PL-9 does not cover this asset: add it to the plan's assets (対象資産)",
        "予算 row 2, 計画番号: 'PL-8' no plan with this code in the file or the database",
    ]
    assert run(db_url, "export", "plans", str(tmp_path / "none.xlsx")).exit_code == 0
    assert _sheets(tmp_path / "none.xlsx")["計画"][1:] == []  # nothing written
    works = [{"計画番号": "PL-9", "年度": 2026, "資産番号": "S-001", "内容": "屋上防水", "事業費（円）": 12_000_000}]
    _workbook(path, [PLAN], [{"計画番号": "PL-9", "資産番号": "S-001"}], works, [])
    assert json.loads(run(db_url, "import", "plans", str(path), "--format", "json").stdout)["added"] == 1
    # The same code again: the plan is updated, and its works are the file's (one replaced by two).
    works = [dict(works[0], **{"事業費（円）": "１２，５００，０００"}), dict(works[0], 年度=2028, 内容="外壁")]
    revised = dict(PLAN, 計画名="学校施設長寿命化計画（改訂）")
    _workbook(path, [revised], [{"計画番号": "PL-9", "資産番号": "S-001"}], works, [])
    done = json.loads(run(db_url, "import", "plans", str(path), "--format", "json").stdout)
    assert (done["added"], done["updated"]) == (0, 1)
    database = Database(db_url)
    with database.session() as session:
        stored = session.execute(sa.text("SELECT w.fiscal_year, w.cost FROM plan_works w ORDER BY w.fiscal_year")).all()
        entry = session.execute(
            sa.text("SELECT changes FROM audit_log WHERE record_code = 'PL-9' ORDER BY id DESC")
        ).first()
    database.dispose()
    assert [tuple(r) for r in stored] == [(2026, 12_500_000), (2028, 12_000_000)]
    changes = entry[0] if isinstance(entry[0], dict) else json.loads(entry[0])
    assert changes["title"] == ["学校施設長寿命化計画", "学校施設長寿命化計画（改訂）"]
    assert changes["works"] == [
        ["2026 S-001 屋上防水 12,000,000"],
        ["2026 S-001 屋上防水 12,500,000", "2028 S-001 外壁 12,000,000"],
    ]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_plans_list_page(db_url, app, client_as):
    sample(db_url)
    typed(db_url)
    viewer = client_as("viewer")
    page = viewer.get("/plans?lang=en&fiscal_year=2025").get_data(as_text=True)
    # PL-1 covers B-001 and S-001, PL-2 (not adopted) L-001: 2 of the 4 facilities that need a plan.
    assert "Plan coverage at the end of FY2025: 50.0 % (2 of 4 facilities that need a plan)." in page
    assert 'href="/plans/PL-1"' in page and 'href="/plans/PL-2"' in page
    adopted = viewer.get("/plans?lang=en&status=in_force&fiscal_year=2025").get_data(as_text=True)
    assert 'href="/plans/PL-1"' in adopted and 'href="/plans/PL-2"' not in adopted
    libraries = viewer.get("/plans?lang=en&category=library").get_data(as_text=True)
    assert 'href="/plans/PL-2"' in libraries and 'href="/plans/PL-1"' not in libraries
    assert 'href="/plans/PL-1"' not in viewer.get("/plans?period=2040").get_data(as_text=True)
    assert "No plan fits" in viewer.get("/plans?lang=en&coverage=none").get_data(as_text=True)
    assert viewer.get("/plans?status=bogus").status_code == 400
