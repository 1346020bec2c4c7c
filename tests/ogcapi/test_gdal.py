"""The service through the client GIS staff use: GDAL's OAPIF driver (ogrinfo, ogr2ogr from gdal-bin) against
the app served on a free port, authenticated as QGIS would be (HTTP Basic: username + API token).

SQLite only: the backend's part (SQL paging, bbox) is tested on both in test_ogcapi.py."""

from __future__ import annotations

import os
import shutil
import subprocess

import geopandas as gpd
import pytest
import sqlalchemy as sa
from chromium import live_app
from clirun import run
from conftest import add_extras
from databases import new_database
from sample import add_sample
from shapely import Point, box
from webauth import ensure_user

from fm.config import Config
from fm.db import Database
from fm.model import Asset

pytestmark = pytest.mark.skipif(
    shutil.which("ogr2ogr") is None and os.environ.get("CI", "").lower() != "true",
    reason="gdal-bin is not installed (under CI=true these tests run, and fail without it)",
)
MANY = 10_050
"""More assets than one page of GDAL's and than 10,000, made by one bulk insert."""


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The sample plus MANY small assets on SQLite, served; the base URL, the database URL and a token."""
    folder = tmp_path_factory.mktemp("gdal")
    url = new_database("sqlite", folder)
    database = Database(url)
    with database.session() as session:
        add_extras(session, add_sample(session))
        rows = [
            {"code": f"M-{n:05d}", "name": f"資産{n}", "category": "park", "status": "in_service",
             "geom": Point(139.45 + (n % 100) * 0.001, 35.40 + (n // 100) * 0.001)}
            for n in range(MANY)
        ]  # fmt: skip
        session.execute(sa.insert(Asset.__table__), rows)
    database.dispose()
    ensure_user(url, "gis", "viewer")
    made = run(url, "tokens", "create", "gis", "--name", "ogr")
    number, token = int(made.output.split()[2]), made.output.strip().splitlines()[-1]
    with live_app(Config(database_url=url, instance_path=folder, secret_key="test")) as base:
        yield {"base": f"{base}/ogcapi/", "url": url, "token": token, "number": number, "folder": folder}


def _gdal(*args: str, token: str | None, user: str = "gis") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GDAL_HTTP")}
    if token is not None:
        env.update(GDAL_HTTP_AUTH="BASIC", GDAL_HTTP_USERPWD=f"{user}:{token}")
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)


def test_ogrinfo_lists_every_collection_with_count_and_fields(served):
    out = _gdal("ogrinfo", "-ro", "-so", "-al", f"OAPIF:{served['base']}", token=served["token"])
    assert out.returncode == 0, out.stderr
    counts = {
        name: int(part.split("Feature Count: ")[1].split()[0])
        for part in out.stdout.split("Layer name: ")[1:]
        for name in [part.split()[0]]
    }
    assert counts == {"assets": 6 + MANY, "parcels": 1, "districts": 2, "inspections": 2, "work_orders": 1, "plans": 1}
    for field in ("risk_class: String", "plan_status: String", "underused: Integer(Boolean)", "population: Integer"):
        assert field in out.stdout


def test_ogr2ogr_bbox_and_property_equals_fm_export(served, tmp_path):
    window = (139.50, 35.30, 139.56, 35.33)
    copied = tmp_path / "copy.gpkg"
    out = _gdal(
        "ogr2ogr", "-f", "GPKG", str(copied), f"OAPIF:{served['base']}", "assets",
        "-spat", *map(str, window), "-where", "category = 'bridge'", token=served["token"],
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    exported = tmp_path / "export.gpkg"
    assert run(served["url"], "export", "assets", str(exported), "--category", "bridge", "--lang", "en").exit_code == 0
    ours = gpd.read_file(copied).sort_values("code", ignore_index=True)
    theirs = gpd.read_file(exported)
    theirs = theirs[theirs.intersects(box(*window))].sort_values("code", ignore_index=True)
    assert len(ours) == len(theirs) > 0
    assert ours["code"].tolist() == theirs["code"].tolist()
    assert ours["name"].tolist() == theirs["name"].tolist()
    assert ours["replacement_cost"].tolist() == theirs["replacement_cost"].tolist()
    assert ours.geometry.geom_equals_exact(theirs.geometry, tolerance=1e-9).all()


def test_paging_over_ten_thousand_returns_each_once(served, tmp_path):
    copied = tmp_path / "all.gpkg"
    out = _gdal(
        "ogr2ogr", "-f", "GPKG", str(copied), f"OAPIF:{served['base']}", "assets", "-oo", "PAGE_SIZE=2000",
        token=served["token"],
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    codes = gpd.read_file(copied, columns=["code"], ignore_geometry=True)["code"]
    assert len(codes) == 6 + MANY == codes.nunique()


def test_nothing_without_a_live_token(served):
    base = f"OAPIF:{served['base']}"
    assert _gdal("ogrinfo", "-ro", "-so", base, token=None).returncode != 0
    assert _gdal("ogrinfo", "-ro", "-so", base, token="fm_wrong").returncode != 0
    assert run(served["url"], "tokens", "revoke", str(served["number"])).exit_code == 0
    refused = _gdal("ogrinfo", "-ro", "-so", base, token=served["token"])
    assert refused.returncode != 0 and "401" in refused.stderr
