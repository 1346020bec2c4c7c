"""Single-record writes: optimistic locking and the audit entry each write leaves (both backends)."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from sample import add_sample
from shapely import Point

from fm.accounts import audit, edits
from fm.errors import Conflict, NotFound
from fm.model import Asset, AuditEntry


def test_insert_update_delete_leave_old_and_new_values(database):
    with database.session() as session:
        ids = add_sample(session)
        inspection = edits.insert(
            session,
            "inspections",
            {"asset_id": ids["B-001"], "inspected_on": date(2025, 6, 1), "soundness": 2},
            actor="eng",
            source="web",
        )
    with database.session() as session:
        version = edits.update(
            session,
            "inspections",
            inspection,
            1,
            {"soundness": 3, "inspected_on": date(2025, 6, 1)},
            actor="eng2",
            source="web",
        )
        assert version == 2
        assert edits.update(session, "inspections", inspection, 2, {"soundness": 3}, actor="eng2") == 2  # no change
        edits.delete(session, "inspections", inspection, 2, actor="eng3")
    with database.session() as session:
        trail, total = audit.history(session, table_name="inspections", record_id=inspection)
    assert total == 3
    assert list(trail["action"]) == ["delete", "update", "create"]
    assert list(trail["actor"]) == ["eng3", "eng2", "eng"]
    assert trail.iloc[1]["changes"] == {"soundness": [2, 3]}
    assert trail.iloc[2]["changes"] == {
        "asset_id": [None, ids["B-001"]],
        "inspected_on": [None, "2025-06-01"],
        "soundness": [None, 2],
    }
    assert trail.iloc[0]["changes"]["soundness"] == [3, None]


def test_the_second_of_two_saves_is_refused_and_the_first_kept(database):
    with database.session() as session:
        ids = add_sample(session)
    asset = ids["B-001"]
    with database.session() as session:  # both opened the record at version 1
        edits.update(session, "assets", asset, 1, {"name": "first"}, actor="alice")
    with pytest.raises(Conflict, match="changed by alice"), database.session() as session:
        edits.update(session, "assets", asset, 1, {"name": "second"}, actor="bob")
    with database.session() as session:
        stored = session.get(Asset, asset)
        assert (stored.name, stored.version) == ("first", 2)
        assert session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 1
        with pytest.raises(Conflict):
            edits.delete(session, "assets", asset, 1, actor="bob")


def test_geometry_and_money_are_recorded_as_text_and_integers(database):
    with database.session() as session:
        ids = add_sample(session)
        edits.update(
            session,
            "assets",
            ids["B-001"],
            1,
            {"geom": Point(139.5, 35.3), "acquisition_cost": 50_000_000},
            actor="fm-manager",
        )
        trail, _ = audit.history(session, record_id=ids["B-001"], table_name="assets")
    assert trail.iloc[0]["changes"]["geom"][1] == "POINT (139.5 35.3)"
    assert trail.iloc[0]["changes"]["acquisition_cost"] == [48_000_000, 50_000_000]


def test_unknown_records_and_tables(database):
    with database.session() as session:
        with pytest.raises(NotFound):
            edits.update(session, "assets", 999, 1, {"name": "x"}, actor="a")
        with pytest.raises(KeyError):
            edits.insert(session, "users", {"username": "x"}, actor="a")


def test_an_import_moves_versions_on_so_an_open_form_is_refused(database, tmp_path):
    from fm.io.importer import import_file

    with database.session() as session:
        ids = add_sample(session)
    with database.session() as session:
        (tmp_path / "assets.csv").write_text(
            "code,name,category,lon,lat\nB-001,滑川橋（改）,bridge,139.5531,35.3122\n"
            "N-001,新しい橋,bridge,139.55,35.31\n",
            encoding="utf-8",
        )
        result = import_file(session, "assets", tmp_path / "assets.csv", actor="importer")
    assert (result["added"], result["updated"]) == (1, 1)
    with database.session() as session:
        assert session.get(Asset, ids["B-001"]).version == 2
        trail, total = audit.history(session, table_name="assets")
    assert total == 2
    by_code = {row.record_code: row for row in trail.itertuples()}
    assert by_code["B-001"].changes == {"name": ["滑川橋", "滑川橋（改）"]}
    assert by_code["B-001"].source == "import" and by_code["B-001"].actor == "importer"
    assert by_code["N-001"].action == "create" and by_code["N-001"].changes["name"] == [None, "新しい橋"]
    assert by_code["N-001"].record_id is not None
    with pytest.raises(Conflict), database.session() as session:
        edits.update(session, "assets", ids["B-001"], 1, {"name": "stale form"}, actor="someone")
