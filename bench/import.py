"""Time and peak memory of ``fm import`` of an N-asset GeoPackage into SQLite and PostGIS, against ogr2ogr.

The GeoPackage comes from the generator (``--scale N``) through ``fm demo --data`` and
``fm export assets``. fm imports it with every check on (headers, values, references,
geometry, CRS, duplicates) into a database holding only the districts; the reference
is GDAL's ``ogr2ogr -f PostgreSQL`` loading the same file into an empty PostGIS
database (no checks, COPY, into a new table with only a key and a GiST index). To tell
what no client can save, it also times PostgreSQL alone putting the same rows into fm's
assets table (foreign keys, CHECKs, unique and GiST indexes). Each step runs in its own process,
so its peak RSS is its own:

    python bench/import.py [--scale 100000] [--postgres-url URL]

Without ``--postgres-url`` a throwaway server is started (tests/pgserver.py).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import shapely
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
FM = Path(sys.executable).with_name("fm")
sys.path.insert(0, str(ROOT / "tests"))

import pgserver

from fm.db import Database, migrate
from fm.demo.scale import generate_scaled
from fm.model import District

# Runs one command and prints the peak RSS of its children, so each step's peak is its own.
PEAK = (
    "import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(code)"
)


def measure(label: str, command: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Run ``command``; print and return its wall time (s) and peak RSS (MiB)."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", PEAK, *command],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{label} failed:\n{done.stdout}\n{done.stderr}")
    peak = int(done.stderr.strip().splitlines()[-1]) / 1024
    print(f"{label:44s} {elapsed:7.1f} s   peak RSS {peak:6.0f} MiB", flush=True)
    return elapsed, peak


def fm_database(url: str, districts: Path) -> None:
    """Migrate ``url`` and load the districts the assets name (nothing else)."""
    database = Database(url)
    with database.connect() as connection:
        migrate.upgrade(connection)
    frame = pd.read_csv(districts)
    with database.session() as session:
        session.add_all(
            District(
                code=r.code, name=r.name, name_en=r.name_en, population=int(r.population), geom=shapely.from_wkt(r.geom)
            )
            for r in frame.itertuples()
        )
    database.dispose()


def constraint_floor(url: str) -> float:
    """Seconds PostgreSQL itself takes to put the imported rows into fm's assets table again (foreign keys,
    CHECKs, unique and GiST indexes), with no client work: the part of an import no client can save."""
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TEMP TABLE held AS SELECT * FROM assets"))
        connection.execute(sa.text("DELETE FROM assets"))
        started = time.perf_counter()
        connection.execute(sa.text("INSERT INTO assets SELECT * FROM held"))
        elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed


def libpq(url: str) -> str:
    parsed = sa.make_url(url)
    return f"PG:host={parsed.host} port={parsed.port} user={parsed.username} dbname={parsed.database}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100_000)
    parser.add_argument("--postgres-url", help="superuser URL of a PostGIS server (default: start one)")
    args = parser.parse_args()
    server = None if args.postgres_url else pgserver.start()
    admin = args.postgres_url or server.url()
    try:
        with tempfile.TemporaryDirectory() as folder:
            run(Path(folder), args.scale, admin)
    finally:
        if server:
            server.stop()


def run(folder: Path, scale: int, admin: str) -> None:
    generate_scaled(scale, folder / "data")
    source = f"sqlite:///{folder / 'source.sqlite3'}"
    subprocess.run(
        [str(FM), "db", "upgrade"], env={**os.environ, "FM_DATABASE_URL": source}, check=True, capture_output=True
    )
    subprocess.run(
        [str(FM), "demo", "--data", str(folder / "data")],
        env={**os.environ, "FM_DATABASE_URL": source},
        check=True,
        capture_output=True,
    )
    gpkg = folder / "assets.gpkg"
    measure(
        f"fm export assets ({scale:,}) to GeoPackage",
        [str(FM), "export", "assets", str(gpkg), "--lang", "en"],
        {"FM_DATABASE_URL": source},
    )
    print(f"{'':44s} {gpkg.stat().st_size / 2**20:7.0f} MiB GeoPackage")
    sqlite = f"sqlite:///{folder / 'target.sqlite3'}"
    postgis = pgserver.create_database(admin)
    for url in (sqlite, postgis):
        fm_database(url, folder / "data" / "districts.csv")
    command = [str(FM), "import", "assets", str(gpkg)]
    sqlite_time, sqlite_peak = measure("fm import into SQLite", command, {"FM_DATABASE_URL": sqlite})
    pg_time, pg_peak = measure("fm import into PostGIS", command, {"FM_DATABASE_URL": postgis})
    measure("fm import again into PostGIS (all unchanged)", command, {"FM_DATABASE_URL": postgis})
    floor = constraint_floor(postgis)
    label = "PostgreSQL alone: the same rows into assets"
    print(f"{label:44s} {floor:7.1f} s   (INSERT … SELECT: keys, checks, indexes)")
    ogr_time, ogr_peak = measure(
        "ogr2ogr -f PostgreSQL (reference)",
        ["ogr2ogr", "-f", "PostgreSQL", libpq(pgserver.create_database(admin)), str(gpkg), "-nln", "assets_ogr"],
    )
    print(
        f"fm / INSERT … SELECT into PostGIS: {pg_time / floor:.2f}× (goal: within 2×); "
        f"fm's SQLite import {sqlite_time:.1f} s",
        flush=True,
    )
    print(
        f"fm / ogr2ogr: PostGIS {pg_time / ogr_time:.2f}× the time, {pg_peak / ogr_peak:.1f}× the memory; "
        f"SQLite {sqlite_time / ogr_time:.2f}× the time, {sqlite_peak / ogr_peak:.1f}× the memory"
    )


if __name__ == "__main__":
    main()
