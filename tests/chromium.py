"""Debian's chromium for Playwright (``/usr/bin/chromium``; ``FM_CHROMIUM`` overrides), since
Playwright's own browser download is not available everywhere."""

from __future__ import annotations

import os
import shutil

import pytest

FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def executable() -> str:
    """The chromium to drive; a failure under CI=true when there is none, else a skip."""
    path = os.environ.get("FM_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("chromium is required under CI=true (apt-get install chromium)", pytrace=False)
        pytest.skip("no chromium")
    return path
