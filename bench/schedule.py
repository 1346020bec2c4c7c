"""The engineers' schedule and the upload preview at N assets (SQLite, or PostGIS with --postgres-url).

Makes an N-asset register with the demo generator (``--scale``), loads it, and times through
the app (a signed-in engineer, Flask's test client, no network): the schedule page by month
and by week (25 rows a group), the overdue group's second page, its JSON, a filtered page, the CSV
download (median of ``--repeat``, the first request computing the kept items); then, as a facility
manager, the upload preview of an N-asset CSV (every asset, one in ten renamed), end to end.

    python bench/schedule.py --assets 100000 [--postgres-url postgresql+psycopg://…/empty_db]
    python bench/schedule.py --database-url sqlite:////tmp/fm-bench/register-100000.sqlite3 --no-upload

First, the page by month and by week each right after closing a work order (the kept items computed again:
what the engineer who closed it waits for next), and after recording an inspection (``--writes`` times each, the
median, with the garbage collector's share); then the warm pages. Before those, the process settles as ``fm serve``
does once its first figures are kept (:func:`fm.app.snapshots.settle`).
"""

from __future__ import annotations

import argparse
import gc
import io
import os
import re
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from fm.accounts import users
from fm.app.duties import READS, load_risk_config, load_settings
from fm.app.snapshots import settle
from fm.config import Config
from fm.db import Database, migrate
from fm.demo.load import load
from fm.demo.scale import generate_scaled
from fm.domain.duties import find_duties
from fm.errors import ValidationError
from fm.io import exporter, store
from fm.web import create_app

PASSWORD = "bench password 1"


def _client(app, database: Database, role: str):
    try:
        with database.session() as session:
            users.create(
                session, f"bench-{role}".replace("_", "-"), role=role, password=PASSWORD, actor="bench", source="cli"
            )
    except ValidationError:  # made by an earlier run on the same register (--database-url)
        pass
    client = app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    client.post(
        "/sign-in", data={"username": f"bench-{role}".replace("_", "-"), "password": PASSWORD, "csrf_token": token}
    )
    token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/").get_data(as_text=True)).group(1)
    return client, token


def _time(client, url: str, repeat: int = 3) -> tuple[float, int]:
    return _timed(client, url, repeat)[:2]


def _timed(client, url: str, repeat: int = 3) -> tuple[float, int, float]:
    """Median wall seconds, size in bytes and median CPU seconds of ``repeat`` requests of ``url``."""
    times, cpus, size = [], [], 0
    for _ in range(repeat):
        started, cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        times.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
        assert response.status_code == 200, (url, response.status_code)
        size = len(response.data)
    return statistics.median(times), size, statistics.median(cpus)


def _collector_pauses() -> list[float]:
    """A list the garbage collector's passes add their seconds to (clear it before a request)."""
    pauses: list[float] = []
    started = [0.0]

    def clock(phase: str, info: dict) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            pauses.append(time.perf_counter() - started[0])

    gc.callbacks.append(clock)
    return pauses


REFERENCE = "reference 2.0 s CPU"  # the page after a work-order write before the duties were kept (7.3 s at load 8)


def _close_work_order(database: Database) -> None:
    """Close the first open work order of an asset judged III or IV, as the close form does (status, completion
    date): the change counters move, the schedule's kept items are computed again, that asset's duties change."""
    with database.connect() as connection, connection.begin():
        connection.execute(
            sa.text(
                "UPDATE work_orders SET status = 'completed', completed_on = :today WHERE id = "
                "(SELECT min(id) FROM work_orders WHERE status IN ('planned', 'in_progress') "
                "AND asset_id IN (SELECT asset_id FROM inspections WHERE soundness >= 3))"
            ),
            {"today": date.today()},
        )


def _inspect(database: Database) -> None:
    """Record an inspection judged III of the first asset: what re-dates every asset's next inspection too."""
    with database.connect() as connection, connection.begin():
        connection.execute(
            sa.text(
                "INSERT INTO inspections (asset_id, inspected_on, soundness, version) "
                "VALUES ((SELECT min(id) FROM assets WHERE category = 'bridge'), :today, 3, 1)"
            ),
            {"today": date.today()},
        )


