"""Deleting a record from its edit page: only the roles that may write it, refused with the reason while others
depend on it, refused when saved by someone since, audited with its last values."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from sample import add_sample

from fm.db import Database


def _sql(url: str, query: str):
    database = Database(url)
    with database.session() as session:
        found = session.execute(sa.text(query)).all()
    database.dispose()
    return found


@pytest.fixture
def backend():  # the rules are the use case's; one backend is enough
    return "sqlite"


def test_delete_from_the_edit_page(db_url, app, client_as):
    database = Database(db_url)
    with database.session() as session:
        add_sample(session)
    database.dispose()
    manager = client_as("facility_manager", "yamada")
    form = manager.get("/assets/X-001/edit?lang=en").get_data(as_text=True)
    assert 'action="/assets/X-001/delete"' in form and 'name="sure" required' in form
    assert client_as("engineer").post("/assets/X-001/delete", data={"version": "1"}).status_code == 403
    refused = manager.post("/assets/B-001/delete?lang=en", data={"version": "1", "sure": "on"})
    assert refused.status_code == 409
    assert "was not deleted: 1 inspections, 1 work orders depend on it" in refused.get_data(as_text=True)
    stale = manager.post("/assets/X-001/delete?lang=en", data={"version": "0", "sure": "on"})
    assert stale.status_code == 409 and _sql(db_url, "SELECT code FROM assets WHERE code = 'X-001'")
    done = manager.post("/assets/X-001/delete", data={"version": "1", "sure": "on"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/assets")
    assert not _sql(db_url, "SELECT code FROM assets WHERE code = 'X-001'")
    (entry,) = _sql(db_url, "SELECT actor, action, changes FROM audit_log WHERE record_code = 'X-001'")
    changes = entry[2] if isinstance(entry[2], dict) else json.loads(entry[2])
    assert entry[:2] == ("yamada", "delete") and changes["name"] == ["旧倉庫", None]
    # An engineer deletes an inspection (its own subject) and is sent back to the asset.
    (inspection,) = _sql(
        db_url, "SELECT i.id FROM inspections i JOIN assets a ON a.id = i.asset_id WHERE a.code = 'S-001'"
    )
    gone = client_as("engineer").post(f"/inspections/{inspection[0]}/delete", data={"version": "1", "sure": "on"})
    assert gone.status_code == 302 and gone.headers["Location"].endswith("/assets/S-001")
