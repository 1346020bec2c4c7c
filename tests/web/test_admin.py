"""The audit trail and account pages: admins only; every change they make is itself audited."""

from __future__ import annotations

import io
import re

import openpyxl
import pandas as pd
from sample import add_sample

from fm.accounts import edits


def _changes(app, actor: str) -> None:
    with app.extensions["fm.database"].session() as session:
        ids = add_sample(session)
        edits.update(session, "assets", ids["B-001"], 1, {"name": "滑川橋（補修後）"}, actor=actor)


def test_only_admins_see_the_trail_and_the_accounts(client_as, anonymous):
    for role in ("viewer", "engineer", "facility_manager", "finance"):
        client = client_as(role)
        assert client.get("/admin/audit").status_code == 403
        assert client.get("/admin/users").status_code == 403
        assert client.get("/admin/audit.csv").status_code == 403
    assert anonymous.get("/admin/audit").status_code == 302
    assert client_as("admin").get("/admin/audit").status_code == 200


def test_trail_lists_filters_and_downloads_each_change(app, client_as):
    _changes(app, "alice")
    admin = client_as("admin")
    page = admin.get("/admin/audit?table=assets&lang=en").get_data(as_text=True)
    assert "alice" in page and "滑川橋（補修後）" in page and "1 entries" in page
    assert admin.get("/admin/audit?source=email").status_code == 400
    csv = pd.read_csv(io.BytesIO(admin.get("/admin/audit.csv?table=assets").data), encoding="utf-8-sig")
    assert csv[["actor", "field", "old", "new"]].values.tolist() == [["alice", "name", "滑川橋", "滑川橋（補修後）"]]
    sheet = openpyxl.load_workbook(io.BytesIO(admin.get("/admin/audit.xlsx?table=assets").data)).active
    assert [c.value for c in sheet[2]][7:] == ["name", "滑川橋", "滑川橋（補修後）"]


def test_admin_creates_an_account_whose_password_is_shown_once(app, client_as, anonymous):
    admin = client_as("admin")
    page = admin.post("/admin/users", data={"username": "taro", "role": "engineer", "language": "en"})
    password = re.search(r'<code id="new-password">([^<]+)</code>', page.get_data(as_text=True)).group(1)
    assert "new-password" not in admin.get("/admin/users").get_data(as_text=True)
    again = admin.post("/admin/users", data={"username": "taro", "role": "engineer"})
    assert again.status_code == 400 and "is taken" in again.get_data(as_text=True)
    assert admin.post("/admin/users/taro/role", data={"role": "finance"}).status_code == 302
    assert admin.post("/admin/users/taro/active", data={"active": "0"}).status_code == 302
    from webauth import SignedInClient

    app.test_client_class = SignedInClient
    taro = app.test_client()
    taro.refresh_token()
    refused = taro.post("/sign-in", data={"username": "taro", "password": password})  # stopped
    assert refused.status_code == 200 and "error-message" in refused.get_data(as_text=True)
    trail = admin.get("/admin/audit?table=users&actor=admin").get_data(as_text=True)
    assert "finance" in trail and "active" in trail


def test_an_admin_cannot_stop_their_own_account(client_as):
    admin = client_as("admin")
    assert admin.post("/admin/users/admin/active", data={"active": "0"}).status_code == 400
