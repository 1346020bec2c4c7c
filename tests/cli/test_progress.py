"""The progress bar of long commands (fm/cli/progress.py): on a terminal's stderr only.

Run as a real process, since whether stderr is a terminal is the point: once with stderr and
stdout piped (output exactly as without a bar), once with stderr on a pseudo-terminal (the bar
with its stages, and the same stdout).
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from fm.progress import report, reporting

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])  # the bar is the CLI's, whatever the database

FM = [str(Path(sys.executable).parent / "fm")]  # the console script installed beside this Python


def _export(db_url: str, out: Path, **streams) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*FM, "--database-url", db_url, "export", "assets", str(out)],
        timeout=120,
        check=True,
        **streams,
    )


def test_piped_output_is_unchanged_and_a_terminal_shows_the_bar(db_url, tmp_path):
    piped = _export(db_url, tmp_path / "piped.csv", capture_output=True, text=True)
    assert piped.stderr == ""
    assert piped.stdout.startswith(f"wrote 0 assets to {tmp_path / 'piped.csv'}")

    leader, follower = pty.openpty()
    try:
        shown = _export(db_url, tmp_path / "tty.csv", stdout=subprocess.PIPE, stderr=follower, text=True)
        os.close(follower)
        follower = -1
        drawn = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal's other end is closed: everything is read
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        os.close(leader)
        if follower != -1:
            os.close(follower)
    text = drawn.decode()
    assert "fm export" in text and "[" in text and "100%" in text
    assert "reading the records" in text and "writing the file" in text
    assert shown.stdout == piped.stdout.replace("piped.csv", "tty.csv")


def test_reports_reach_only_the_reporter_of_their_context(backend):
    seen = []
    report("nobody listens", 0, 1)  # costs nothing, shows nothing
    with reporting(lambda what, done, total: seen.append((what, done, total))):
        report("reading", 0, 2)
        report("writing", 1, 2)
    report("after", 2, 2)
    assert seen == [("reading", 0, 2), ("writing", 1, 2)]
