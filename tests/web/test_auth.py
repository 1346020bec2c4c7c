"""Sign-in, sessions, CSRF, the sign-in limit, the language kept per account, and the security headers."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from webauth import PASSWORD, SignedInClient, ensure_user, signed_in

from fm.accounts import audit


def _fresh(app) -> SignedInClient:
    app.test_client_class = SignedInClient
    client = app.test_client()
    client.refresh_token()
    return client


def test_everything_but_sign_in_needs_an_account(anonymous):
    api = anonymous.get("/api/stats")
    assert api.status_code == 401 and api.get_json()["error"]["message"] == "先にログインしてください。"
    page = anonymous.get("/dashboard?lang=en")
    assert page.status_code == 302 and page.headers["Location"] == "/sign-in?next=/dashboard?lang%3Den"
    assert anonymous.get("/sign-in").status_code == 200
    assert anonymous.get("/static/fm.css").status_code == 200


@pytest.mark.parametrize(
    ("target", "landing"),
    [("/dashboard", "/dashboard"), ("//evil.example/x", "/"), ("https://evil.example/", "/"), ("", "/")],
)
def test_sign_in_goes_back_only_inside_the_app(app, target, landing):
    ensure_user(app.config["FM"].database_url, "alice", "engineer")
    client = _fresh(app)
    response = client.post("/sign-in", data={"username": "alice", "password": PASSWORD, "next": target})
    assert response.status_code == 302 and response.headers["Location"] == landing


def test_wrong_password_and_unknown_user_say_the_same(app):
    ensure_user(app.config["FM"].database_url, "alice", "engineer")
    client = _fresh(app)
    for username, password in (("alice", "wrong password"), ("nobody", PASSWORD)):
        response = client.post("/sign-in", data={"username": username, "password": password})
        assert response.status_code == 200 and "ユーザー名またはパスワードが違います" in response.get_data(as_text=True)
    assert client.get("/api/stats").status_code == 401


def test_a_form_without_its_csrf_token_is_refused(app):
    ensure_user(app.config["FM"].database_url, "alice", "engineer")
    response = app.test_client().post("/sign-in", data={"username": "alice", "password": PASSWORD})
    assert response.status_code == 400 and "CSRF" in response.get_data(as_text=True)


def test_sign_in_is_rate_limited(app):
    client = _fresh(app)
    codes = [
        client.post("/sign-in", data={"username": f"guess{n}", "password": "x" * 12}).status_code for n in range(11)
    ]
    assert codes == [200] * 10 + [429]
    assert "Too many" in client.post("/sign-in?lang=en", data={"username": "x", "password": "y"}).get_data(as_text=True)


def test_sign_out_ends_the_session(client):
    assert client.get("/api/stats").status_code == 200
    assert client.post("/sign-out").headers["Location"] == "/sign-in"
    assert client.get("/api/stats").status_code == 401


def _copy(app, client):
    """Another browser holding a copy of ``client``'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def test_a_copied_session_cookie_dies_with_sign_out(app, client):
    copied = _copy(app, client)
    assert copied.get("/api/stats").status_code == 200
    client.post("/sign-out")
    assert copied.get("/api/stats").status_code == 401


def test_a_copied_session_cookie_dies_when_the_account_is_stopped_or_its_password_reset(app, client):
    from fm.accounts import users

    copied = _copy(app, client)
    with app.extensions["fm.database"].session() as session:
        users.set_active(session, "viewer", False, actor="admin", source="cli")
        users.set_active(session, "viewer", True, actor="admin", source="cli")
    assert copied.get("/api/stats").status_code == 401  # stopped and started again: the old sessions stay ended
    again = _copy(app, signed_in(app, "viewer"))
    with app.extensions["fm.database"].session() as session:
        users.set_password(session, "viewer", PASSWORD, actor="admin", source="cli")
    assert again.get("/api/stats").status_code == 401


def test_sessions_expire(app, client):
    with client.session_transaction() as session:
        session["signed_in_at"] = (audit.now() - timedelta(hours=13)).isoformat()
    assert client.get("/api/stats").status_code == 401
    assert app.permanent_session_lifetime == timedelta(hours=4)  # idle limit, renewed by each request


def test_a_password_change_ends_the_other_sessions(app, client):
    from fm.accounts import users

    with app.extensions["fm.database"].session() as session:
        users.set_password(session, "viewer", "another long password", actor="admin", source="cli")
    assert client.get("/api/stats").status_code == 401


def test_each_account_keeps_its_language(app):
    client = signed_in(app, "engineer", "hanako")
    assert '<html lang="ja">' in client.get("/").get_data(as_text=True)
    client.get("/?lang=en")
    again = signed_in(app, "engineer", "hanako")  # another browser, no cookie
    assert '<html lang="en">' in again.get("/").get_data(as_text=True)


def test_security_headers_and_script_nonces(demo_url, client):
    response = client.get("/maps/risk")
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy and "connect-src 'self'" in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    page = response.get_data(as_text=True)
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", page)
    assert inline and all(f'nonce="{nonce}"' in attributes for attributes in inline)
    assert not re.search(r"\son[a-z]+=", page), "inline event handlers are blocked by the CSP"


def test_the_tile_server_is_the_only_other_origin(app_with_gsi):
    policy = signed_in(app_with_gsi, "viewer").get("/").headers["Content-Security-Policy"]
    assert "img-src 'self' data: blob: https://cyberjapandata.gsi.go.jp;" in policy


@pytest.fixture
def app_with_gsi(db_url, tmp_path):
    from fm.config import Config
    from fm.web import create_app

    app = create_app(Config(database_url=db_url, instance_path=tmp_path, secret_key="test", basemap="gsi"))
    yield app
    app.extensions["fm.database"].dispose()


def test_the_language_switch_keeps_the_page_query(client):
    page = client.get("/dashboard?fiscal_year=2024&lang=ja").get_data(as_text=True)
    assert 'href="?fiscal_year=2024&amp;lang=en"' in page


def test_the_sign_in_limit_is_a_setting(db_url, tmp_path):
    from fm.config import Config
    from fm.web import create_app

    app = create_app(
        Config(database_url=db_url, instance_path=tmp_path, secret_key="test", sign_in_limit="3 per minute")
    )
    client = _fresh(app)
    codes = [client.post("/sign-in", data={"username": "x", "password": "y" * 12}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    app.extensions["fm.database"].dispose()
