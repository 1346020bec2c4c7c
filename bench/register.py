"""The asset register at N assets: response times of its pages through the real app.

Makes an N-asset register with the demo generator (``--scale``), loads it into SQLite and into
PostGIS (a throwaway server from tests/pgserver.py, or ``--postgres-url``), scores risk once,
then asks the app (Flask's test client: the whole request, routing, SQL and template, without
socket time) signed in as a viewer, for each case ``--repeat`` times and prints the median and p95:

- the first page; a filtered page (category + district + risk class); a search by name; a
  search by code; a sort by another column (name, and risk); the last page of 50 (deep
  paging); the JSON of the first page; the CSV download of a filtered list.

With ``--folder DIR`` the generated data and the SQLite database are kept there and reused by
the next run (the PostGIS database is reused when ``--postgres-url`` already holds N assets).

    python bench/register.py --assets 100000 [--folder /tmp/fm-register-bench] [--postgres-url URL]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa

from fm.app import risk
from fm.config import Config
from fm.db import Database, migrate
from fm.demo.load import load
from fm.demo.scale import generate_scaled
from fm.domain.risk.config import load_config

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


def _count(url: str) -> int:
    database = Database(url)
    try:
        with database.connect() as connection:
            assets = connection.execute(sa.text("SELECT count(*) FROM assets")).scalar_one()
            runs = connection.execute(sa.text("SELECT count(*) FROM risk_runs")).scalar_one()
        return assets if runs else 0
    except sa.exc.DBAPIError:
        return 0
    finally:
        database.dispose()


def prepare(url: str, data: Path, assets: int) -> None:
    """Load and score the register into ``url`` unless it already holds it."""
    reuse = _count(url) == assets
    database = Database(url)
    with database.connect() as connection:
        migrate.upgrade(connection)  # a database kept from an older fm
    if reuse:
        database.dispose()
        print(f"  reusing the {assets:,}-asset database", flush=True)
        return
    started = time.perf_counter()
    with database.session() as session:
        load(session, data, reset=True)
    loaded = time.perf_counter() - started
    with database.session() as session:
        risk.compute_risk(session, config=load_config(), as_of=date(2026, 4, 1), actor="bench")
    database.dispose()
    print(f"  loaded in {loaded:.1f} s, scored in {time.perf_counter() - started - loaded:.1f} s", flush=True)


def cases(url: str) -> list[tuple[str, str]]:
    """The requests measured, with values picked from the register itself."""
    database = Database(url)
    with database.connect() as connection:
        district = connection.execute(sa.text("SELECT min(id) FROM districts")).scalar_one()
        code = connection.execute(
            sa.text("SELECT code FROM assets WHERE category = 'bridge' ORDER BY code LIMIT 1 OFFSET 120")
        ).scalar_one()
        count = connection.execute(sa.text("SELECT count(*) FROM assets")).scalar_one()
    database.dispose()
    last = -(-count // 50)
    return [
        ("first page", "/assets"),
        (
            "filtered page (category + district + risk class)",
            f"/assets?category=bridge&district={district}&risk=very_high,high",
        ),
        ("search by name (橋)", f"/assets?q={quote('橋')}"),
        ("search by code", f"/assets?q={code[:-1]}"),
        ("sort by name", "/assets?sort=name"),
        ("sort by risk, worst first", "/assets?sort=risk"),
        (f"deep page ({last:,} of {last:,}, by code)", f"/assets?page={last}"),
        (f"deep page ({last:,} of {last:,}, by name)", f"/assets?page={last}&sort=name"),
        ("JSON, first page", "/api/assets"),
        ("CSV of a filtered list (one district)", f"/assets?format=csv&district={district}"),
    ]


def measure(url: str, label: str, folder: Path, repeat: int) -> None:
    from webauth import signed_in

    from fm.web import create_app

    app = create_app(Config(database_url=url, instance_path=folder, secret_key="bench", basemap="none"))
    client = signed_in(app, "viewer")  # as a person would be (and the first request checked the database)
    print(f"{label}:", flush=True)
    for name, path in cases(url):
        times, size, rows = [], 0, ""
        for _ in range(repeat):
            started = time.perf_counter()
            response = client.get(path)
            times.append(time.perf_counter() - started)
            assert response.status_code == 200, (path, response.get_data(as_text=True)[:500])
            size = len(response.get_data())
        if "format=csv" in path:
            lines = response.get_data().count(b"\r\n") - 1
            rows = f", {lines:,} rows"
        times.sort()
        print(
            f"  {name:<52} median {statistics.median(times) * 1000:7.1f} ms, p95 "
            f"{times[int(0.95 * (len(times) - 1))] * 1000:7.1f} ms ({size / 1e3:.0f} kB{rows})",
            flush=True,
        )
    app.extensions["fm.database"].dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--folder", type=Path, help="keep the data and the SQLite database here, and reuse them")
    parser.add_argument(
        "--postgres-url",
        help="a PostGIS database (its fm tables are replaced unless it holds "
        "the register already); default: a throwaway server",
    )
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--no-postgis", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.folder or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        data = folder / f"data-{args.assets}"
        if not (data / "assets.csv").exists():
            started = time.perf_counter()
            generate_scaled(args.assets, data)
            print(f"generated {args.assets:,} assets in {time.perf_counter() - started:.1f} s", flush=True)
        url = f"sqlite:///{folder / f'register-{args.assets}.sqlite3'}"
        print("SQLite:", flush=True)
        prepare(url, data, args.assets)
        measure(url, f"SQLite, {args.assets:,} assets", folder, args.repeat)
        if args.no_postgis:
            return
        server = None
        postgres = args.postgres_url
        if postgres is None:
            import pgserver

            server = pgserver.start()
            postgres = pgserver.create_database(server.url())
        try:
            print("PostGIS:", flush=True)
            prepare(postgres, data, args.assets)
            measure(postgres, f"PostGIS, {args.assets:,} assets", folder, args.repeat)
        finally:
            if server is not None:
                server.stop()


if __name__ == "__main__":
    main()
