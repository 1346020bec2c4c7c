"""A signed-in HTTP session for the benches: the app needs an account for every page and API call."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.parse
import urllib.request

from fm.accounts import users
from fm.db import Database

USERNAME, PASSWORD = "bench-viewer", "bench password 2026"


def signed_in(base: str, database_url: str) -> urllib.request.OpenerDirector:
    """An opener whose cookie jar holds a session of a viewer account (made if missing) on ``base``."""
    database = Database(database_url)
    with database.session() as session:
        try:
            users.find(session, USERNAME)
        except LookupError:
            users.create(session, USERNAME, role="viewer", password=PASSWORD, actor="bench", source="cli")
    database.dispose()
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/sign-in").read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrf_token": token, "username": USERNAME, "password": PASSWORD}).encode()
    opener.open(f"{base}/sign-in", data=form).read()
    opener.jar = jar  # type: ignore[attr-defined]
    return opener


def browser_cookies(opener: urllib.request.OpenerDirector, base: str) -> list[dict]:
    """The opener's session cookie for Playwright's ``context.add_cookies``."""
    return [{"name": c.name, "value": c.value, "url": base} for c in opener.jar]  # type: ignore[attr-defined]