def _every_duty(session) -> pd.DataFrame:
    """Every duty read and computed from every asset, inspection, work order and restriction: what the schedule
    did after each write before the duties were read for the judged assets only and kept by asset."""
    tables = [
        store.read_assets(session, columns=READS["assets"]),
        *(store.read_table(session, table, READS[table]) for table in list(READS)[1:]),
        store.read_categories(session),
    ]
    return find_duties(*tables, settings=load_settings(), cycle=load_risk_config().cycle, as_of=date.today())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--no-upload", action="store_true", help="time the schedule only")
    parser.add_argument("--repeat", type=int, default=3, help="requests of each page (median)")
    parser.add_argument("--writes", type=int, default=5, help="writes of each kind, each followed by a page (median)")
    parser.add_argument("--postgres-url", help="an empty PostGIS database to use instead of SQLite")
    parser.add_argument("--database-url", help="a register already loaded (e.g. bench/registers.py's), used as it is")
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="fm-bench-schedule-"))
    url = options.database_url or options.postgres_url or f"sqlite:///{folder / 'fm.sqlite3'}"
    database = Database(url)
    if options.database_url is None:
        with database.connect() as connection:
            migrate.upgrade(connection)
        generate_scaled(options.assets, folder / "data")
        with database.session() as session:
            load(session, folder / "data")
    app = create_app(Config(database_url=url, instance_path=folder, secret_key="bench"))
    engineer, _ = _client(app, database, "engineer")
    with database.session() as session:
        count = session.execute(sa.text("SELECT count(*) FROM assets")).scalar_one()
    print(f"{count:,} assets on {database.engine.dialect.name} (load average {os.getloadavg()[0]:.1f})")
    _time(engineer, "/schedule", 1)  # the kept items and duties, as a server that has been running has them
    cpu, started = time.process_time(), time.perf_counter()
    with database.session() as session:
        every = len(_every_duty(session))
    print(
        f"{'reference: every duty from every record':44} {(time.perf_counter() - started) * 1000:8.0f} ms "
        f"({time.process_time() - cpu:.2f} s CPU; {every:,} duties; what each write cost the next page before)"
    )
    settle()  # what `fm serve` does once its first figures are kept
    pauses = _collector_pauses()
    for label, target, write in (
        ("by month, after closing a work order", "/schedule", _close_work_order),
        ("by week, after closing a work order", "/schedule?by=week", _close_work_order),
        ("by month, after an inspection", "/schedule", _inspect),
        ("by week, after an inspection", "/schedule?by=week", _inspect),
    ):
        walls, cpus, collected = [], [], []
        for _ in range(options.writes):
            write(database)
            pauses.clear()
            cpu = time.process_time()
            seconds, _size = _time(engineer, target, 1)
            walls.append(seconds)
            cpus.append(time.process_time() - cpu)
            collected.append(sum(pauses))
        print(
            f"{label:44} {statistics.median(walls) * 1000:8.0f} ms median of {options.writes} "
            f"({min(walls) * 1000:.0f}–{max(walls) * 1000:.0f}; {statistics.median(cpus):.2f} s CPU; "
            f"garbage collector {statistics.median(collected) * 1000:.0f} ms, at most {max(collected) * 1000:.0f}; "
            f"goal 300 ms; {REFERENCE})"
        )
    for label, target in (
        ("schedule page, by month", "/schedule"),
        ("schedule page, by week", "/schedule?by=week"),
        ("schedule page, by week, in English", "/schedule?by=week&lang=en"),
        ("overdue rows, page 2", "/schedule?group=overdue&page=2"),
        ("schedule JSON", "/api/schedule"),
        ("one district, work orders", "/schedule?district=ofuna&kind=work_order"),
        ("CSV download", "/schedule/export.csv"),
    ):
        seconds, size, cpu = _timed(engineer, target, options.repeat)
        goal = f" (goal 300 ms; {REFERENCE})" if target.startswith("/schedule?") or target == "/schedule" else ""
        print(f"{label:44} {seconds * 1000:8.0f} ms {size / 1024:10,.0f} KiB, {cpu:.3f} s CPU{goal}")
    if options.no_upload:
        database.dispose()
        return
    manager, token = _client(app, database, "facility_manager")
    path = folder / "assets.csv"
    with database.session() as session:
        exporter.export_file(session, "assets", path, lang="ja")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.iloc[::10, 1] = frame.iloc[::10, 1] + "（改）"  # the name column: one asset in ten renamed
    body = frame.to_csv(index=False).encode("utf-8")
    started = time.perf_counter()
    response = manager.post(
        "/upload",
        data={"kind": "assets", "file": (io.BytesIO(body), "assets.csv")},
        content_type="multipart/form-data",
        headers={"X-CSRFToken": token},
    )
    preview = manager.get(response.headers["Location"])
    seconds = time.perf_counter() - started
    counts = [
        re.search(rf'id="count-{w}">([0-9,]+)<', preview.get_data(as_text=True)).group(1)
        for w in ("added", "updated", "unchanged")
    ]
    print(
        f"{'upload + preview of every asset':32} {seconds * 1000:8.0f} ms  ({len(body) / 2**20:.1f} MiB; "
        f"added/updated/unchanged {' / '.join(counts)})"
    )
    database.dispose()


if __name__ == "__main__":
    main()
