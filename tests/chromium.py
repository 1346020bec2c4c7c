"""Debian's chromium for Playwright (``/usr/bin/chromium``; ``FM_CHROMIUM`` overrides), since
Playwright's own browser download is not available everywhere; and the app served for it."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from fm.config import Config

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"  # screenshots for a person to look at
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


@contextmanager
def live_app(config: Config) -> Iterator[str]:
    """The app for ``config`` served on a free local port in a thread; yields its base URL."""
    from fm.web import create_app

    server = make_server("127.0.0.1", 0, create_app(config), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
