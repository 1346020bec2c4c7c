"""Excel uploads are bounded before they are parsed: the zip's declared sizes, the widest column and the last
row the sheets use, so that a small hostile workbook is refused (or read) at little cost."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from fm.errors import FmError
from fm.io import files


def _workbook(path: Path, *, dimension: str | None = None, cells: dict[str, object] | None = None) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "assets"
    for ref, value in (cells or {"A1": "code", "B1": "name", "A2": "B-1", "B2": "橋"}).items():
        sheet[ref] = value
    book.save(path)
    if dimension:  # what a hostile (or careless) writer declares, whatever the cells
        with zipfile.ZipFile(path) as source:
            parts = {name: source.read(name) for name in source.namelist()}
        sheet_xml = parts["xl/worksheets/sheet1.xml"].decode()
        start = sheet_xml.index("<dimension ref=")
        end = sheet_xml.index("/>", start) + 2
        parts["xl/worksheets/sheet1.xml"] = (
            sheet_xml[:start] + f'<dimension ref="{dimension}"/>' + sheet_xml[end:]
        ).encode()
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
            for name, data in parts.items():
                target.writestr(name, data)
    return path


def test_a_declared_sheet_of_a1_xfd2500_costs_little(tmp_path, monkeypatch):
    """The declared dimension is not believed: only the cells the sheet holds are read (counted, not timed)."""
    path = _workbook(tmp_path / "wide.xlsx", dimension="A1:XFD2500")
    read, original = [], ReadOnlyWorksheet.iter_rows

    def counted(self, *args, **kwargs):
        for row in original(self, *args, **kwargs):
            read.append(len(row))
            yield row

    monkeypatch.setattr(ReadOnlyWorksheet, "iter_rows", counted)
    table = files.read(path, kind="assets")
    assert list(table.frame.columns) == ["code", "name"] and len(table.frame) == 1
    assert sum(read) <= 4, f"{sum(read):,} cells read for 4"


def test_a_cell_beyond_the_widest_column_is_refused_with_its_place(tmp_path):
    path = _workbook(tmp_path / "far.xlsx", cells={"A1": "code", "B1": "name", "XFD7": "x"})
    with pytest.raises(FmError, match=r"far\.xlsx: sheet assets uses column XFD \(16384\); fm reads at most 1000"):
        files.read(path, kind="assets")


def test_a_row_beyond_the_last_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "EXCEL_MAX_ROWS", 100)
    path = _workbook(tmp_path / "long.xlsx", cells={"A1": "code", "B1": "name", "A101": "x"})
    with pytest.raises(FmError, match=r"sheet assets uses row 101; fm reads at most 100 rows"):
        files.read(path, kind="assets")


def test_a_zip_declaring_more_than_fm_unpacks_is_refused_before_it_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "EXCEL_MAX_UNPACKED", 2_000)
    path = _workbook(tmp_path / "bomb.xlsx", cells={f"A{n}": "x" * 50 for n in range(1, 60)})
    with pytest.raises(FmError, match=r"bomb\.xlsx unpacks to .* fm unpacks at most"):
        files.read(path, kind="assets")
