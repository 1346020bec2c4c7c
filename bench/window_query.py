"""Window queries over the asset register: spatial index against a full scan, SQLite and PostGIS.

Synthetic assets (points, and short lines for one in five) scattered over Kamakura's
bounding box; then map-window-sized boxes (about 1 km square) are queried through
``fm.io.store.read_assets(bbox=…)`` (index + exact filter) and by reading every
geometry and filtering with shapely (what we would do without an index).

    python bench/window_query.py [--assets 100000] [--queries 20] [--postgres-url URL]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import shapely
import sqlalchemy as sa

from fm.db import Database, migrate
from fm.io import store
from fm.model import Asset

KAMAKURA = (139.47, 35.29, 139.60, 35.37)
WINDOW = 0.011  # degrees, about 1 km


def synthetic_rows(count: int, seed: int = 1) -> list[dict]:
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = KAMAKURA
    x = rng.uniform(minx, maxx, count)
    y = rng.uniform(miny, maxy, count)
    geoms = shapely.points(x, y)
    lines = rng.random(count) < 0.2
    geoms[lines] = shapely.linestrings(np.stack([np.stack([x, y], 1), np.stack([x + 0.001, y + 0.0005], 1)], 1)[lines])
    return [
        {"code": f"A{i:07d}", "name": "資産", "category": "road" if line else "school", "geom": g}
        for i, (g, line) in enumerate(zip(geoms, lines, strict=True))
    ]


def windows(count: int, seed: int = 2) -> list[tuple[float, float, float, float]]:
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = KAMAKURA
    corners = np.stack([rng.uniform(minx, maxx - WINDOW, count), rng.uniform(miny, maxy - WINDOW, count)], 1)
    return [(x, y, x + WINDOW, y + WINDOW) for x, y in corners]


def run(url: str, label: str, rows: list[dict], boxes) -> None:
    database = Database(url)
    with database.connect() as connection:
        migrate.upgrade(connection)
    started = time.perf_counter()
    with database.session() as session:
        for start in range(0, len(rows), 10_000):
            session.execute(sa.insert(Asset), rows[start : start + 10_000])
    load = time.perf_counter() - started
    if database.dialect == "postgresql":
        with database.engine.begin() as connection:
            connection.execute(sa.text("ANALYZE assets"))

    with database.session() as session:
        started = time.perf_counter()
        indexed = [len(store.read_assets(session, columns=("code",), bbox=b)) for b in boxes]
        per_indexed = (time.perf_counter() - started) / len(boxes)
        started = time.perf_counter()
        scanned = [
            int(store.read_assets(session, columns=("geom",)).intersects(shapely.box(*b)).sum()) for b in boxes[:3]
        ]
        per_scan = (time.perf_counter() - started) / 3
    assert indexed[:3] == scanned, (indexed[:3], scanned)
    print(
        f"{label:8s} load {len(rows):,} assets: {load:6.2f} s ({len(rows) / load:,.0f}/s); "
        f"window query: {per_indexed * 1000:7.1f} ms with the index "
        f"(avg {np.mean(indexed):,.0f} assets found) vs {per_scan * 1000:7.1f} ms scanning"
    )
    database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--postgres-url", help="an empty PostGIS database to fill (its contents are replaced)")
    args = parser.parse_args()
    rows, boxes = synthetic_rows(args.assets), windows(args.queries)
    with tempfile.TemporaryDirectory() as folder:
        run(f"sqlite:///{Path(folder) / 'bench.sqlite3'}", "SQLite", rows, boxes)
    if args.postgres_url:
        run(args.postgres_url, "PostGIS", rows, boxes)


if __name__ == "__main__":
    main()
