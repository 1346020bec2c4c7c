"""Signed-in test clients: one account per role, and the CSRF token sent on every write.

``signed_in(app, role)`` creates the account (once per app) and returns a Flask test client
signed in through the real sign-in form; its POST/PUT/PATCH/DELETE requests carry the
session's CSRF token in ``X-CSRFToken``, as the app's own scripts do.
"""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from fm.accounts import users
from fm.db import Database

PASSWORD = "correct horse battery"
_TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


class SignedInClient(FlaskClient):
    """A test client that sends the CSRF token of its session with every write."""

    csrf: str | None = None

    def open(self, *args, **kwargs):
        method = (kwargs.get("method") or "GET").upper()
        if method not in ("GET", "HEAD", "OPTIONS") and self.csrf:
            kwargs.setdefault("headers", {})
            kwargs["headers"] = {**dict(kwargs["headers"]), "X-CSRFToken": self.csrf}
        return super().open(*args, **kwargs)

    def refresh_token(self) -> str:
        """Read the CSRF token from a page, as a browser would."""
        page = super().open("/sign-in" if self.csrf is None else "/", method="GET").get_data(as_text=True)
        self.csrf = _TOKEN.search(page).group(1)
        return self.csrf


def ensure_user(url: str, username: str, role: str) -> None:
    """The account ``username`` with ``role`` and the test password (made if missing)."""
    database = Database(url)
    try:
        with database.session() as session:
            try:
                users.find(session, username)
            except LookupError:
                users.create(session, username, role=role, password=PASSWORD, actor="test", source="cli")
    finally:
        database.dispose()


def signed_in(app, role: str, username: str | None = None) -> SignedInClient:
    """A client of ``app`` signed in as ``username`` (default: the role's name) with ``role``."""
    username = username or role.replace("_", "-")
    ensure_user(app.config["FM"].database_url, username, role)
    app.test_client_class = SignedInClient
    client = app.test_client()
    client.refresh_token()
    response = client.post("/sign-in", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    client.refresh_token()
    return client
