"""Asset categories as data: exported with the built-in starting values, edited, imported back (validated,
audited); a category in use keeps its condition scale."""

from __future__ import annotations

import json

import openpyxl
import sqlalchemy as sa
from clirun import run
from sample import add_sample

from fm.db import Database


def test_categories_round_trip_edit_and_refusal(db_url, tmp_path):
    database = Database(db_url)
    with database.session() as session:
        add_sample(session)
    path = tmp_path / "categories.xlsx"
    assert run(db_url, "export", "categories", str(path)).exit_code == 0
    book = openpyxl.load_workbook(path)
    sheet = book.active
    headers = [c.value for c in sheet[1]]
    assert headers[:6] == ["施設区分", "名称", "英語名", "分類", "評価方法", "耐用年数（年）"]
    unchanged = json.loads(run(db_url, "import", "categories", str(path), "--format", "json").stdout)
    assert (unchanged["added"], unchanged["updated"], unchanged["unchanged"]) == (0, 0, 19)
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    rows["bridge"][5].value = 50  # the city's own useful life for bridges
    sheet.append(["playground", "遊具", "Playground equipment", "infrastructure", "score", 15, 99])
    book.save(path)
    done = json.loads(run(db_url, "import", "categories", str(path), "--format", "json").stdout)
    assert (done["added"], done["updated"], done["unchanged"]) == (1, 1, 18)
    with database.session() as session:
        life = session.scalar(sa.text("SELECT useful_life_years FROM asset_categories WHERE code = 'bridge'"))
        entries = session.execute(
            sa.text("SELECT action, record_code FROM audit_log WHERE table_name = 'asset_categories' ORDER BY id")
        ).all()
    assert life == 50 and [tuple(e) for e in entries] == [("update", "bridge"), ("create", "playground")]
    rows["school"][5].value = 0
    book.save(path)
    refused = run(db_url, "import", "categories", str(path))
    assert refused.exit_code == 1 and "row 2, 耐用年数（年）: '0' must be greater than 0" in refused.output
    rows["school"][5].value = 47
    rows["bridge"][4].value = "score"  # bridges are inspected on soundness Ⅰ–Ⅳ, and the city has bridges
    book.save(path)
    refused = run(db_url, "import", "categories", str(path))
    assert refused.exit_code == 1
    assert "評価方法: 'score' assets of bridge were inspected on the soundness scale" in refused.output
    database.dispose()
