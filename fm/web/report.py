"""The yearly one-page report as a file: the app's own printable page, saved as HTML or printed to PDF.

The HTML is the page ``/dashboard/report`` renders (styles and charts inline, so the
file stands alone). A PDF is that file printed by headless Chromium (Debian's
``chromium``, or ``FM_CHROMIUM``): A4, no header or footer, checked to be a PDF
before it is kept. Without Chromium, ask for ``.html`` and print it from a browser.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import tempfile
from contextlib import suppress
from pathlib import Path

from fm.config import Config
from fm.errors import FmError

PDF_TIMEOUT = 120  # seconds; a report prints in 2–3 s here
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-pdf-header-footer",
    "--print-to-pdf-no-header",
)


def render_report(config: Config, *, fiscal_year: int, lang: str = "ja") -> str:
    """The report page of ``fiscal_year`` as the web app renders it, for the CLI's user as a viewer."""
    from flask_login import login_user

    from fm.app.conventions import cli_actor
    from fm.app.users import reader
    from fm.web import create_app
    from fm.web.auth import Account

    app = create_app(config)
    try:
        with app.test_request_context("/dashboard/report", query_string={"fiscal_year": fiscal_year, "lang": lang}):
            login_user(Account(reader(cli_actor(), lang)))
            response = app.full_dispatch_request()
    finally:
        app.extensions["fm.database"].dispose()
    body = response.get_data(as_text=True)
    if response.status_code != 200:
        found = re.search(r'<p class="error-message">(.*?)</p>', body, re.S)
        raise FmError(html.unescape(found.group(1)) if found else f"the report failed ({response.status_code})")
    return body


def chromium() -> str:
    """The Chromium binary to print with: ``FM_CHROMIUM``, else ``chromium`` or ``chromium-browser`` on PATH."""
    path = os.environ.get("FM_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise FmError(
            "a PDF needs Chromium (apt-get install chromium, or set FM_CHROMIUM); "
            "or write the report as .html and print it from a browser"
        )
    return path


def print_pdf(page: str, output: Path, *, browser: str | None = None) -> None:
    """Print the HTML text ``page`` to the PDF file ``output`` with headless Chromium."""
    with tempfile.TemporaryDirectory(prefix="fm-report-") as folder:
        source, target = Path(folder) / "report.html", Path(folder) / "report.pdf"
        source.write_text(page, encoding="utf-8")
        command = [
            browser or chromium(),
            *CHROMIUM_FLAGS,
            f"--user-data-dir={Path(folder) / 'profile'}",
            f"--print-to-pdf={target}",
            source.as_uri(),
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=PDF_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise FmError(f"Chromium did not print the report within {PDF_TIMEOUT} s; write .html instead") from None
        except OSError as exc:
            raise FmError(f"cannot run Chromium ({command[0]}): {exc.strerror}") from None
        if not target.exists() or not target.read_bytes().startswith(b"%PDF"):
            last = (done.stderr.strip().splitlines() or ["no message"])[-1]
            raise FmError(f"Chromium did not write a PDF (exit {done.returncode}: {last}); write .html instead")
        shutil.copyfile(target, output)


def write_report(config: Config, output: Path, *, fiscal_year: int, lang: str = "ja") -> None:
    """Write the report of ``fiscal_year`` to ``output``: ``.html`` as is, ``.pdf`` printed by Chromium.

    Raises :class:`FmError` (one line naming ``output``) when the file cannot be written,
    e.g. its folder does not exist.
    """
    suffix = output.suffix.lower()
    if suffix not in (".html", ".pdf"):
        raise FmError(f"{output}: the report is written as .html or .pdf")
    if not output.parent.is_dir():  # said before the report is rendered and printed
        raise FmError(f"cannot write the report to {output}: the folder {output.parent} does not exist")
    page = render_report(config, fiscal_year=fiscal_year, lang=lang)
    # Written beside ``output`` and renamed over it, so a failure never leaves half a report
    # (nor spoils one written before).
    partial = output.with_name(output.name + ".partial")
    try:
        if suffix == ".html":
            partial.write_text(page, encoding="utf-8")
        else:
            print_pdf(page, partial)
        partial.replace(output)
    except OSError as exc:
        raise FmError(f"cannot write the report to {output}: {exc.strerror or exc}") from None
    finally:
        with suppress(OSError):  # the cleanup of a failed write must not hide its error
            partial.unlink(missing_ok=True)
