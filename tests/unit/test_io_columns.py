"""The column format: headers in either language, and docs/import-export.md saying the same as the code."""

from __future__ import annotations

from pathlib import Path

import pytest

from fm.io.columns import KINDS, guess_kind, header, resolve_headers
from fm.io.problems import Problem

DOC = Path(__file__).resolve().parents[2] / "docs" / "import-export.md"


def test_headers_match_in_either_language_with_or_without_units():
    found = resolve_headers(
        KINDS["assets"],
        [
            "資産番号",
            "name",
            "取得価額(円)",
            "取得価額",
            "ＣＡＴＥＧＯＲＹ",
            "経度（EPSG:6668）",
            "lat (epsg:6668)",
            "memo",
        ],
        coordinates=True,
    )
    assert found.fields == {
        "資産番号": "code",
        "name": "name",
        "取得価額(円)": "acquisition_cost",
        "ＣＡＴＥＧＯＲＹ": "category",
        "経度（EPSG:6668）": "lon",
        "lat (epsg:6668)": "lat",
    }
    assert found.epsg == {"lon": 6668, "lat": 6668}
    assert found.duplicated == [("取得価額(円)", "取得価額")] and found.unknown == ["memo"]


def test_a_file_of_another_kind_is_recognised():
    work = [header(c, "ja") for c in KINDS["work_orders"].columns]
    assert guess_kind(work, coordinates=True).name == "work_orders"
    assert guess_kind(["code", "kind"], coordinates=True) is None  # no kind has both without more


def test_problem_reads_as_one_line():
    assert (
        str(Problem("line 3", "取得価額（円）", "-5", "must not be negative"))
        == "line 3, 取得価額（円）: '-5' must not be negative"
    )
    assert str(Problem("", "", "", "the file is empty")) == "the file is empty"


@pytest.mark.parametrize("kind", KINDS.values(), ids=list(KINDS))
def test_the_docs_list_every_column(kind):
    text = DOC.read_text(encoding="utf-8")
    table = text.split(f"### {kind.name} ({kind.ja})\n\n")[1].split("\n\n")[0]
    rows = [line for line in table.splitlines() if line.startswith("| ") and not line.startswith("| column")]
    assert [r.split(" | ")[:3] for r in rows] == [
        [f"| {c.name}", header(c, "ja"), header(c, "en")] for c in kind.columns
    ]
    for row, column in zip(rows, kind.columns, strict=True):
        assert ("| yes |" in row) == column.required, row
        assert all(f"`{value}`" in row for value in column.allowed), row
