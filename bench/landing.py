"""The pages a person opens first, at N assets: cold (the first request after a write) and warm.

Loads and scores an N-asset register like bench/register.py (same ``--folder`` reuse), then
asks the app, signed in as finance (who sees every page), for the landing page, the dashboard,
an indicator's page, the risk list and the engineers' schedule: first once each as the first
request after a server starts on a database no server has shown (nothing kept: "first"), then
once each as the first request after a restart (figures kept in the database, nothing in
memory: "after a restart"), then once right after a write to a
table the figures read (the counters of fm/db/changes.py move, so every kept figure is
computed again: "after a write") and ``--repeat`` times after it (served from what was kept).

The app waits ``--figures-wait`` seconds (0.1, as ``fm serve``) for figures recomputed after a
write; the pages computed in the background (landing page, dashboard, indicator) then show
the earlier figures with a notice, and the bench also prints how long the new figures took to
come ("fresh after"). ``--figures-wait -1`` makes every request wait for them (the CLI's way).

    python bench/landing.py --assets 100000 [--folder /tmp/fm-bench] [--postgres-url URL] [--no-postgis]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import registers  # noqa: I001  (bench/registers.py: the registers, loaded and scored once)

from fm.config import Config
from fm.db import Database

CASES = (
    ("landing page /", "/", 300),
    ("dashboard", "/dashboard", 300),
    ("an indicator's page", "/dashboard/aging_ratio", 300),
    ("risk list, top 50 (JSON)", "/api/risk?top=50", 100),
    ("schedule by month", "/schedule", 300),
    ("schedule by week", "/schedule?by=week", 300),
)


def _write(url: str) -> None:
    """One write to a watched table, as a finance person setting a target would make."""
    database = Database(url)
    with database.connect() as connection, connection.begin():
        connection.execute(sa.text("DELETE FROM indicator_targets WHERE target_year = 2099"))
        connection.execute(
            sa.text(
                "INSERT INTO indicator_targets (indicator, target_year, target_value, source) "
                "VALUES ('aging_ratio', 2099, 60, 'bench')"
            )
        )
    database.dispose()


def _restart(url: str, *, kept: bool) -> None:
    """Forget the figures kept in memory, and unless ``kept`` those kept in the database (fm/app/stored_figures.py)."""
    from fm.app import snapshots

    with snapshots._guard:
        snapshots._kept.clear()
        snapshots._latest.clear()
    if not kept:
        database = Database(url)
        with database.connect() as connection, connection.begin():
            connection.execute(sa.text("DELETE FROM kept_figures"))
        database.dispose()


def _timed(client, path: str) -> tuple[float, bool]:
    """Seconds for one request, and whether it showed figures from before the latest write."""
    started = time.perf_counter()
    response = client.get(path)
    took = time.perf_counter() - started
    assert response.status_code == 200, (path, response.get_data(as_text=True)[:500])
    return took, 'class="stale-figures"' in response.get_data(as_text=True)


def measure(url: str, label: str, folder: Path, repeat: int, figures_wait: float | None) -> None:
    from webauth import signed_in

    from fm.web import create_app

    config = Config(database_url=url, instance_path=folder, secret_key="bench", basemap="none")
    app = create_app(dataclasses.replace(config, figures_wait=figures_wait))
    client = signed_in(app, "finance")
    print(f"{label} (figures wait {figures_wait} s; load {os.getloadavg()[0]:.1f}):", flush=True)
    # signing in read "/" for its CSRF token: forget every kept figure, in memory and in the database, as a server
    # started on a database no server has shown would; then only those in memory, as a server restarted now would
    _restart(url, kept=False)
    first = {path: _timed(client, path)[0] for _, path, _ in CASES}
    _restart(url, kept=True)
    restarted = {path: _timed(client, path)[0] for _, path, _ in CASES}
    for name, path, goal in CASES:
        _write(url)
        after, stale = _timed(client, path)
        fresh = ""
        if stale:  # the earlier figures were shown: how long until the new ones come
            waited = time.perf_counter()
            while _timed(client, path)[1]:
                time.sleep(0.5)
            fresh = f" (earlier figures shown; fresh after {after + time.perf_counter() - waited:.1f} s)"
        times = sorted(_timed(client, path)[0] for _ in range(repeat))
        print(
            f"  {name:<28} first {first[path] * 1000:9.1f} ms   after a restart {restarted[path] * 1000:7.1f} ms   "
            f"after a write {after * 1000:9.1f} ms{fresh}   "
            f"warm median {statistics.median(times) * 1000:7.1f} ms, "
            f"p95 {times[int(0.95 * (len(times) - 1))] * 1000:7.1f} ms   (goal {goal} ms)",
            flush=True,
        )
    app.extensions["fm.database"].dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    registers.arguments(parser)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--figures-wait", type=float, default=0.1, help="seconds; -1: always wait")
    args = parser.parse_args()
    wait = None if args.figures_wait < 0 else args.figures_wait
    for label, url, folder in registers.registers(args):
        measure(url, label, folder, args.repeat, wait)


if __name__ == "__main__":
    main()
