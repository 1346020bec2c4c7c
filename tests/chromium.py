"""Debian's chromium for Playwright (``/usr/bin/chromium``; ``FM_CHROMIUM`` overrides), since
Playwright's own browser download is not available everywhere; and the app served for it."""

from __future__ import annotations

import dataclasses
import itertools
import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from fm.config import Config

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"  # screenshots for a person to look at
_served: dict[str, str] = {}
"""Base URL of each app served by :func:`live_app` → its database URL."""
_accounts = itertools.count(1)
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


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

    # Every page of a browser test signs in from this one address: lift the per-address sign-in limit
    # (tests/web/test_auth.py checks the limit itself).
    config = dataclasses.replace(config, sign_in_limit="1000 per minute")
    server = make_server("127.0.0.1", 0, create_app(config), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    _served[base] = config.database_url
    try:
        yield base
    finally:
        server.shutdown()
        del _served[base]


def sign_in(page, base: str, database_url: str | None = None, role: str = "viewer") -> str:
    """Sign ``page`` in to the app at ``base`` through its form, as a new account with ``role``; its username.

    Each call makes its own account, so a language one page chooses is not another page's default. The form
    sends the page back to the sign-in form, which computes nothing: every caller opens its own page next, and
    waiting for the landing page's first figures (over 30 s once on a busy CI machine) tests nothing here.
    """
    from webauth import PASSWORD, ensure_user

    username = f"{role.replace('_', '-')}-{next(_accounts)}"
    ensure_user(database_url or _served[base], username, role)
    page.goto(f"{base}/sign-in?next=/sign-in")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("section.sign-in button[type=submit]")
    return username


def wait_until(page, expression: str, timeout: float = 20.0) -> None:
    """Wait until ``expression`` is true in ``page``: Playwright's wait_for_function evaluates strings with
    eval, which the app's Content-Security-Policy forbids (as it should)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise TimeoutError(f"not true after {timeout} s: {expression}")
        page.wait_for_timeout(50)


def guarded_page(browser, base: str, *, width: int = 1366, height: int = 768) -> tuple[Any, list[str], list[str]]:
    """A new page that refuses (and lists in ``outside``) every request outside the app at ``base``, and lists in
    ``errors`` every console error and uncaught exception: both should stay empty."""
    outside: list[str] = []
    errors: list[str] = []
    page = browser.new_page(viewport={"width": width, "height": height})

    def guard(route) -> None:
        if route.request.url.startswith(base):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return page, outside, errors
