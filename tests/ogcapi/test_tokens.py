"""API tokens: made by `fm tokens` or on the tokens page, sent as Bearer or as HTTP Basic's password; a
revoked, expired or someone else's token gets 401 at once; the table holds only hashes."""

from __future__ import annotations

import base64
import logging
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from clirun import run
from webauth import ensure_user

from fm.db import Database

pytestmark = pytest.mark.parametrize("sample_url", ["sqlite"], indirect=True)  # the backend does not matter here
ITEMS = "/ogcapi/collections/assets/items?f=json"


def _basic(username: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _make(url: str, username: str, *more: str) -> tuple[int, str]:
    result = run(url, "tokens", "create", username, *more)
    assert result.exit_code == 0, result.output
    number = int(result.output.split()[2])
    return number, result.output.strip().splitlines()[-1]


def test_tokens_from_the_cli(sample_url, ogc_app, caplog):
    ensure_user(sample_url, "gis", "engineer")
    number, token = _make(sample_url, "gis", "--expires", "30", "--name", "QGIS")
    client = ogc_app.test_client()
    assert client.get(ITEMS).status_code == 401
    body = client.get(ITEMS).get_json()
    assert body["code"] == "Unauthorized" and "WWW-Authenticate" in client.get(ITEMS).headers
    with caplog.at_level(logging.INFO, logger="fm.tokens"):
        assert client.get(ITEMS, headers=_bearer(token)).status_code == 200
    assert f"API token {number} ({token[:10]}…) of gis: GET {ITEMS}" in caplog.text
    assert client.get(ITEMS, headers=_basic("gis", token)).status_code == 200
    assert client.get("/api/stats", headers=_bearer(token)).status_code == 200
    assert client.get(ITEMS, headers=_basic("viewer", token)).status_code == 401  # another account's name
    assert client.get(ITEMS, headers=_bearer(token + "x")).status_code == 401
    assert client.get("/api/stats", headers=_bearer("nonsense")).status_code == 401
    database = Database(sample_url)
    with database.connect() as connection:
        stored = connection.execute(sa.text("SELECT token_hash, prefix FROM api_tokens")).all()
    assert token not in repr(stored) and len(stored[0][0]) == 64
    listed = run(sample_url, "tokens", "list", "--format", "json").output
    assert "QGIS" in listed and token not in listed
    assert run(sample_url, "tokens", "revoke", str(number)).exit_code == 0
    assert client.get(ITEMS, headers=_bearer(token)).status_code == 401
    assert client.get("/api/stats", headers=_bearer(token)).status_code == 401
    _, late = _make(sample_url, "gis")
    with database.session() as session:
        session.execute(
            sa.text("UPDATE api_tokens SET expires_at = :t"), {"t": datetime.now(UTC) - timedelta(seconds=1)}
        )
    database.dispose()
    assert client.get(ITEMS, headers=_bearer(late)).status_code == 401
    assert run(sample_url, "tokens", "create", "nobody").exit_code != 0


def test_tokens_page(ogc_app):
    from webauth import signed_in

    engineer, admin = signed_in(ogc_app, "engineer", "eng2"), signed_in(ogc_app, "admin", "boss")
    page = engineer.post("/account/tokens", data={"name": "ogr2ogr", "days": "7"}).get_data(as_text=True)
    token = page.split('<code id="new-token">')[1].split("<")[0]
    assert ogc_app.test_client().get(ITEMS, headers=_bearer(token)).status_code == 200
    assert token not in engineer.get("/account/tokens").get_data(as_text=True)  # shown once
    assert engineer.post("/account/tokens", data={"days": "0"}).status_code == 400
    listed = admin.get("/account/tokens").get_data(as_text=True)
    assert "eng2" in listed and "ogr2ogr" in listed
    number = int(listed.split("/account/tokens/")[1].split("/")[0])
    assert admin.post(f"/account/tokens/{number}/revoke").status_code == 302
    assert ogc_app.test_client().get(ITEMS, headers=_bearer(token)).status_code == 401


def test_a_bad_token_is_refused_beside_a_session(sample_url, ogc_app):
    """A token is judged on its own even when the request also carries a signed-in browser's session cookie:
    unknown, revoked or expired → 401; a live one acts as its own account, not the session's."""
    from webauth import signed_in

    browser = signed_in(ogc_app, "viewer", "sessioned")
    assert browser.get(ITEMS).status_code == 200  # the session alone is enough
    ensure_user(sample_url, "robot", "viewer")
    number, token = _make(sample_url, "robot")
    assert browser.get(ITEMS, headers=_bearer(token + "x")).status_code == 401
    assert browser.get("/api/stats", headers=_bearer("nonsense")).status_code == 401
    assert browser.get(ITEMS, headers=_basic("robot", "not-a-token")).status_code == 401
    assert browser.get("/", headers=_bearer("nonsense")).status_code == 401  # pages too: no redirect, no session
    assert browser.get(ITEMS, headers=_bearer(token)).status_code == 200
    assert run(sample_url, "tokens", "revoke", str(number)).exit_code == 0
    refused = browser.get(ITEMS, headers=_bearer(token))
    assert refused.status_code == 401 and refused.get_json()["code"] == "Unauthorized"
    late_number, late = _make(sample_url, "robot")
    database = Database(sample_url)
    with database.session() as session:
        session.execute(
            sa.text("UPDATE api_tokens SET expires_at = :t WHERE id = :n"),
            {"t": datetime.now(UTC) - timedelta(seconds=1), "n": late_number},
        )
    database.dispose()
    assert browser.get(ITEMS, headers=_bearer(late)).status_code == 401
    assert browser.get(ITEMS).status_code == 200  # the session itself still works without the header
