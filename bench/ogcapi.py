"""OGC API – Features at N assets: items pages through the app, and ogr2ogr pulling every asset
through the API against ``fm export`` of the same to a GeoPackage.

Loads an N-asset register (the demo generator's ``--scale``; loaded and scored as bench/register.py
does) into SQLite and PostGIS, then:

- asks the app (Flask's test client, a viewer's API token) for pages of 1,000 assets: the first,
  the last (deep OFFSET), one ~2 km bbox window, one category; ``--repeat`` times, median and p95;
- serves the app on a free port (werkzeug, threaded) and times ``ogr2ogr -f GPKG`` of the whole
  ``assets`` collection (``-oo PAGE_SIZE=``, default 5,000) against ``fm export assets out.gpkg``.

    python bench/ogcapi.py --assets 100000 [--folder /tmp/fm-ogc-bench] [--no-postgis] [--repeat 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from register import prepare  # noqa: E402 (bench/register.py: load and score once, reuse)

from fm.app import tokens  # noqa: E402
from fm.config import Config  # noqa: E402
from fm.db import Database  # noqa: E402
from fm.demo.scale import generate_scaled  # noqa: E402


def _token(url: str) -> str:
    from webauth import ensure_user

    ensure_user(url, "bench-gis", "viewer")
    database = Database(url)
    with database.session() as session:
        token, _ = tokens.create(session, "bench-gis", days=1, name="bench", actor="bench", source="cli")
    database.dispose()
    return token


def pages(url: str, folder: Path, repeat: int, token: str) -> None:
    from fm.web import create_app

    app = create_app(Config(database_url=url, instance_path=folder, secret_key="bench", basemap="none"))
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    first = client.get("/ogcapi/collections/assets/items?f=json&limit=1", headers=headers).get_json()
    matched = first["numberMatched"]
    one = first["features"][0]["geometry"]["coordinates"]
    while isinstance(one[0], list):
        one = one[0]
    x, y = one[0], one[1]
    window = f"{x - 0.01},{y - 0.01},{x + 0.01},{y + 0.01}"
    cases = [
        ("first page of 1,000", "limit=1000"),
        (f"last page of 1,000 (offset {matched - 1000:,})", f"limit=1000&offset={matched - 1000}"),
        ("~2 km bbox window, up to 1,000", f"limit=1000&bbox={window}"),
        ("one category (bridge), up to 1,000", "limit=1000&category=bridge"),
        ("first page of 1,000 in EPSG:6677", "limit=1000&crs=http://www.opengis.net/def/crs/EPSG/0/6677"),
    ]
    for name, query in cases:
        times, size, returned = [], 0, 0
        for _ in range(repeat):
            started = time.perf_counter()
            response = client.get(f"/ogcapi/collections/assets/items?f=json&{query}", headers=headers)
            times.append(time.perf_counter() - started)
            assert response.status_code == 200, response.get_data(as_text=True)[:300]
            size = len(response.get_data())
        returned = response.get_json()["numberReturned"]
        times.sort()
        print(
            f"  {name:<48} median {statistics.median(times) * 1000:7.1f} ms, p95 "
            f"{times[int(0.95 * (len(times) - 1))] * 1000:7.1f} ms ({returned:,} features, {size / 1e6:.1f} MB)",
            flush=True,
        )
    app.extensions["fm.database"].dispose()


def pull(url: str, folder: Path, token: str, page_size: int) -> None:
    from chromium import live_app
    from clirun import run

    target = folder / "ogr2ogr.gpkg"
    target.unlink(missing_ok=True)
    env = {**os.environ, "GDAL_HTTP_AUTH": "BASIC", "GDAL_HTTP_USERPWD": f"bench-gis:{token}"}
    with live_app(Config(database_url=url, instance_path=folder, secret_key="bench", basemap="none")) as base:
        started = time.perf_counter()
        done = subprocess.run(
            ["ogr2ogr", "-f", "GPKG", str(target), f"OAPIF:{base}/ogcapi/", "assets", "-oo", f"PAGE_SIZE={page_size}"],
            env=env,
            capture_output=True,
            text=True,
        )
        took = time.perf_counter() - started
    assert done.returncode == 0, done.stderr[-2000:]
    count = subprocess.run(["ogrinfo", "-ro", "-so", str(target), "assets"], capture_output=True, text=True).stdout
    features = count.split("Feature Count: ")[1].split()[0]
    print(f"  ogr2ogr through the API (PAGE_SIZE={page_size:,}): {took:6.1f} s, {features} features", flush=True)
    exported = folder / "export.gpkg"
    exported.unlink(missing_ok=True)
    started = time.perf_counter()
    result = run(url, "export", "assets", str(exported))
    assert result.exit_code == 0, result.output
    print(f"  fm export assets out.gpkg:           {time.perf_counter() - started:6.1f} s ({result.output.strip()})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--folder", type=Path, help="keep the data and the SQLite database here, and reuse them")
    parser.add_argument("--postgres-url", help="a PostGIS database; default: a throwaway server")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--page-size", type=int, default=5000)
    parser.add_argument("--no-postgis", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-ogr2ogr", action="store_true", help="the pages only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.folder or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        data = folder / f"data-{args.assets}"
        if not (data / "assets.csv").exists():
            generate_scaled(args.assets, data)
        backends = [] if args.no_sqlite else [("SQLite", f"sqlite:///{folder / f'register-{args.assets}.sqlite3'}")]
        server = None
        if not args.no_postgis:
            postgres = args.postgres_url
            if postgres is None:
                import pgserver

                server = pgserver.start()
                postgres = pgserver.create_database(server.url())
            backends.append(("PostGIS", postgres))
        try:
            for label, url in backends:
                print(f"{label}, {args.assets:,} assets:", flush=True)
                prepare(url, data, args.assets)
                token = _token(url)
                pages(url, folder, args.repeat, token)
                if not args.no_ogr2ogr:
                    pull(url, folder, token, args.page_size)
        finally:
            if server is not None:
                server.stop()


if __name__ == "__main__":
    main()
