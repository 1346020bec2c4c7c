"""fm report: the yearly one-page report as a self-contained HTML file, or a one-page A4 PDF."""

from __future__ import annotations

import re

import pytest
from clirun import run
from databases import DEMO, prepared_database


def test_html_report_stands_alone(demo_url, tmp_path):
    out = tmp_path / "report.html"
    result = run(demo_url, "report", "--fiscal-year", "2025", str(out))
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "2025年度 公共施設マネジメント指標" in page and page.count("<svg") == 9  # eight trends, the what-if
    assert "52.3" in page and "9,039.08" in page and "有形固定資産減価償却率" in page
    assert not re.search(r'(src|href)="(https?:)?//', page) and "<link" not in page and "<script" not in page


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fiscal-year", "1999", "r.html"], "no data for fiscal year 1999"),
        (["--fiscal-year", "2025", "r.docx"], "written as .html or .pdf"),
    ],
)
def test_report_errors_are_one_line(db_url, tmp_path, args, message):
    result = run(db_url, "report", *args[:-1], str(tmp_path / args[-1]))
    assert result.exit_code == 1 and message in result.stderr


@pytest.mark.parametrize("name", ["report.html", "report.pdf"])
def test_a_missing_folder_is_one_line_and_writes_nothing(demo_url, tmp_path, name):
    out = tmp_path / "no-such-folder" / name
    result = run(demo_url, "report", "--fiscal-year", "2025", str(out))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.strip().count("\n") == 0 and str(out) in result.stderr
    assert not (tmp_path / "no-such-folder").exists()


def test_a_failed_write_keeps_the_report_before_it(demo_url, tmp_path, monkeypatch):
    folder = tmp_path / "reports"
    folder.mkdir()
    out = folder / "report.html"
    out.write_text("the report of last year", encoding="utf-8")

    def full(self, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("pathlib.Path.write_text", full)
    result = run(demo_url, "report", "--fiscal-year", "2025", str(out))
    monkeypatch.undo()
    assert result.exit_code == 1 and "No space left on device" in result.stderr and str(out) in result.stderr
    assert out.read_text(encoding="utf-8") == "the report of last year" and list(folder.iterdir()) == [out]


def test_the_footer_gives_the_dashboard_as_a_full_address(demo_url, client):
    page = client.get("/dashboard/report?fiscal_year=2025").get_data(as_text=True)
    assert re.search(r"<footer>[^<]*http://localhost/dashboard\?fiscal_year=2025</footer>", page)


@pytest.mark.browser
def test_pdf_report_is_one_a4_page(tmp_path, request):
    import chromium

    chromium.executable()  # skips without Chromium (fails under CI=true)
    url = prepared_database("sqlite", tmp_path, request, *DEMO)
    out = tmp_path / "report.pdf"
    result = run(url, "report", "--fiscal-year", "2025", str(out))
    assert result.exit_code == 0, result.output
    pdf = out.read_bytes()
    assert pdf.startswith(b"%PDF") and re.findall(rb"/Count (\d+)", pdf) == [b"1"]
    width, height = (float(v) for v in re.search(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf).groups())
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    # The Japanese is drawn with a font that has its glyphs (fonts-noto-cjk), not as empty boxes.
    assert re.search(rb"/FontName /[A-Z]{6}\+NotoSans(Mono)?CJK", pdf), "no CJK font in the PDF"
