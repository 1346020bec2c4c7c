"""Uploading a file in the browser, on SQLite and PostGIS: the preview equals ``fm import --dry-run``, apply
writes exactly what it showed (all or nothing), cancel writes nothing, bad files are refused row by row,
the size limit, roles, and the stored file is never served."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import sqlalchemy as sa
from clirun import run
from sample import add_sample
from shapely import Point
from webauth import signed_in

from fm.config import Config
from fm.db import Database
from fm.io import store
from fm.web import create_app

GOOD = (
    "code,name,category,district,year_built,lon,lat\n"
    "B-001,滑川橋（架替）,bridge,kamakura,1968,139.5531,35.3122\n"  # name changes: updated
    "B-002,砂押橋,bridge,ofuna,1975,139.531,35.35\n"  # as stored: unchanged
    "N-001,新川橋,bridge,ofuna,2001,139.52,35.355\n"  # added
    "N-002,みどり公園,park,,1999,139.54,35.33\n"
)  # added
BAD_ROWS = (
    "code,name,category,year_built,lon,lat\n"
    "B-001,滑川橋,bridge,1968,139.5531,35.3122\n"
    "N-003,,bridge,19x8,139.52,35.355\n"
    "N-004,城,castle,2001,139.52,35.355\n"
)
MISSING_COLUMN = "code,category,lon,lat\nN-005,bridge,139.52,35.355\n"
TABLES = ("assets", "inspections", "work_orders", "land_parcels", "audit_log")


@pytest.fixture
def seeded(db_url):
    database = Database(db_url)
    with database.session() as session:
        add_sample(session)
    database.dispose()
    return db_url


@pytest.fixture
def app(seeded, tmp_path):
    app = create_app(Config(database_url=seeded, instance_path=tmp_path / "instance", secret_key="test"))
    app.config.update(TESTING=True)
    yield app
    app.extensions["fm.database"].dispose()


@pytest.fixture
def manager(app):
    return signed_in(app, "facility_manager")


def _snapshot(url: str) -> dict[str, pd.DataFrame]:
    database = Database(url)
    with database.session() as session:
        frames = {
            name: pd.DataFrame(store.read_table(session, name)).drop(columns=["geom"], errors="ignore")
            for name in TABLES
        }
    database.dispose()
    return frames


def _same(before: dict[str, pd.DataFrame], after: dict[str, pd.DataFrame]) -> bool:
    return all(before[name].equals(after[name]) for name in before)


def _upload(client, kind: str, name: str, body: bytes | str):
    data = body.encode() if isinstance(body, str) else body
    return client.post(
        "/upload", data={"kind": kind, "file": (io.BytesIO(data), name)}, content_type="multipart/form-data"
    )


def _token(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)
    return re.fullmatch(r"/upload/([A-Za-z0-9_-]+)", response.headers["Location"]).group(1)


def _stored(app) -> list[Path]:
    folder = Path(app.config["FM"].instance_path) / "uploads"
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def _counts(page: str) -> tuple[int, int, int]:
    return tuple(
        int(re.search(rf'id="count-{what}">([0-9,]+)<', page).group(1).replace(",", ""))
        for what in ("added", "updated", "unchanged")
    )


def test_preview_equals_the_dry_run_and_writes_nothing(seeded, app, manager, tmp_path):
    path = tmp_path / "assets.csv"
    path.write_text(GOOD, encoding="utf-8")
    cli = json.loads(run(seeded, "import", "assets", str(path), "--dry-run", "--format", "json").stdout)
    before = _snapshot(seeded)
    token = _token(_upload(manager, "assets", "施設一覧.csv", GOOD))
    response = manager.get(f"/upload/{token}?lang=en")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _counts(page) == (cli["added"], cli["updated"], cli["unchanged"]) == (2, 1, 1)
    added = re.search(r'<section id="added">(.*?)</section>', page, re.S).group(1)
    updated = re.search(r'<section id="updated">(.*?)</section>', page, re.S).group(1)
    assert "N-001" in added and "N-002" in added and "B-001" not in added and "line 4" in added
    assert "B-001" in updated and "line 2" in updated and "N-001" not in updated
    assert re.search(r"<strong>name</strong>: 滑川橋 → 滑川橋（架替）", updated)
    assert "施設一覧.csv" in page and 'id="apply"' in page
    assert _same(before, _snapshot(seeded))


def test_apply_writes_exactly_what_the_preview_showed(seeded, app, manager):
    token = _token(_upload(manager, "assets", "assets.csv", GOOD))
    manager.get(f"/upload/{token}")
    before = _snapshot(seeded)
    response = manager.post(f"/upload/{token}/apply")
    assert response.status_code == 302
    after = _snapshot(seeded)
    old, new = before["assets"].set_index("code"), after["assets"].set_index("code")
    assert sorted(set(new.index) - set(old.index)) == ["N-001", "N-002"]
    assert new.loc["N-001", "name"] == "新川橋" and new.loc["N-002", "category"] == "park"
    differs = [
        c for c in old.columns if c not in ("updated_at", "version") and not old[c].equals(new.loc[old.index, c])
    ]
    assert differs == ["name"]
    changed = old.index[old["name"] != new.loc[old.index, "name"]].tolist()
    assert changed == ["B-001"] and new.loc["B-001", "name"] == "滑川橋（架替）"
    assert new.loc["B-001", "version"] == old.loc["B-001", "version"] + 1
    audit = after["audit_log"].iloc[len(before["audit_log"]) :]
    assert sorted(zip(audit["action"], audit["record_code"], strict=True)) == [
        ("create", "N-001"),
        ("create", "N-002"),
        ("update", "B-001"),
    ]
    assert set(audit["actor"]) == {"facility-manager"} and set(audit["source"]) == {"import"}
    assert _stored(app) == []  # the file is gone
    assert manager.post(f"/upload/{token}/apply").status_code == 404


def test_apply_refuses_when_the_records_changed_since_the_preview(seeded, app, manager):
    token = _token(_upload(manager, "assets", "assets.csv", GOOD))
    assert _counts(manager.get(f"/upload/{token}").get_data(as_text=True)) == (2, 1, 1)
    database = Database(seeded)
    with database.session() as session:  # someone else renames B-002 meanwhile
        session.execute(sa.text("UPDATE assets SET name = '砂押橋（仮）' WHERE code = 'B-002'"))
    database.dispose()
    before = _snapshot(seeded)
    response = manager.post(f"/upload/{token}/apply?lang=en")
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert 'id="changed"' in page and _counts(page) == (2, 2, 0)
    assert _same(before, _snapshot(seeded))
    assert _counts(manager.get(f"/upload/{token}").get_data(as_text=True)) == (2, 2, 0)  # the preview page too
    assert manager.post(f"/upload/{token}/apply").status_code == 302  # the new preview is what applies now
    assert _snapshot(seeded)["assets"].set_index("code").loc["B-002", "name"] == "砂押橋"


def test_cancel_writes_nothing_and_deletes_the_file(seeded, app, manager):
    before = _snapshot(seeded)
    token = _token(_upload(manager, "assets", "assets.csv", GOOD))
    assert manager.get(f"/upload/{token}").status_code == 200  # the tests' app waits for the preview to end
    # the file, its upload.json, and its preview's progress and result (none half-written: nothing runs now)
    assert {p.name for p in _stored(app)} == {"assets.csv", "upload.json", "progress.json", "preview.json"}
    assert manager.post(f"/upload/{token}/cancel").status_code == 302
    assert _stored(app) == [] and _same(before, _snapshot(seeded))
    assert manager.get(f"/upload/{token}").status_code == 404


def _geojson_in_plane_coordinates() -> bytes:
    """Points in EPSG:6677 metres, but the file says EPSG:4326: a wrong CRS."""
    frame = gpd.GeoDataFrame(
        {"code": ["N-010"], "name": ["誤座標"], "category": ["bridge"]},
        geometry=[Point(-24000.0, -76000.0)],
        crs="EPSG:4326",
    )
    return frame.to_json().encode()


def _truncated_gpkg(tmp_path: Path) -> bytes:
    frame = gpd.GeoDataFrame(
        {"code": [f"N-{i:03d}" for i in range(200)], "name": "橋", "category": "bridge"},
        geometry=[Point(139.52, 35.35)] * 200,
        crs="EPSG:4326",
    )
    path = tmp_path / "whole.gpkg"
    frame.to_file(path, layer="assets", driver="GPKG")
    data = path.read_bytes()
    return data[: len(data) // 3]


@pytest.mark.parametrize(
    ("name", "body", "expected"),
    [
        ("missing.csv", MISSING_COLUMN, ["required column missing"]),
        ("rows.csv", BAD_ROWS, ["line 3", "not a number", "required", "line 4", "unknown category"]),
        ("plane.geojson", "GEOJSON", ["feature 1"]),
        ("cut.gpkg", "GPKG", ["cut.gpkg"]),
        ("setup.csv", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" * 64, ["setup.csv"]),
    ],
)
def test_bad_files_are_refused_row_by_row_and_write_nothing(seeded, app, manager, tmp_path, name, body, expected):
    if body == "GEOJSON":
        body = _geojson_in_plane_coordinates()
    elif body == "GPKG":
        body = _truncated_gpkg(tmp_path)
    before = _snapshot(seeded)
    token = _token(_upload(manager, "assets", name, body))
    response = manager.get(f"/upload/{token}?lang=en")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    refused = re.search(r'<section class="refused" id="refused">(.*?)</section>', page, re.S).group(1)
    for text in expected:
        assert text in refused, (text, refused)
    assert 'id="apply"' not in page
    if name.endswith(".csv") and name != "setup.csv":
        path = tmp_path / name
        path.write_bytes(body if isinstance(body, bytes) else body.encode())
        cli = json.loads(run(seeded, "import", "assets", str(path), "--dry-run", "--format", "json").stdout)
        assert len(cli["problems"]) == refused.split("<tbody>")[1].count("<tr>")
    assert manager.post(f"/upload/{token}/apply").status_code == 400  # a refused file has nothing to apply
    assert _same(before, _snapshot(seeded))


def test_a_file_fm_does_not_read_is_refused_at_once(app, manager):
    response = _upload(manager, "assets", "run.exe", b"MZ\x90\x00")
    assert response.status_code == 400 and ".exe" in response.get_data(as_text=True)
    assert _stored(app) == []


def test_too_big_is_413_with_a_clear_page(app, manager):
    app.config["MAX_CONTENT_LENGTH"] = 2048
    response = _upload(manager, "assets", "big.csv", GOOD + "x" * 4096)
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "FM_UPLOAD_MAX_MB" in page and 'id="upload-error"' in page
    assert _stored(app) == []


def test_roles_by_kind(seeded, app, manager):
    engineer = signed_in(app, "engineer")
    assert _upload(engineer, "assets", "a.csv", GOOD).status_code == 403
    viewer = signed_in(app, "viewer")
    assert _upload(viewer, "inspections", "i.csv", "asset_code,inspected_on\n").status_code == 403
    assert _stored(app) == []
    form = engineer.get("/upload").get_data(as_text=True)
    assert 'value="inspections"' in form and 'value="assets"' not in form
    token = _token(_upload(manager, "assets", "a.csv", GOOD))
    assert engineer.get(f"/upload/{token}").status_code == 404  # another user's upload
    assert engineer.post(f"/upload/{token}/apply").status_code == 404
    assert engineer.post(f"/upload/{token}/cancel").status_code == 404
    assert "a.csv" in {p.name for p in _stored(app)}


def test_the_stored_file_is_not_reachable_by_any_url(seeded, app, manager):
    token = _token(_upload(manager, "assets", "assets.csv", GOOD))
    stored = [p for p in _stored(app) if p.suffix == ".csv"][0]
    assert stored.parent.name == token and stored.stat().st_mode & 0o077 == 0
    urls = {rule.rule for rule in app.url_map.iter_rules()}
    assert not any("uploads" in url for url in urls)
    for url in (
        f"/upload/{token}/{stored.name}",
        f"/uploads/{token}/{stored.name}",
        f"/instance/uploads/{token}/{stored.name}",
        f"/static/../instance/uploads/{token}/{stored.name}",
        f"/upload/{token}/upload.json",
        f"/static/{token}/{stored.name}",
    ):
        response = manager.get(url)
        assert response.status_code == 404, url
        assert "N-002" not in response.get_data(as_text=True)
    preview = manager.get(f"/upload/{token}").get_data(as_text=True)
    assert "みどり公園" in preview and GOOD not in preview  # values shown, never the file itself


def test_stale_uploads_are_removed_when_a_new_one_is_stored(app, manager):
    import os
    import time

    first = _token(_upload(manager, "assets", "a.csv", GOOD))
    folder = Path(app.config["FM"].instance_path) / "uploads" / first
    assert manager.get(f"/upload/{first}").status_code == 200  # its preview ended (it writes beside the file)
    old = time.time() - 25 * 3600
    os.utime(folder, (old, old))
    second = _token(_upload(manager, "assets", "b.csv", GOOD))
    assert not folder.exists()
    assert (folder.parent / second).is_dir()


def test_a_workbook_of_several_sheets_needs_the_one_to_read(seeded, app, manager):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "表紙"
    sheet = book.create_sheet("施設")
    for line in GOOD.strip().splitlines():
        sheet.append(line.split(","))
    buffer = io.BytesIO()
    book.save(buffer)
    token = _token(_upload(manager, "assets", "book.xlsx", buffer.getvalue()))
    page = manager.get(f"/upload/{token}?lang=en").get_data(as_text=True)
    assert "layer or sheet" in page and "--sheet" not in page
    response = manager.post(
        "/upload",
        data={"kind": "assets", "part": "施設", "file": (io.BytesIO(buffer.getvalue()), "book.xlsx")},
        content_type="multipart/form-data",
    )
    preview = manager.get(f"/upload/{_token(response)}")
    assert preview.status_code == 200 and _counts(preview.get_data(as_text=True)) == (2, 1, 1)


def test_the_size_limit_comes_from_fm_upload_max_mb(monkeypatch, tmp_path):
    from fm.errors import ValidationError

    monkeypatch.setenv("FM_UPLOAD_MAX_MB", "5")
    config = Config.from_env(
        database_url=f"sqlite:///{tmp_path / 'x.sqlite3'}", instance_path=tmp_path, secret_key="test"
    )
    assert config.upload_max_mb == 5
    assert create_app(config).config["MAX_CONTENT_LENGTH"] == 5 * 1024 * 1024
    assert Config().upload_max_mb == 50
    for bad in ("0", "-1", "lots", "1.5"):
        monkeypatch.setenv("FM_UPLOAD_MAX_MB", bad)
        with pytest.raises(ValidationError, match="FM_UPLOAD_MAX_MB"):
            Config.from_env()


def test_refused_rows_are_explained_in_japanese(seeded, manager):
    token = _token(_upload(manager, "assets", "bad.csv", b"code,name,category,lon,lat\nN-1,,castle,139.55,35.31\n"))
    refused = manager.get(f"/upload/{token}?lang=ja").get_data(as_text=True)
    assert "required: must not be empty" not in refused and "unknown category;" not in refused


def test_a_work_order_moved_to_another_asset_is_shown_before_and_after_applying(seeded, app):
    manager = signed_in(app, "engineer")  # the role that imports work orders
    body = "工事番号,資産番号\nW-001,B-002\n"
    token = _token(_upload(manager, "work_orders", "moves.csv", body))
    page = manager.get(f"/upload/{token}?lang=en").get_data(as_text=True)
    moved = re.search(r'<section id="moved" class="moved">(.*?)</section>', page, re.S).group(1)
    assert "1 work order(s) would move to another asset" in moved
    assert "line 2: work order W-001 moved from asset B-001 to B-002" in moved
    ja = manager.get(f"/upload/{token}?lang=ja").get_data(as_text=True)
    assert "工事 W-001 の対象資産を B-001 から B-002 に変更" in ja
    assert manager.post(f"/upload/{token}/apply").status_code == 302
    shown = manager.get("/upload").get_data(as_text=True)  # flashed in the language of the last page
    flashes = re.search(r'<ul class="flashes".*?</ul>', shown, re.S).group(0)
    assert "工事 W-001 の対象資産を B-001 から B-002 に変更" in flashes


def test_a_refused_amount_and_formula_are_explained_in_japanese(seeded, manager):
    body = "code,name,category,取得価額\nB-001,滑川橋,bridge,1e20\nB-002,\x00,bridge,100\n"
    token = _token(_upload(manager, "assets", "bad.csv", body))
    refused = manager.get(f"/upload/{token}?lang=ja").get_data(as_text=True)
    assert "大きすぎます（9,223,372,036,854,775,807以下）" in refused
    assert "制御文字（NULなど）を含んでいます" in refused, re.findall(r"<tr>.*?</tr>", refused, re.S)
